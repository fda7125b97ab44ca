r"""int8 on the demo's Transformer-head MoViNets: the head float or not.

Trains arms as `make demo --quick` trains them (`tf_grw.analysis.comparison.
train_arm`: A0 stream from scratch, the Transformer head, 150 noisy 8x32x32
airplanes clips of data seed 1, 20 epochs, batch 16, Adam 3e-3, batch-norm
momentum 0.9; the GRW arm on block4 with T=8, weight 0.1) for the given
`--runs` (arm:seed), then exports each as int8 TF Lite (16 training clips
calibrate, running pooling sums float) twice, differing in one setting:
`float_layers=["stem"]` (the Transformer head quantized; the default before
this benchmark) and the default (`DEFAULT_FLOAT_LAYERS`: stem and
`temporal_head` float). Each streams the `--clips` test clips frame by frame;
printed per run and variant: top-1, top-1 agreement with the float Keras
model, max and mean absolute logit difference, file size. With
`--report_layers`, the quantization debugger's per-layer error of the default
variant (what is left once the head is float).

The clips are rendered once (or read from the demo's cache) under
`--data_dir`.

Usage:
  .venv/bin/python benchmarks/int8_transformer_head_bench.py \
      --runs grw:100,grw:201,baseline:202 [--report_layers] \
      --json /tmp/int8_head.json
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

# (name, float_layers): None is the default (stem and Transformer head).
VARIANTS = (("head int8 (stem float)", ["stem"]),
            ("default (stem + temporal_head float)", None))


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--runs", default="grw:100,grw:201,baseline:202",
                      help="comma-separated arm:seed, arm grw or baseline")
  parser.add_argument("--clips", type=int, default=300)
  parser.add_argument("--data_dir", default=os.path.join(
      tempfile.gettempdir(), "int8_transformer_head_data"))
  parser.add_argument("--report_layers", action="store_true")
  parser.add_argument("--json", default=None)
  args = parser.parse_args()

  import numpy as np  # pylint: disable=g-import-not-at-top
  from tf_grw import export  # pylint: disable=g-import-not-at-top
  from tf_grw.analysis import comparison  # pylint: disable=g-import-not-at-top
  from tf_grw.datasets import airplanes_cache  # pylint: disable=g-import-not-at-top

  splits = [airplanes_cache.cached_split(
      args.data_dir, split, count, 8, 32, 1, jitter=2.0, noise=0.08,
      progress=True) for split, count in (("train", 150),
                                          ("test", args.clips))]
  (train_x, train_y), (test_x, test_y) = splits
  x = test_x.astype(np.float32) / 255.0
  out_dir = tempfile.mkdtemp(prefix="int8_transformer_head_")
  results = []
  for run in args.runs.split(","):
    name, seed = run.split(":")
    arm = comparison.ArmConfig(
        name=name, grw_endpoints=("block4",) if name == "grw" else (),
        epochs=20, batch_size=16, learning_rate=3e-3, window=8, weight=0.1,
        alpha=None, normalization="batch_norm", head="transformer",
        model_options={"norm_momentum": 0.9})
    start = time.time()
    model, history = comparison.train_arm(
        arm, int(seed), (train_x, train_y), (test_x, test_y), num_classes=3,
        verbose=0)
    print(f"{run}: trained in {time.time() - start:.0f}s, test top-1 "
          f"{history[-1]['test_accuracy']:.3f}", flush=True)
    reference = qb.keras_logits(model, x)
    for variant, float_layers in VARIANTS:
      path = export.export_tflite(
          model, os.path.join(out_dir, f"{name}_{seed}_{len(results)}.tflite"),
          image_size=(32, 32), quantization="int8",
          representative_clips=train_x[:16], float_layers=float_layers)
      row = {"run": run, "variant": variant,
             "file_bytes": os.path.getsize(path),
             **qb.compare(qb.stream_final_logits(path, x), reference,
                          test_y)}
      results.append(row)
      print(f"  {variant:38s} top-1 {row['top1']:.3f}  agreement "
            f"{row['agreement']:.3f}  max|d| {row['max_abs_diff']:.2f}  "
            f"mean|d| {row['mean_abs_diff']:.3f}  "
            f"{row['file_bytes'] / 1024:,.0f} KB", flush=True)
    if args.report_layers:
      worst, summary = qb.layer_report(model, (32, 32), train_x[:16])
      results.append({"run": run, "int8_layer_errors": {
          "worst": worst, "summary": summary}})
      qb.print_layer_report(worst, summary)
  if args.json:
    qb.write_json(args.json, results)


if __name__ == "__main__":
  main()
