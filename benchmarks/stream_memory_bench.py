"""Peak inference memory of streaming TF Lite models, per frame, side by side.

Goldman et al. (NeurIPS 2025, arXiv:2511.20928) report MobileNetV3-S per frame
as the smallest memory budget (about 30 MB). This benchmark measures, the same
way for every model, what one streaming TF Lite model costs on this machine:

1. Each model is built with random weights (memory does not depend on the
   values) and 600 classes, and exported with `tf_grw.export.export_tflite`
   (float32, one frame per call, states carried):
   * MoViNet-A0 stream (official Model Garden model, 172x172, the paper's
     A0 evaluation size);
   * MobileNetV3-S per frame, mean head (`tf_grw.models.mobilenet.mobilenet_grw`, 224x224),
     and the same with the causal temporal shift;
   * MobileNetV3-L per frame, mean head (224x224).
2. Each `.tflite` is then run in a fresh Python process (`--measure`): the
   process imports the LiteRT interpreter, records its peak resident set
   (`VmHWM`), loads the model, allocates tensors and streams `--frames`
   frames carrying the states (one thread); the peak inference memory is the
   rise of `VmHWM` over the baseline. Models are measured in interleaved
   rounds (`--rounds`) and the median is printed, with the ratio to
   MoViNet-A0 stream, the file size, the state size and the median latency
   per frame (ratios only are comparable across runs of this shared
   machine).

Usage:
  .venv/bin/python benchmarks/stream_memory_bench.py [--rounds 3] [--frames 20]
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

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, _REPO)


def _vm_hwm_kib() -> int:
  with open("/proc/self/status") as f:
    for line in f:
      if line.startswith("VmHWM:"):
        return int(line.split()[1])
  raise RuntimeError("VmHWM not found in /proc/self/status")


def measure(path: str, frames: int) -> dict:
  """Runs in a fresh process: peak RSS rise and per-frame latency."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  baseline = _vm_hwm_kib()
  interpreter = Interpreter(model_path=path, num_threads=1)
  runner = interpreter.get_signature_runner("serving_default")
  details = runner.get_input_details()
  states = {k: np.zeros(d["shape"], d["dtype"]) for k, d in details.items()
            if k != "image"}
  image = np.random.default_rng(0).random(details["image"]["shape"]).astype(
      np.float32)
  times = []
  for _ in range(frames):
    start = time.perf_counter()
    outputs = runner(image=image, **states)
    times.append(time.perf_counter() - start)
    states = {k: outputs[k] for k in states}
  return {
      "peak_rise_mib": (_vm_hwm_kib() - baseline) / 1024.0,
      "state_kib": sum(v.nbytes for v in states.values()) / 1024.0,
      "latency_ms": 1e3 * statistics.median(times[1:]),
  }


def export_models(folder: str) -> dict:
  """Exports the compared stream models; returns {name: tflite path}."""
  # pylint: disable=g-import-not-at-top
  from official.projects.movinet.modeling import movinet
  from official.projects.movinet.modeling import movinet_model
  from tf_grw import export
  from tf_grw.models.mobilenet.mobilenet_grw import build_mobilenet_grw
  # pylint: enable=g-import-not-at-top
  paths = {}
  backbone = movinet.Movinet(
      model_id="a0", causal=True, conv_type="2plus1d", se_type="2plus3d",
      activation="hard_swish", gating_activation="hard_sigmoid",
      use_external_states=True, use_sync_bn=False)
  a0 = movinet_model.MovinetClassifier(backbone, 600, output_states=True)
  models = [
      ("movinet_a0_stream@172", a0, 172),
      ("mobilenetv3_small@224", build_mobilenet_grw(
          "MobileNetV3Small", 600, grw_endpoints=()), 224),
      ("mobilenetv3_small_tsm@224", build_mobilenet_grw(
          "MobileNetV3Small", 600, grw_endpoints=(), temporal_shift=True),
       224),
      ("mobilenetv3_large@224", build_mobilenet_grw(
          "MobileNetV3Large", 600, grw_endpoints=()), 224),
  ]
  for name, model, size in models:
    start = time.perf_counter()
    path = os.path.join(folder, name.replace("@", "_") + ".tflite")
    export.export_tflite(model, path, image_size=(size, size))
    print(f"exported {name} in {time.perf_counter() - start:.1f} s "
          f"({os.path.getsize(path) / 2**20:.1f} MiB)", flush=True)
    paths[name] = path
  return paths


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--frames", type=int, default=20)
  parser.add_argument("--measure", help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.measure:
    print(json.dumps(measure(args.measure, args.frames)))
    return
  with tempfile.TemporaryDirectory() as folder:
    paths = export_models(folder)
    results = {name: [] for name in paths}
    for r in range(args.rounds):
      for name, path in paths.items():  # Interleaved rounds.
        out = subprocess.run(
            [sys.executable, __file__, "--measure", path,
             "--frames", str(args.frames)],
            capture_output=True, text=True, check=True).stdout
        results[name].append(json.loads(out.strip().splitlines()[-1]))
      print(f"round {r + 1}/{args.rounds} done", flush=True)
    sizes = {n: os.path.getsize(p) / 2**20 for n, p in paths.items()}
  reference = "movinet_a0_stream@172"
  median = {n: {k: statistics.median(x[k] for x in runs) for k in runs[0]}
            for n, runs in results.items()}
  print(f"\nmedian of {args.rounds} fresh processes, {args.frames} frames, "
        "float32 TF Lite, 1 thread")
  print(f"{'model':28s} {'file MiB':>8s} {'peak MiB':>9s} {'x A0':>6s} "
        f"{'state KiB':>9s} {'ms/frame':>8s} {'x A0':>6s}")
  for name, m in median.items():
    print(f"{name:28s} {sizes[name]:8.1f} {m['peak_rise_mib']:9.1f} "
          f"{m['peak_rise_mib'] / median[reference]['peak_rise_mib']:6.2f} "
          f"{m['state_kib']:9.1f} {m['latency_ms']:8.2f} "
          f"{m['latency_ms'] / median[reference]['latency_ms']:6.2f}")


if __name__ == "__main__":
  main()
