r"""`make demo`: GRW vs. baseline MoViNet-A0 (stream) on rotating airplanes.

Renders the built-in procedural airplanes data if missing, trains the same
MoViNet (A0 stream recipe with the Transformer head, from scratch, 8x32x32
clips) without and with GRW (on `block4`, batch norm, alpha 0) on identical
data, seeds and budget, reports test top-1 per seed, mean, sd and the paired
difference GRW - baseline with its 95 % interval, plots per-frame trajectories
of both arms side by side and the training curves, and exports the GRW model
to a streaming TFLite file that it checks against the Keras model.

The defaults are the regime and placement chosen by the evidence study
(`benchmarks/grw_study.py`, README "Does GRW help?"): 150 training clips with
pixel noise 0.08 and camera jitter 2, 20 epochs, on the study's confirmation
data (data seed 1) and model seeds 100.. (3 seeds; 2 with `--quick`).

With `--models=movinet,mobilenet` (or `--models=mobilenet` alone) it adds
the per-frame MobileNetV3-S arms (`mobilenet_baseline`, `mobilenet_grw`:
causal temporal shift, causal Transformer head, GRW on the per-frame
embedding with batch norm, alpha 0), on the same data, seeds and schedule;
they are not in the default run because they roughly double its time.

Runs are independent (each seeds its own weights, dropout and shuffle), so
the demo trains two at a time in separate processes (`--workers`, default:
2 on a machine with 2 or more cores): one run keeps only about one core
busy, and most of a run's first epoch is single-threaded tracing. The
results do not depend on `--workers` (every per-epoch loss is equal with 1
and 2). Log lines carry the elapsed time.

Usage:
  .venv/bin/python launch/demo.py [--quick] [--seed 100] \
      [--output_dir demo_output] [--models movinet,mobilenet] [--workers 2]

Outputs (under --output_dir): results.json, trajectories.png,
training_curves.png, grw_a0_stream.tflite and grw_a0_stream_int8.tflite
(grw_mobilenetv3s_stream*.tflite), stream_predictions_<arm>.png (Keras, TF
Lite float and int8 probabilities frame by frame), profile.md and
profile_<arm>.png, demo.log.
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import numpy as np

FLAGS = flags.FLAGS
# Test clips profiled per arm (first seed) by `tf_grw.analysis.diagnose`.
PROFILE_CLIPS = 64
# Training clips that calibrate the int8 TF Lite export.
CALIBRATION_CLIPS = 16
flags.DEFINE_bool("quick", False, "Short run: 2 seeds instead of 3.")
flags.DEFINE_integer("seed", 100, "First model seed; arms use seeds "
                     "seed..seed+n-1 (100..: the study's confirmation seeds).")
flags.DEFINE_integer("num_seeds", None, "Seeds per arm (default 3, quick 2).")
flags.DEFINE_string("output_dir", "demo_output", "Where outputs go.")
flags.DEFINE_integer("epochs", 20, "Epochs per run.")
flags.DEFINE_integer("num_train", 150, "Training clips (scarce data: where "
                     "GRW was measured to help, see the README).")
flags.DEFINE_integer("num_test", None, "Test clips (default 300).")
flags.DEFINE_integer("num_frames", 8, "Frames per clip.")
flags.DEFINE_integer("data_seed", 1, "Seed of the rendered airplanes data "
                     "(1: the study's confirmation data).")
flags.DEFINE_float("noise", 0.08, "Renderer's per-frame pixel noise std.")
flags.DEFINE_float("jitter", 2.0, "Renderer's camera jitter, pixels/frame.")
flags.DEFINE_enum("head", "transformer", ["movinet", "transformer"], "MoViNet "
                  "arms' classifier head (the same on both arms).")
flags.DEFINE_enum("normalization", "batch_norm",
                  ["batch_norm", "layer_norm", "none"],
                  "GRW normalization before the loss.")
flags.DEFINE_bool("center_per_frame", False, "GRW: subtract the batch mean "
                  "at each frame index before the loss (removes a clock "
                  "shared by all clips).")
flags.DEFINE_integer("resolution", 32, "Frame size in pixels.")
flags.DEFINE_integer("batch_size", 16, "Batch size.")
flags.DEFINE_float("learning_rate", 3e-3, "Peak learning rate (Adam).")
flags.DEFINE_list("grw_endpoints", ["block4"], "GRW taps of the GRW arm.")
flags.DEFINE_integer("window", 8, "GRW window T.")
flags.DEFINE_float("weight", 0.1, "GRW weight lambda.")
flags.DEFINE_float("alpha", None, "GRW velocity weight (default: from the "
                   "normalization, 0 for batch norm).")
flags.DEFINE_float("norm_momentum", 0.9, "Batch-norm moving-average momentum "
                   "(Model Garden uses 0.99, which lags badly in runs of a "
                   "few hundred steps from scratch).")
flags.DEFINE_bool("export", True, "Export and verify the streaming TFLite.")
flags.DEFINE_list("models", ["movinet"], "Model families compared: movinet "
                  "(MoViNet-A0 stream) and/or mobilenet (per-frame "
                  "MobileNetV3-S with temporal shift).")
flags.DEFINE_string("movinet_model_id", "a0", "MoViNet arms: the size, with "
                    "Model Garden's stream recipe (a0-a5, or another key of "
                    "its movinet.BLOCK_SPECS).")
flags.DEFINE_integer("mobilenet_embed_dim", 64, "MobileNet arms: per-frame "
                     "embedding width of the Transformer head.")
flags.DEFINE_integer("workers", None, "Runs trained at once, each in its own "
                     "process (default: the number of CPU cores, at most 2; a "
                     "run keeps about one core busy). 1: one after another in "
                     "this process. The results do not depend on it.")


class _Tee:
  """Prints to stdout and appends to a log file, stamped with elapsed time.

  Several processes may append to the same file: each line is one write.
  """

  def __init__(self, path, started):
    self.path = path
    self.started = started

  def __call__(self, line):
    elapsed = int(time.time() - self.started)
    line = f"[{elapsed // 60:>2}:{elapsed % 60:02d}] {line}" if line else line
    print(line, flush=True)
    with open(self.path, "a", encoding="utf-8") as f:
      f.write(line + "\n")


def _run_job(job):
  """Trains one (arm, seed) and measures it; runs in a worker process.

  Uses no flags (a spawned worker has none parsed): everything comes in
  `job`. Returns plain data: the per-epoch history and, for the first seed,
  the probe's test features, the order check and the TF Lite check.
  """
  from tf_grw.analysis import comparison  # pylint: disable=g-import-not-at-top
  log = _Tee(job["log_path"], job["started"])
  arm, seed, test = job["arm"], job["seed"], job["test"]
  log(f"Training {arm.name} (seed {seed})...")
  model, history = comparison.train_arm(arm, seed, job["train"], test,
                                        num_classes=job["num_classes"],
                                        printer=log, verbose=job["verbose"])
  outcome = {"history": history}
  if job["first"]:
    outcome["embeddings"] = comparison.frame_embeddings(model, test[0],
                                                        job["probe"])
    outcome["order_check"] = comparison.order_check(
        model, test[0][:100], job["probe"], job["window"])
    from tf_grw.analysis import diagnosis  # pylint: disable=g-import-not-at-top
    count = min(PROFILE_CLIPS, len(test[0]))
    begun = time.time()
    outcome["profile"] = diagnosis.diagnose(
        model, test[0][:count],
        labels=test[1][:count] if count >= 4 else None)
    log(f"Profiled every endpoint of {arm.name} (seed {seed}) on {count} "
        f"test clips in {time.time() - begun:.1f} s")
  if job["export_path"]:
    from tf_grw import export  # pylint: disable=g-import-not-at-top
    log(f"Exporting {arm.name} (seed {seed}) to streaming TFLite...")
    try:
      clips = test[0][:20].astype(np.float32) / 255.0
      int8_path = job["export_path"].replace(".tflite", "_int8.tflite")
      # float, then int8 calibrated on training clips streamed with states.
      for key, path, options in (
          ("tflite", job["export_path"], {}),
          ("tflite_int8", int8_path, dict(
              quantization="int8",
              representative_clips=job["train"][0][:CALIBRATION_CLIPS]))):
        export.export_tflite(model, path,
                             image_size=(job["resolution"],) * 2, **options)
        check = export.verify_tflite(path, model, clips)
        outcome[key] = {
            k: (float(v) if isinstance(v, (int, float, np.number)) else v)
            for k, v in check.items()}
        log(f"TFLite {options.get('quantization', 'float')} stream (frame "
            f"by frame) vs Keras whole clip on {len(clips)} test clips: max "
            f"abs logit diff {check['max_abs_diff']:.2e}, top-1 agreement "
            f"{check['top1_agreement']:.3f}, "
            f"{check['latency_ms_median']:.2f} ms/frame")
      from tf_grw.datasets.airplanes import CLASS_NAMES  # pylint: disable=g-import-not-at-top
      outcome["stream_plot"] = export.plot_stream_predictions(
          {"Keras": model, "TF Lite float": job["export_path"],
           "TF Lite int8": int8_path},
          test[0][0], list(CLASS_NAMES), os.path.join(
              os.path.dirname(job["export_path"]),
              f"stream_predictions_{arm.name}.png"),
          title=f"{arm.name}: class probabilities as the frames stream in "
          f"(first test clip, true class {CLASS_NAMES[int(test[1][0])]})")
    except Exception as e:  # pylint: disable=broad-except
      outcome["export_error"] = f"{type(e).__name__}: {e}"
  return outcome


def _run_jobs(jobs, workers):
  """Runs `jobs` with `_run_job`, `workers` at a time (1: in this process).

  Each job gets a fresh spawned process: its TensorFlow state starts clean,
  as `train_arm` seeds everything, so results do not depend on `workers`.
  """
  if workers == 1:
    return [_run_job(job) for job in jobs]
  import concurrent.futures  # pylint: disable=g-import-not-at-top
  import multiprocessing  # pylint: disable=g-import-not-at-top
  with concurrent.futures.ProcessPoolExecutor(
      max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
      max_tasks_per_child=1) as pool:
    return list(pool.map(_run_job, jobs))


def _load_data(output_dir, num_train, num_test, log):
  """Loads the cached clips or renders them (with a progress bar)."""
  from tf_grw.datasets import airplanes_cache  # pylint: disable=g-import-not-at-top
  start = time.time()
  splits = []
  for split, count in (("train", num_train), ("test", num_test)):
    splits.append(airplanes_cache.cached_split(
        os.path.join(output_dir, "data"), split, count, FLAGS.num_frames,
        FLAGS.resolution, FLAGS.data_seed, jitter=FLAGS.jitter,
        noise=FLAGS.noise, progress=True))
  log(f"Clips ready in {time.time() - start:.1f}s (data seed "
      f"{FLAGS.data_seed}, noise {FLAGS.noise:g}, jitter {FLAGS.jitter:g}; "
      f"cached under {os.path.join(output_dir, 'data')})")
  return splits[0], splits[1]


def _profile_row(rows, probe):
  """The profile row of a probe name ("block4" means its last layer)."""
  names = [r["endpoint"] for r in rows]
  matches = [n for n in names if n == probe] or [
      n for n in names if n.startswith(probe + "_layer")]
  return rows[names.index(matches[-1])] if matches else None


def _write_profiles(path, profiles, probes):
  """Both arms' smoothness profiles: Markdown tables and recommendations,
  and one figure per arm (`profile_<arm>.png`, trajectories at the probe).

  Returns:
    `{"profile": path, "profile_<arm>": figure path, ...}`.
  """
  lines = ["# Smoothness profile of each arm (`tf_grw.analysis.diagnose`)", ""]
  written = {"profile": path}
  for name, profile in profiles.items():
    row = _profile_row(profile.rows, probes[name])
    figure = os.path.join(os.path.dirname(path), f"profile_{name}.png")
    written[f"profile_{name}"] = profile.plot(
        figure, endpoint=row["endpoint"] if row else None)
    lines += [f"## {name} (GRW probe endpoint '{probes[name]}'; "
              f"{profile.num_clips} test clips, window {profile.window})", "",
              profile.to_markdown(), "",
              f"Recommendation (`recommend()`): "
              f"{profile.recommend()['reason']}", "",
              f"![{name}]({os.path.basename(figure)})", ""]
  with open(path, "w", encoding="utf-8") as f:
    f.write("\n".join(lines))
  return written


def _write_results(out, results, started):
  results["wall_seconds"] = time.time() - started
  tmp = os.path.join(out, "results.json.tmp")
  with open(tmp, "w", encoding="utf-8") as f:
    json.dump(results, f, indent=1)
  os.replace(tmp, os.path.join(out, "results.json"))  # Atomic.


def main(argv):
  del argv
  unknown = sorted(set(FLAGS.models) - {"movinet", "mobilenet"})
  if unknown or not FLAGS.models:
    raise ValueError(
        "Invalid value received for argument `models`. Expected a list of "
        f"movinet, mobilenet. Received: models={FLAGS.models!r}")
  workers = (FLAGS.workers if FLAGS.workers is not None
             else max(1, min(2, os.cpu_count() or 1)))
  if workers < 1:
    raise ValueError("Invalid value received for argument `workers`. "
                     f"Expected an integer >= 1. Received: workers={workers}")
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_grw.analysis import comparison  # pylint: disable=g-import-not-at-top
  from tf_grw.analysis import trajectories  # pylint: disable=g-import-not-at-top
  from tf_grw.datasets import airplanes  # pylint: disable=g-import-not-at-top
  from tf_grw.models.movinet.movinet_recipes import check_model_id  # pylint: disable=g-import-not-at-top
  if "movinet" in FLAGS.models:
    check_model_id(FLAGS.movinet_model_id)

  quick = FLAGS.quick
  num_seeds = FLAGS.num_seeds or (2 if quick else 3)
  epochs = FLAGS.epochs
  num_train = FLAGS.num_train
  num_test = FLAGS.num_test or 300
  out = os.path.abspath(FLAGS.output_dir)
  os.makedirs(out, exist_ok=True)
  started = time.time()
  log = _Tee(os.path.join(out, "demo.log"), started)
  movinet_name = f"MoViNet-{FLAGS.movinet_model_id.upper()} stream"
  names = {"movinet": movinet_name, "mobilenet": "MobileNetV3-S"}
  log(f"GRW demo: {' and '.join(names.get(m, m) for m in FLAGS.models)}, "
      f"{num_train} train / {num_test} test "
      f"clips of {FLAGS.num_frames}x{FLAGS.resolution}x{FLAGS.resolution}, "
      f"{epochs} epochs, seeds {FLAGS.seed}..{FLAGS.seed + num_seeds - 1}, "
      f"TensorFlow {tf.__version__}")
  train, test = _load_data(out, num_train, num_test, log)

  common = dict(epochs=epochs, batch_size=FLAGS.batch_size,
                learning_rate=FLAGS.learning_rate, window=FLAGS.window,
                weight=FLAGS.weight, alpha=FLAGS.alpha,
                normalization=FLAGS.normalization)
  arms, probes, exports = [], {}, {}
  if "movinet" in FLAGS.models:
    movinet_common = dict(common, model_id=FLAGS.movinet_model_id,
                          head=FLAGS.head, model_options={
        "norm_momentum": FLAGS.norm_momentum})
    taps = tuple({"endpoint": e, "center_per_frame": True}
                 if FLAGS.center_per_frame else e
                 for e in FLAGS.grw_endpoints)
    arms += [comparison.ArmConfig(name="baseline", grw_endpoints=(),
                                  **movinet_common),
             comparison.ArmConfig(name="grw", grw_endpoints=taps,
                                  **movinet_common)]
    probes.update(baseline=FLAGS.grw_endpoints[0],
                  grw=FLAGS.grw_endpoints[0])
    exports["grw"] = f"grw_{FLAGS.movinet_model_id}_stream.tflite"
  if "mobilenet" in FLAGS.models:
    mobilenet_common = dict(
        common, family="mobilenet", model_id="MobileNetV3Small",
        head="transformer", model_options={
            "norm_momentum": FLAGS.norm_momentum, "temporal_shift": True,
            "embed_dim": FLAGS.mobilenet_embed_dim, "dropout_rate": 0.0,
            "input_normalization": "none"})
    arms += [comparison.ArmConfig(name="mobilenet_baseline", grw_endpoints=(),
                                  **mobilenet_common),
             comparison.ArmConfig(name="mobilenet_grw",
                                  grw_endpoints=("embedding",),
                                  **mobilenet_common)]
    probes.update(mobilenet_baseline="embedding", mobilenet_grw="embedding")
    exports["mobilenet_grw"] = "grw_mobilenetv3s_stream.tflite"
  results = {"config": {
      "model": f"{movinet_name} (causal, 2plus1d, se 2plus3d), from scratch",
      "models": list(FLAGS.models),
      "mobilenet_model": "MobileNetV3-S per frame, causal temporal shift, "
                         "causal Transformer head (embed "
                         f"{FLAGS.mobilenet_embed_dim}), GRW on 'embedding', "
                         "from scratch",
      "num_train": num_train, "num_test": num_test,
      "num_frames": FLAGS.num_frames, "resolution": FLAGS.resolution,
      "epochs": epochs, "batch_size": FLAGS.batch_size,
      "learning_rate": FLAGS.learning_rate,
      "grw_endpoints": list(FLAGS.grw_endpoints), "window": FLAGS.window,
      "head": FLAGS.head, "normalization": FLAGS.normalization,
      "center_per_frame": FLAGS.center_per_frame,
      "data_seed": FLAGS.data_seed, "noise": FLAGS.noise,
      "jitter": FLAGS.jitter,
      "weight": FLAGS.weight, "alpha": FLAGS.alpha, "quick": quick,
      "norm_momentum": FLAGS.norm_momentum,
      "seeds": list(range(FLAGS.seed, FLAGS.seed + num_seeds)),
      "command": " ".join(sys.argv)}}
  seeds = results["config"]["seeds"]
  jobs = [{"arm": arm, "seed": seed, "train": train, "test": test,
           "num_classes": 3, "probe": probes[arm.name],
           "window": min(FLAGS.window, FLAGS.num_frames),
           "first": seed == FLAGS.seed,
           "export_path": (os.path.join(out, exports[arm.name])
                           if FLAGS.export and seed == FLAGS.seed and
                           arm.name in exports else None),
           "resolution": FLAGS.resolution,
           "log_path": os.path.join(out, "demo.log"), "started": started,
           "verbose": 0 if workers > 1 else None}
          for seed in seeds for arm in arms]  # Pairs finish together.
  log(f"{len(jobs)} runs, {workers} at a time")
  outcomes = {(job["arm"].name, job["seed"]): outcome for job, outcome in
              zip(jobs, _run_jobs(jobs, workers))}
  curves, embeddings, outputs, export_errors = {}, {}, {}, []
  profiles = {}
  for arm in arms:
    histories = [outcomes[(arm.name, seed)]["history"] for seed in seeds]
    accuracies = [history[-1]["test_accuracy"] for history in histories]
    for seed, history in zip(seeds, histories):
      curves[f"{arm.name} seed {seed}"] = history
    first = outcomes[(arm.name, FLAGS.seed)]
    embeddings[arm.name] = (first["embeddings"], test[1])
    results.setdefault("order_check", {})[arm.name] = first["order_check"]
    profiles[arm.name] = first["profile"]
    results.setdefault("profile", {})[arm.name] = first["profile"].rows
    results[arm.name] = {"test_accuracy": accuracies,
                         **comparison.summarize(accuracies),
                         "history": histories}
    results.setdefault("smoothness", {})[arm.name] = (
        trajectories.smoothness_stats(embeddings[arm.name][0]))
    if "tflite" in first:
      key = "tflite" if arm.name == "grw" else f"tflite_{arm.name}"
      results[key] = first["tflite"]
      outputs[key] = os.path.join(out, exports[arm.name])
      results[f"{key}_int8"] = first["tflite_int8"]
      outputs[f"{key}_int8"] = outputs[key].replace(".tflite", "_int8.tflite")
    if "stream_plot" in first:
      outputs[f"stream_predictions_{arm.name}"] = first["stream_plot"]
    if "export_error" in first:
      export_errors.append(f"{arm.name}: {first['export_error']}")

  traj_path = trajectories.plot_trajectories(
      embeddings, os.path.join(out, "trajectories.png"),
      class_names=list(airplanes.CLASS_NAMES),
      title="Per-frame features of test clips ("
            + ", ".join(f"{a}: '{p}'" for a, p in probes.items())
            + f"), PCA (seed {FLAGS.seed})")
  curve_path = trajectories.plot_training_curves(
      curves, os.path.join(out, "training_curves.png"),
      keys=("loss", "grw_loss", "test_accuracy"))
  outputs.update(_write_profiles(os.path.join(out, "profile.md"), profiles,
                                 probes))
  outputs.update(trajectories=traj_path, training_curves=curve_path,
                 log=os.path.join(out, "demo.log"))
  results["outputs"] = outputs
  _write_results(out, results, started)  # The table survives a failed export.
  if export_errors:
    raise RuntimeError("TFLite export failed (results.json is written): "
                       + "; ".join(export_errors))

  log("")
  log(f"Test top-1 after {epochs} epochs ({num_seeds} seeds, "
      f"{num_test} test clips):")
  for arm in arms:
    r = results[arm.name]
    per_seed = ", ".join(f"{a:.3f}" for a in r["test_accuracy"])
    log(f"  {arm.name:<18} mean {r['mean']:.3f}  sd {r['std']:.3f}  "
        f"[{per_seed}]")
  for treated, control in (("grw", "baseline"),
                           ("mobilenet_grw", "mobilenet_baseline")):
    if treated in results and control in results:
      diff = comparison.paired_difference(results[treated]["test_accuracy"],
                                          results[control]["test_accuracy"])
      results.setdefault("paired_difference", {})[treated] = diff
      interval = (f"95% CI [{100 * diff['lo']:+.1f}, "
                  f"{100 * diff['hi']:+.1f}]" if diff["n"] > 1
                  else "no interval from one seed")
      log(f"  {treated} - {control}, paired by seed: "
          f"{100 * diff['mean']:+.1f} points, {interval}, ahead on "
          f"{diff['wins']}/{diff['n']} seeds")
  for arm in arms:
    s = results["smoothness"][arm.name]
    o = results["order_check"][arm.name]
    log(f"  {arm.name:<18} '{probes[arm.name]}' accel/vel "
        f"{s['accel_to_velocity']:.2f}, "
        f"straightness {s['straightness']:.2f}; order loss ordered "
        f"{o['ordered']:.2f} vs shuffled frames {o['shuffled']:.2f}")
    log(f"  {arm.name:<18} recommendation: "
        f"{profiles[arm.name].recommend()['reason']}")
    row = _profile_row(results["profile"][arm.name], probes[arm.name])
    if row is not None:
      log(f"  {arm.name:<18} profile at '{row['endpoint']}': accel/vel "
          f"{row['accel_to_velocity']:.2f}, clock share "
          f"{row['clock_share']:.2f}, order gap (shuffled / ordered) "
          f"{row['order_gap']:.2f}"
          + ("" if row["probe_accuracy"] is None else
             f", probe top-1 {row['probe_accuracy']:.2f}"))
  _write_results(out, results, started)
  log(f"Outputs in {out}: results.json, "
      + ", ".join(os.path.basename(p) for p in outputs.values()))
  log(f"Total time {results['wall_seconds'] / 60:.1f} min")


if __name__ == "__main__":
  app.run(main)
