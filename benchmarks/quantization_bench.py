r"""Post-training quantization of trained stream MoViNets, measured side by side.

For each trained arm (a Model Garden experiment config plus the model folder
launch/fit.py or launch/train.py wrote), the plain stream model
(`tf_grw.export.inference_keras_model`, no GRW code) is exported to TF Lite as
float32, float16 weights, dynamic range (int8 weights), int8 with the running
pooling sums kept float (`export_tflite(..., quantization="int8")`, the
default, which also keeps the stem float), int8 with the stem quantized
(`float_layers=[]`) and int8 fully quantized (`float_pooling=False,
float_layers=[]`). Each variant then
streams, frame by frame with its states, `--clips` held-out airplanes test
clips at the trained length T and at 4T (the calibration clips have T
frames), and the benchmark prints

* top-1 accuracy against the labels, top-1 agreement with the float Keras
  model on the whole clip, max and mean absolute logit difference;
* file size and the bytes of the stream states the caller carries;
* with --report_layers, the TF Lite quantization debugger's per-layer error
  of the int8 variant (RMSE over the quantization scale, worst first).

Then, for the first arm, every variant is exported again at --latency_size
(172x172 is the paper's A0 input; the network is fully convolutional, so the
trained weights run at any size) and measured in interleaved rounds: median
per-frame latency at 1 and 2 interpreter threads and peak memory of a fresh
process (as benchmarks/stream_memory_bench.py), as ratios to float.

Data: `tf_grw.datasets.airplanes.generate_split` with `split_seed(--seed,
"quantization_test")` (clips the model never saw) and `split_seed(--seed,
"quantization_calibration")` for calibration.

Usage (the launch/fit.py pair of docs/diagnosis.md):
  .venv/bin/python benchmarks/quantization_bench.py \
      --arm grw:configs/airplanes_a0_stream_grw.yaml:/tmp/fit_grw \
      --arm baseline:configs/airplanes_a0_stream_baseline.yaml:/tmp/fit_baseline \
      --params_override='task.train_data.feature_shape=[8,32,32,3],task.validation_data.feature_shape=[8,32,32,3],task.train_data.min_image_size=32,task.validation_data.min_image_size=32' \
      --clips 300 --json /tmp/quant.json
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(_HERE)
sys.path.insert(0, _REPO)
sys.path.insert(0, _HERE)

# (name, quantization, float_pooling, float_layers) of every variant: int8
# is the default (running pooling sums and the stem float), int8_stem also
# quantizes the stem, int8_all quantizes everything.
VARIANTS = (("float", None, True, None), ("float16", "float16", True, None),
            ("dynamic", "dynamic", True, None), ("int8", "int8", True, None),
            ("int8_stem", "int8", True, ()), ("int8_all", "int8", False, ()))


def load_arm(spec, params_override, experiment="movinet_grw_airplanes"):
  """`name:config_file:model_dir` -> (name, restored model, params, path)."""
  import importlib  # pylint: disable=g-import-not-at-top
  import importlib.util  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from official.core import exp_factory  # pylint: disable=g-import-not-at-top
  from official.core import task_factory  # pylint: disable=g-import-not-at-top
  from official.modeling import hyperparams  # pylint: disable=g-import-not-at-top
  importlib.import_module("tf_grw.modelgarden.experiments")  # Registers.

  try:
    name, config_file, model_dir = spec.split(":", 2)
  except ValueError:
    raise SystemExit(f"--arm expects name:config_file:model_dir, got {spec!r}")
  params = exp_factory.get_exp_config(experiment)
  params = hyperparams.override_params_dict(params, config_file,
                                            is_strict=True)
  if params_override:
    params = hyperparams.override_params_dict(params, params_override,
                                              is_strict=True)
  params.validate()
  params.lock()
  task = task_factory.get_task(params.task)
  model = task.build_model()
  checkpoint = model_dir
  if tf.train.latest_checkpoint(checkpoint) is None:
    checkpoint = os.path.join(model_dir, "final")  # launch/fit.py's layout.
  spec_ = importlib.util.spec_from_file_location(
      "grw_launch_evaluate", os.path.join(_REPO, "launch", "evaluate.py"))
  evaluate = importlib.util.module_from_spec(spec_)
  spec_.loader.exec_module(evaluate)
  path = evaluate.restore(task, model, checkpoint, params)
  return name, model, params, path


def airplane_clips(num_clips, frames, size, seed, split):
  from tf_grw.datasets import airplanes  # pylint: disable=g-import-not-at-top
  videos, labels = airplanes.generate_split(
      num_clips, frames, size, airplanes.split_seed(seed, split))
  return videos.astype("float32") / 255.0, labels


def keras_logits(model, clips, batch=25):
  """Whole-clip float Keras logits of the plain inference model."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_grw import export  # pylint: disable=g-import-not-at-top
  from tf_grw.export.inference_model import whole_clip_function  # pylint: disable=g-import-not-at-top
  fn = whole_clip_function(
      export.inference_keras_model(model, streaming=False))
  return np.concatenate([fn(tf.constant(clips[i:i + batch])).numpy()
                         for i in range(0, len(clips), batch)])


