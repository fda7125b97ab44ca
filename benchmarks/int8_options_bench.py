r"""What keeps an int8 stream MoViNet closest to float? Options side by side.

For one trained arm (as benchmarks/quantization_bench.py takes it), exports
int8 TF Lite variants that differ in one setting from "all layers int8"
(`export_tflite(..., quantization="int8", float_layers=[])`, 16 calibration
clips of the trained length T, running pooling sums float): more
calibration clips, calibration clips 4x longer, and layers kept in float
(`float_layers`; keeping the stem float became the default after this
comparison). Each streams the same held-out
airplanes test clips at T and 4T frames; printed per variant: top-1 accuracy,
top-1 agreement with the float Keras model, mean absolute logit difference,
file size, and the float model's top-2 logit margin on the clips where the
variant disagrees (against the median margin over all clips).

Usage:
  .venv/bin/python benchmarks/int8_options_bench.py \
      --arm baseline:configs/airplanes_a0_stream_baseline.yaml:/tmp/fit_baseline \
      --params_override='task.train_data.feature_shape=[8,32,32,3],task.validation_data.feature_shape=[8,32,32,3],task.train_data.min_image_size=32,task.validation_data.min_image_size=32' \
      --clips 300 --json /tmp/int8_options.json
"""

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import quantization_bench as qb  # pylint: disable=g-import-not-at-top,wrong-import-position

# (name, calibration clips, calibration length factor, float_layers); all
# but "float stem" quantize every layer except the running pooling sums
# (the default before the stem was kept float).
OPTIONS = (("all layers int8", 16, 1, ()), ("64 calibration clips", 64, 1, ()),
           ("calibration 4x longer", 16, 4, ()),
           ("float head+classifier", 16, 1, ("head", "classifier")),
           ("float stem", 16, 1, ("stem",)),
           ("float block4", 16, 1, ("block4",)))


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--arm", required=True)
  parser.add_argument("--experiment", default="movinet_grw_airplanes")
  parser.add_argument("--params_override", default="")
  parser.add_argument("--clips", type=int, default=300)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--only", default=None,
                      help="comma-separated variant names to run")
  parser.add_argument("--json", default=None)
  args = parser.parse_args()
  options = [o for o in OPTIONS
             if args.only is None or o[0] in args.only.split(",")]

  import numpy as np  # pylint: disable=g-import-not-at-top
  from tf_grw import export  # pylint: disable=g-import-not-at-top

  name, model, params, path = qb.load_arm(args.arm, args.params_override,
                                          args.experiment)
  frames, size = params.task.validation_data.feature_shape[:2]
  stream = export.inference_keras_model(model, streaming=True)
  data = {}
  for tag, length in (("1x", frames), ("4x", 4 * frames)):
    clips, labels = qb.airplane_clips(args.clips, length, size, args.seed,
                                      "quantization_test")
    data[tag] = (clips, labels, qb.keras_logits(model, clips))
  out = tempfile.mkdtemp(prefix="int8_options_")
  results = {"arm": name, "checkpoint": path, "command": " ".join(sys.argv),
             "variants": {}}
  print(f"{name}: {path}; {args.clips} test clips of {frames} and "
        f"{4 * frames} frames at {size}x{size}")
  print(f"{'variant':24} {'KB':>6} " + " ".join(
      f"{'top1@' + t:>8} {'agree@' + t:>9} {'mean|d|@' + t:>10} "
      f"{'margin@' + t:>14}" for t in data))
  for variant, num_cal, factor, float_layers in options:
    start = time.time()
    cal, _ = qb.airplane_clips(num_cal, factor * frames, size, args.seed,
                               "quantization_calibration")
    lite = export.export_tflite(
        stream, os.path.join(out, f"{len(results['variants'])}.tflite"),
        image_size=(size, size), quantization="int8",
        representative_clips=cal, float_layers=float_layers)
    row = {"bytes": os.path.getsize(lite), "calibration_clips": num_cal,
           "calibration_frames": factor * frames,
           "float_layers": list(float_layers)}
    for tag, (clips, labels, reference) in data.items():
      logits = qb.stream_final_logits(lite, clips)
      row[tag] = qb.compare(logits, reference, labels)
      top2 = np.sort(reference, -1)[:, -2:]
      margin = top2[:, 1] - top2[:, 0]
      flipped = np.argmax(logits, -1) != np.argmax(reference, -1)
      row[tag]["median_margin_flipped"] = (
          float(np.median(margin[flipped])) if flipped.any() else None)
      row[tag]["median_margin_all"] = float(np.median(margin))
    row["seconds"] = round(time.time() - start, 1)
    results["variants"][variant] = row
    cells = []
    for t in data:
      r = row[t]
      flip = r["median_margin_flipped"]
      cells.append(f"{r['top1']:>8.3f} {r['agreement']:>9.3f} "
                   f"{r['mean_abs_diff']:>10.3f} "
                   f"{(f'{flip:.2f}' if flip is not None else '-'):>6}/"
                   f"{r['median_margin_all']:<7.2f}")
    print(f"{variant:24} {row['bytes'] / 1e3:>6.0f} " + " ".join(cells),
          flush=True)
  print("margin: the float model's median top-2 logit margin on the clips "
        "the variant flips / on all clips.")
  if args.json:
    qb.write_json(args.json, results)


if __name__ == "__main__":
  main()
