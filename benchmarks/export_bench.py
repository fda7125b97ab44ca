"""Zero inference overhead of GRW: exported graphs, sizes and latencies.

GRW smoothing (Goldman et al., NeurIPS 2025, arXiv:2511.20928) only adds a
training loss. This benchmark shows that, once exported, a MoViNet trained
with GRW is the same program as one trained without it:

1. Two a0 stream models with the same architecture are trained for a few SGD
   steps on rendered "rotating airplanes" clips: one with GRW on `block4`,
   one without (`tf_grw.build_movinet_grw(..., grw_endpoints=())`). If the
   GRW builder is unavailable, two official MoViNets with different random
   weights stand in (printed as "emulated").
2. Both are exported through `tf_grw.export` (SavedModel, 1 frame per call,
   and float TF Lite). The script prints the SavedModel graph op-type
   multisets and TF Lite op multisets (equal, with no GRW ops), the file-size
   ratios, and the per-frame interpreter latency ratio measured interleaved.
3. Per TF Lite variant of the GRW model (float, float16, dynamic, int8 with
   float pooling sums, int8 fully quantized): file size, per-frame latency
   (interleaved rounds, median) and agreement with the Keras model on clips
   as long as the calibration clips and 4x longer.

Usage:
  .venv/bin/python benchmarks/export_bench.py [--image_size 32] [--quick]
"""

import argparse
import collections
import json
import os
import shutil
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf  # pylint: disable=g-import-not-at-top
import tf_keras  # pylint: disable=g-import-not-at-top

from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
from official.projects.movinet.modeling import movinet  # pylint: disable=g-import-not-at-top
from official.projects.movinet.modeling import movinet_model  # pylint: disable=g-import-not-at-top
from tf_grw import export  # pylint: disable=g-import-not-at-top
from tf_grw.datasets import airplanes  # pylint: disable=g-import-not-at-top
from tf_grw.export import tflite_stream  # pylint: disable=g-import-not-at-top

NUM_CLASSES = 3


def airplane_clips(num_clips, num_frames, size, seed):
  rng = np.random.default_rng(seed)
  labels = np.arange(num_clips) % NUM_CLASSES
  clips = np.stack([airplanes.render_clip(int(label), rng,
                                          num_frames=num_frames,
                                          resolution=size)
                    for label in labels])
  return clips.astype(np.float32) / 255.0, labels


def build_pair(seed):
  """(with GRW, without GRW, how): same architecture, different weights."""
  try:
    from tf_grw.models.movinet.movinet_grw import build_movinet_grw  # pylint: disable=g-import-not-at-top
    tf_keras.utils.set_random_seed(seed)
    with_grw = build_movinet_grw("a0", num_classes=NUM_CLASSES, stream=True,
                                 grw_endpoints=("block4",), window=4)
    without = build_movinet_grw("a0", num_classes=NUM_CLASSES, stream=True,
                                grw_endpoints=())
    export.inference_keras_model(without, streaming=True)  # Usable?
    return with_grw, without, "tf_grw.build_movinet_grw"
  except Exception as e:  # pylint: disable=broad-except
    print(f"build_movinet_grw unavailable ({type(e).__name__}: {e}); "
          "emulating with two official MoViNets.")

  def official(model_seed):
    tf_keras.utils.set_random_seed(model_seed)
    backbone = movinet.Movinet(
        model_id="a0", causal=True, conv_type="2plus1d", se_type="2plus3d",
        activation="hard_swish", gating_activation="hard_sigmoid",
        use_sync_bn=False)
    return movinet_model.MovinetClassifier(backbone, NUM_CLASSES)

  return official(seed), official(seed + 1), "emulated (official MoViNets)"


def train_steps(model, clips, labels, steps):
  """A few SGD steps of CE + model.losses (the GRW terms, if any)."""
  optimizer = tf_keras.optimizers.SGD(0.05)
  ce = tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True)
  extra = 0.0
  for _ in range(steps):
    with tf.GradientTape() as tape:
      logits = model(tf.constant(clips), training=True)
      logits = logits[0] if isinstance(logits, (tuple, list)) else logits
      extra = tf.add_n(model.losses) if model.losses else tf.constant(0.0)
      loss = ce(labels, logits) + extra
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(
        (g, v) for g, v in zip(grads, model.trainable_variables)
        if g is not None)
  return float(extra)


def saved_model_op_types(path):
  """Multiset of op types of the serving signature (with its functions)."""
  fn = tf.saved_model.load(path).signatures["serving_default"]
  graph_def = fn.graph.as_graph_def()
  ops = collections.Counter(n.op for n in graph_def.node)
  names = [n.name for n in graph_def.node]
  for function in graph_def.library.function:
    ops.update(n.op for n in function.node_def)
    names.extend(n.name for n in function.node_def)
  return ops, sum("grw" in n.lower() for n in names)