def stream_final_logits(path, clips, threads=1):
  """Final logits of each clip streamed frame by frame through `path`."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from tf_grw.export import tflite_stream  # pylint: disable=g-import-not-at-top
  stream = tflite_stream._TFLiteStream(path, threads)  # pylint: disable=protected-access
  return np.stack([stream.run(clips[i:i + 1])[0][-1]
                   for i in range(len(clips))])


def state_bytes(path):
  """Bytes of the states a caller carries between frames (inputs but image)."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from tf_grw.export import tflite_stream  # pylint: disable=g-import-not-at-top
  stream = tflite_stream._TFLiteStream(path, 1)  # pylint: disable=protected-access
  return int(sum(np.dtype(d["dtype"]).itemsize * int(np.prod(d["shape"]))
                 for name, d in stream.inputs.items() if name != "image"))


def compare(lite, reference, labels):
  import numpy as np  # pylint: disable=g-import-not-at-top
  diff = np.abs(lite - reference)
  return {"top1": float(np.mean(np.argmax(lite, -1) == labels)),
          "agreement": float(np.mean(np.argmax(lite, -1)
                                     == np.argmax(reference, -1))),
          "max_abs_diff": float(diff.max()),
          "mean_abs_diff": float(diff.mean())}


def layer_report(stream_model, image_size, clips, top=8):
  """Worst per-layer int8 errors (QuantizationDebugger) and a summary."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from tf_grw import export  # pylint: disable=g-import-not-at-top
  rows = export.quantization_layer_errors(stream_model, image_size, clips)
  errors = np.array([r["rmse/scale"] for r in rows])
  summary = {"tensors": len(rows), "median": float(np.median(errors)),
             "max": float(errors.max()),
             "above_1": int(np.sum(errors > 1.0))}
  return rows[:top], summary


def print_layer_report(worst, summary):
  """Prints `layer_report`'s summary and worst rows."""
  print(f"int8 per-layer error (RMSE / scale; 0.29 is rounding alone) "
        f"over {summary['tensors']} quantized tensors: median "
        f"{summary['median']:.3f}, max {summary['max']:.3f}, "
        f"{summary['above_1']} above 1. Worst:")
  for item in worst:
    layer = item["tensor_name"].split(";")[0].split("/", 2)[-1]
    print(f"  {item['op_name']:>16} {layer[:72]:72} "
          f"{item['rmse/scale']:.3f}", flush=True)


def write_json(path, results):
  """Writes `results` atomically (a kill leaves the old file or none)."""
  with open(path + ".partial", "w") as f:
    json.dump(results, f, indent=1)
  os.replace(path + ".partial", path)


def peak_memory(paths, rounds, frames):
  """Median peak RSS rise (MiB) of a fresh process per variant, interleaved."""
  runs = {k: [] for k in paths}
  for _ in range(rounds):
    for key, path in paths.items():
      out = subprocess.run(
          [sys.executable, os.path.join(_HERE, "stream_memory_bench.py"),
           "--measure", path, "--frames", str(frames)],
          capture_output=True, text=True, check=True).stdout
      runs[key].append(json.loads(out.strip().splitlines()[-1])[
          "peak_rise_mib"])
  return {k: statistics.median(v) for k, v in runs.items()}


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--arm", action="append", required=True,
                      help="name:config_file:model_dir (repeat per arm)")
  parser.add_argument("--experiment", default="movinet_grw_airplanes",
                      help="registered Model Garden experiment of the arms")
  parser.add_argument("--params_override", default="")
  parser.add_argument("--clips", type=int, default=300,
                      help="held-out test clips streamed per variant")
  parser.add_argument("--calibration_clips", type=int, default=16)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--report_layers", action="store_true",
                      help="per-layer int8 error of each arm (debugger)")
  parser.add_argument("--latency_size", type=int, default=172)
  parser.add_argument("--latency_frames", type=int, default=8)
  parser.add_argument("--rounds", type=int, default=10,
                      help="interleaved latency rounds (one clip each)")
  parser.add_argument("--memory_rounds", type=int, default=3)
  parser.add_argument("--json", default=None)
  args = parser.parse_args()

  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_grw import export  # pylint: disable=g-import-not-at-top

  start = time.time()
  out = tempfile.mkdtemp(prefix="quantization_bench_")
  results = {"tf": tf.__version__, "clips": args.clips, "arms": {},
             "command": " ".join(sys.argv)}
  first = None
  for spec in args.arm:
    name, model, params, path = load_arm(spec, args.params_override,
                                         args.experiment)
    frames, size = params.task.validation_data.feature_shape[:2]
    print(f"\n== {name}: {path} ({frames}x{size}x{size}) ==", flush=True)
    stream = export.inference_keras_model(model, streaming=True)
    first = first or (name, stream, frames)
    cal, _ = airplane_clips(args.calibration_clips, frames, size, args.seed,
                            "quantization_calibration")
    data = {}
    for tag, length in (("1x", frames), ("4x", 4 * frames)):
      clips, labels = airplane_clips(args.clips, length, size, args.seed,
                                     "quantization_test")
      data[tag] = (clips, labels, keras_logits(model, clips))
      keras_top1 = float(np.mean(np.argmax(data[tag][2], -1) == labels))
      print(f"Keras float top-1 at {tag} ({length} frames): "
            f"{keras_top1:.3f}", flush=True)
    arm = {"checkpoint": path, "frames": frames, "size": size,
           "keras_top1": {t: float(np.mean(np.argmax(d[2], -1) == d[1]))
                          for t, d in data.items()}, "variants": {}}
    header = (f"{'variant':9} {'bytes':>9} {'state B':>8} "
              + " ".join(f"{'top1@' + t:>8} {'agree@' + t:>9} "
                         f"{'max|d|@' + t:>10} {'mean|d|@' + t:>11}"
                         for t in data))
    rows = []
    for variant, quantization, float_pooling, float_layers in VARIANTS:
      t0 = time.time()
      lite = export.export_tflite(
          stream, os.path.join(out, f"{name}_{variant}.tflite"),
          image_size=(size, size), quantization=quantization,
          representative_clips=cal if quantization == "int8" else None,
          float_pooling=float_pooling, float_layers=float_layers)
      row = {"bytes": os.path.getsize(lite), "state_bytes": state_bytes(lite),
             "export_s": round(time.time() - t0, 1)}
      for tag, (clips, labels, reference) in data.items():
        row[tag] = compare(stream_final_logits(lite, clips), reference,
                           labels)
      arm["variants"][variant] = row
      rows.append(f"{variant:9} {row['bytes']:>9} {row['state_bytes']:>8} "
                  + " ".join(f"{row[t]['top1']:>8.3f} "
                             f"{row[t]['agreement']:>9.3f} "
                             f"{row[t]['max_abs_diff']:>10.2e} "
                             f"{row[t]['mean_abs_diff']:>11.2e}"
                             for t in data))
      print(f"{variant} done in {time.time() - t0:.0f} s", flush=True)
    print(header)
    print("\n".join(rows), flush=True)
    if args.report_layers:
      worst, summary = layer_report(stream, (size, size), cal)
      arm["int8_layer_errors"] = {"worst": worst, "summary": summary}
      print_layer_report(worst, summary)

    results["arms"][name] = arm

  # Latency and memory at the paper's size, one architecture.
  name, stream, frames = first
  size = args.latency_size
  print(f"\n== latency and memory at {size}x{size} ({name} weights) ==",
        flush=True)
  cal, _ = airplane_clips(4, frames, size, args.seed,
                          "quantization_calibration")
  clip, _ = airplane_clips(1, args.latency_frames, size, args.seed,
                           "quantization_test")
  paths = {}
  for variant, quantization, float_pooling, float_layers in VARIANTS:
    paths[variant] = export.export_tflite(
        stream, os.path.join(out, f"latency_{variant}.tflite"),
        image_size=(size, size), quantization=quantization,
        representative_clips=cal if quantization == "int8" else None,
        float_pooling=float_pooling, float_layers=float_layers)
  from export_bench import interleaved_latency  # pylint: disable=g-import-not-at-top
  latency = {threads: interleaved_latency(paths, clip, args.rounds, threads)
             for threads in (1, 2)}
  memory = peak_memory(paths, args.memory_rounds, args.latency_frames)
  print(f"{'variant':9} {'MiB':>6} {'ms 1thr':>8} {'x float':>8} "
        f"{'ms 2thr':>8} {'x float':>8} {'peak MiB':>9} {'x float':>8}")
  table = {}
  for variant, path in paths.items():
    table[variant] = {
        "bytes": os.path.getsize(path),
        "latency_ms_1": latency[1][variant],
        "latency_ms_2": latency[2][variant],
        "latency_ratio_1": latency[1][variant] / latency[1]["float"],
        "latency_ratio_2": latency[2][variant] / latency[2]["float"],
        "peak_mib": memory[variant],
        "peak_ratio": memory[variant] / memory["float"],
        "state_bytes": state_bytes(path)}
    r = table[variant]
    print(f"{variant:9} {r['bytes'] / 2**20:6.2f} {r['latency_ms_1']:8.2f} "
          f"{r['latency_ratio_1']:8.2f} {r['latency_ms_2']:8.2f} "
          f"{r['latency_ratio_2']:8.2f} {r['peak_mib']:9.1f} "
          f"{r['peak_ratio']:8.2f}")
  results["latency"] = {"size": size, "frames": args.latency_frames,
                        "rounds": args.rounds, "variants": table}
  results["seconds"] = round(time.time() - start, 1)
  print(f"\nTotal {results['seconds']} s.")
  if args.json:
    write_json(args.json, results)


if __name__ == "__main__":
  main()