def tflite_ops(path):
  ops = Interpreter(model_path=path)._get_ops_details()  # pylint: disable=protected-access
  return collections.Counter(o["op_name"] for o in ops)


def tflite_name_bytes(path):
  """Bytes of tensor-name strings (layer-name counters differ per model)."""
  details = Interpreter(model_path=path).get_tensor_details()
  return sum(len(d["name"].encode()) for d in details)


def num_parameters(model):
  return int(sum(np.prod(v.shape) for v in model.variables))


def dir_size(path):
  return sum(os.path.getsize(os.path.join(root, f))
             for root, _, files in os.walk(path) for f in files)


def interleaved_latency(paths, clip, rounds, threads):
  """Median per-frame latency (ms) per model, models interleaved per round."""
  runners = {k: tflite_stream._TFLiteStream(p, threads)  # pylint: disable=protected-access
             for k, p in paths.items()}
  for runner in runners.values():
    runner.run(clip[:, :2])  # Warm-up.
  times = {k: [] for k in paths}
  order = list(runners)
  for i in range(rounds):
    for key in (order if i % 2 == 0 else order[::-1]):  # No order bias.
      times[key].extend(runners[key].run(clip)[1])
  return {k: statistics.median(v) for k, v in times.items()}


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--image_size", type=int, default=32)
  parser.add_argument("--frames", type=int, default=8,
                      help="frames per calibration / evaluation clip")
  parser.add_argument("--rounds", type=int, default=20,
                      help="interleaved latency rounds (one clip each)")
  parser.add_argument("--threads", type=int, default=1,
                      help="interpreter threads")
  parser.add_argument("--train_steps", type=int, default=2)
  parser.add_argument("--quick", action="store_true",
                      help="fewer clips and rounds, no int8 variants")
  parser.add_argument("--json", default=None, help="also write results here")
  parser.add_argument("--output_dir", default=None,
                      help="keep the exported files here (default: a "
                      "temporary directory, removed at the end)")
  args = parser.parse_args()
  size, frames = args.image_size, args.frames
  num_cal, num_eval = (2, 2) if args.quick else (8, 6)
  rounds = 5 if args.quick else args.rounds
  results = {"image_size": size, "threads": args.threads,
             "tf": tf.__version__}
  start = time.time()

  train_x, train_y = airplane_clips(4, frames, size, seed=0)
  cal_x, _ = airplane_clips(num_cal, frames, size, seed=1)
  eval_x, _ = airplane_clips(num_eval, frames, size, seed=2)
  long_x, _ = airplane_clips(num_eval, 4 * frames, size, seed=3)

  with_grw, without, how = build_pair(seed=0)
  grw_losses = {name: train_steps(m, train_x, train_y, args.train_steps)
                for name, m in (("grw", with_grw), ("plain", without))}
  results["models"] = how
  results["train_extra_loss"] = grw_losses
  print(f"models: {how}; extra (GRW) loss in the last training step: "
        f"{grw_losses}")

  out = args.output_dir or tempfile.mkdtemp(prefix="export_bench_")
  os.makedirs(out, exist_ok=True)
  paths = {}
  for name, model in (("grw", with_grw), ("plain", without)):
    stream = export.inference_keras_model(model, streaming=True)
    sm = export.export_saved_model(stream, os.path.join(out, f"{name}_sm"),
                                   streaming=True, image_size=(size, size),
                                   num_frames=1, batch_size=1)
    lite = export.export_tflite(sm, os.path.join(out, f"{name}.tflite"))
    paths[name] = (sm, lite, stream)

  sm_ops = {k: saved_model_op_types(v[0]) for k, v in paths.items()}
  lite_ops = {k: tflite_ops(v[1]) for k, v in paths.items()}
  print("\n== Exported graphs (GRW-trained vs. plain) ==")
  print(f"SavedModel op-type multisets equal: "
        f"{sm_ops['grw'][0] == sm_ops['plain'][0]} "
        f"({sum(sm_ops['grw'][0].values())} ops, "
        f"{len(sm_ops['grw'][0])} types); nodes named *grw*: "
        f"{sm_ops['grw'][1]} / {sm_ops['plain'][1]}")
  print(f"TF Lite op multisets equal: {lite_ops['grw'] == lite_ops['plain']}")
  print("TF Lite ops:", dict(sorted(lite_ops["grw"].items())))
  sizes = {k: (dir_size(v[0]), os.path.getsize(v[1]))
           for k, v in paths.items()}
  latency = interleaved_latency({k: v[1] for k, v in paths.items()},
                                eval_x[:1], rounds, args.threads)
  params = {k: num_parameters(v[2]) for k, v in paths.items()}
  var_bytes = {k: dir_size(os.path.join(v[0], "variables"))
               for k, v in paths.items()}
  names = {k: tflite_name_bytes(v[1]) for k, v in paths.items()}
  print(f"Parameters: grw {params['grw']}, plain {params['plain']}")
  print(f"SavedModel bytes: grw {sizes['grw'][0]}, plain {sizes['plain'][0]}"
        f" (ratio {sizes['grw'][0] / sizes['plain'][0]:.4f}; variables/ "
        f"{var_bytes['grw']} vs {var_bytes['plain']}, the rest is graph "
        "text with layer names)")
  print(f"TF Lite bytes: grw {sizes['grw'][1]}, plain {sizes['plain'][1]}"
        f" (ratio {sizes['grw'][1] / sizes['plain'][1]:.4f}; difference "
        f"{sizes['grw'][1] - sizes['plain'][1]} bytes, of which tensor-name "
        f"strings {names['grw'] - names['plain']})")
  print(f"TF Lite per-frame latency (ms, median, interleaved, "
        f"{args.threads} thread(s)): grw {latency['grw']:.3f}, plain "
        f"{latency['plain']:.3f} (ratio "
        f"{latency['grw'] / latency['plain']:.3f})")
  results["zero_overhead"] = {
      "saved_model_ops_equal": sm_ops["grw"][0] == sm_ops["plain"][0],
      "saved_model_grw_nodes": sm_ops["grw"][1],
      "tflite_ops_equal": lite_ops["grw"] == lite_ops["plain"],
      "tflite_ops": dict(lite_ops["grw"]),
      "parameters": params,
      "saved_model_bytes": {k: v[0] for k, v in sizes.items()},
      "saved_model_variables_bytes": var_bytes,
      "tflite_bytes": {k: v[1] for k, v in sizes.items()},
      "tflite_tensor_name_bytes": names,
      "saved_model_size_ratio": sizes["grw"][0] / sizes["plain"][0],
      "tflite_size_ratio": sizes["grw"][1] / sizes["plain"][1],
      "latency_ms": latency,
      "latency_ratio": latency["grw"] / latency["plain"],
  }

  print("\n== TF Lite variants of the GRW model ==")
  stream = paths["grw"][2]
  variants = {"float": paths["grw"][1]}
  options = [("float16", "float16", True), ("dynamic", "dynamic", True)]
  if not args.quick:
    options += [("int8", "int8", True), ("int8_all", "int8", False)]
  for name, quantization, float_pooling in options:
    variants[name] = export.export_tflite(
        stream, os.path.join(out, f"grw_{name}.tflite"),
        image_size=(size, size), quantization=quantization,
        representative_clips=cal_x, float_pooling=float_pooling)
  latency = interleaved_latency(variants, eval_x[:1], rounds, args.threads)
  rows = {}
  print(f"{'variant':10} {'bytes':>10} {'ms/frame':>9} {'top1':>6} "
        f"{'maxdiff':>9} {'top1@4x':>8} {'maxdiff@4x':>10}")
  for name, path in variants.items():
    short = export.verify_tflite(path, stream, eval_x, args.threads)
    long = export.verify_tflite(path, stream, long_x, args.threads)
    rows[name] = {
        "bytes": os.path.getsize(path), "latency_ms": latency[name],
        "top1_agreement": short["top1_agreement"],
        "max_abs_diff": short["max_abs_diff"],
        "top1_agreement_4x_frames": long["top1_agreement"],
        "max_abs_diff_4x_frames": long["max_abs_diff"]}
    r = rows[name]
    print(f"{name:10} {r['bytes']:>10} {r['latency_ms']:>9.3f} "
          f"{r['top1_agreement']:>6.2f} {r['max_abs_diff']:>9.2e} "
          f"{r['top1_agreement_4x_frames']:>8.2f} "
          f"{r['max_abs_diff_4x_frames']:>10.2e}")
  results["variants"] = rows
  results["clips"] = {"calibration": list(cal_x.shape),
                      "eval": list(eval_x.shape), "eval_4x": list(long_x.shape)}
  results["seconds"] = round(time.time() - start, 1)
  print(f"\n(int8: calibrated on {num_cal} clips x {frames} frames; 'int8' "
        "keeps the running pooling sums float, 'int8_all' does not. "
        f"Total {results['seconds']} s.)")
  if args.json:
    with open(args.json, "w") as f:
      json.dump(results, f, indent=2, default=str)
  if not args.output_dir:
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
  main()
