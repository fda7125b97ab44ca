r"""Is my trained video model smooth? Profiles a checkpoint layer by layer.

Restores a checkpoint of a registered experiment (the newest in --model_dir
as launch/train.py writes it, else in its `final/` as launch/fit.py does;
or --checkpoint), runs
`tf_grw.analysis.diagnose` on --clips clips in inference mode, and writes to
--output_dir:

* `profile.md` and `profile.csv`: per endpoint the acceleration/velocity
  ratio, straightness, clock share, GRW order loss in true and shuffled
  order and their gap, and (with labels) a linear probe's accuracy;
* `profile.png`: the metrics over depth and PCA trajectories at the
  recommended endpoint (or --plot_endpoint);
* `recommendation.json`: where GRW should go by the documented rule
  (`SmoothnessProfile.recommend`), also printed.

--data=records reads the experiment's validation data through Model
Garden's input pipeline (`task.build_inputs`); --data=airplanes renders
the built-in airplanes test clips (--seed, as launch/fit.py) at the
experiment's frame count and size.
--streaming (causal MoViNets) runs the official stream model frame by frame.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.

Usage:
  .venv/bin/python launch/diagnose.py \
      --experiment=movinet_grw_airplanes \
      --config_file=configs/airplanes_a0_stream_grw.yaml \
      --model_dir=runs/airplanes_grw --data=airplanes --clips=64
"""

import importlib.util
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from absl import logging

FLAGS = flags.FLAGS


def define_flags():
  """Model Garden's experiment flags plus this script's, once per process.

  Each flag is defined unless another launcher loaded in the same process
  (launch/evaluate.py shares `checkpoint`, `ema` and `streaming`) already
  did.
  """
  from official.common import flags as tfm_flags  # pylint: disable=g-import-not-at-top
  if "experiment" not in FLAGS:
    tfm_flags.define_flags()
  for define, name, default, text in (
      (flags.DEFINE_string, "checkpoint", None, "Checkpoint prefix or "
       "folder (default: the newest in --model_dir)."),
      (flags.DEFINE_bool, "ema", False, "Profile the EMA weights of the "
       "checkpoint's optimizer."),
      (flags.DEFINE_bool, "streaming", False, "Run the official stream "
       "model frame by frame (causal MoViNets)."),
      (flags.DEFINE_integer, "clips", 64, "Clips to profile (at least 4)."),
      (flags.DEFINE_integer, "seed", 0, "Seed of the airplane arrays "
       "(--data=airplanes; launch/fit.py's default)."),
      (flags.DEFINE_list, "endpoints", ["all"], "Endpoints to profile "
       "(default all of them)."),
      (flags.DEFINE_string, "plot_endpoint", None, "Endpoint of the "
       "trajectory panel (default: the recommended one)."),
      (flags.DEFINE_string, "output_dir", None, "Where to write the "
       "profile (default: <model_dir>/diagnosis).")):
    if name not in FLAGS:
      define(name, default, text)
  if "data" not in FLAGS:  # As launch/fit.py defines it.
    flags.DEFINE_enum("data", "records", ["records", "airplanes"],
                      "records: the experiment's validation data; "
                      "airplanes: rendered airplanes test clips.")


def _clips_from_validation(task, params, num_clips):
  """`num_clips` clips and labels from the experiment's validation input."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  videos, labels = [], []
  count = 0
  for features, label in task.build_inputs(params.task.validation_data):
    videos.append(features["image"].numpy())
    labels.append(np.argmax(label.numpy(), axis=-1) if label.shape.rank == 2
                  else label.numpy())
    count += len(videos[-1])
    if count >= num_clips:
      break
  return (np.concatenate(videos)[:num_clips],
          np.concatenate(labels)[:num_clips])


def _clips_from_airplanes(params, num_clips, seed):
  from tf_grw.datasets import airplanes  # pylint: disable=g-import-not-at-top
  frames, height, width, _ = params.task.validation_data.feature_shape
  if height != width:
    raise app.UsageError("--data=airplanes renders square frames; the "
                         f"experiment's are {height}x{width}.")
  return airplanes.generate_split(num_clips, frames, height,
                                  airplanes.split_seed(seed, "test"))


def _evaluate_launcher():
  """launch/evaluate.py (its `restore`), loaded once per process."""
  name = "grw_launch_evaluate"
  if name not in sys.modules:
    spec = importlib.util.spec_from_file_location(name, os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "evaluate.py"))
    sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sys.modules[name])
  return sys.modules[name]


def diagnose_checkpoint(params, checkpoint, data="records", num_clips=64,
                        endpoints="all", streaming=False, ema=False,
                        seed=0):
  """Restores the experiment's model and profiles it.

  Returns:
    `(profile, checkpoint path read)`.
  """
  from official.core import task_factory  # pylint: disable=g-import-not-at-top
  from tf_grw.analysis import diagnose  # pylint: disable=g-import-not-at-top
  from tf_grw.core.errors import check_int  # pylint: disable=g-import-not-at-top
  import tf_grw.modelgarden.experiments  # pylint: disable=g-import-not-at-top,unused-import
  evaluate = _evaluate_launcher()

  num_clips = check_int("clips", num_clips, 4)
  task = task_factory.get_task(params.task)
  model = task.build_model()
  path = evaluate.restore(task, model, checkpoint, params, ema=ema)
  if data == "airplanes":
    clips, labels = _clips_from_airplanes(params, num_clips, seed)
  else:
    clips, labels = _clips_from_validation(task, params, num_clips)
  if len(clips) < 4:
    raise app.UsageError(f"The validation data holds {len(clips)} clips; "
                         "the profile needs at least 4.")
  if streaming:
    model = model.inference_model(streaming=True)
  logging.info("Profiling %d clips of %s", len(clips), clips.shape[1:])
  profile = diagnose(model, clips, endpoints=endpoints, labels=labels,
                     streaming=streaming, verbose=1)
  return profile, path


def write_outputs(profile, output_dir, plot_endpoint=None, header=""):
  """Writes profile.md/.csv/.png and recommendation.json; returns paths."""
  os.makedirs(output_dir, exist_ok=True)
  advice = profile.recommend()
  paths = {name: os.path.join(output_dir, name) for name in (
      "profile.md", "profile.csv", "profile.png", "recommendation.json")}
  texts = {
      "profile.md": (f"# Smoothness profile\n\n{header}\n\n"
                     f"{profile.to_markdown()}\n\n"
                     f"Recommendation: {advice['reason']}\n"),
      "profile.csv": profile.to_csv(),
      "recommendation.json": json.dumps(advice, indent=1) + "\n"}
  for name, text in texts.items():
    with open(paths[name] + ".partial", "w") as f:
      f.write(text)
    os.replace(paths[name] + ".partial", paths[name])  # Never half-written.
  profile.plot(paths["profile.png"], endpoint=plot_endpoint)
  return paths


def main(_):
  from official.core import train_utils  # pylint: disable=g-import-not-at-top
  import tf_grw.modelgarden.experiments  # pylint: disable=g-import-not-at-top,unused-import

  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  checkpoint = FLAGS.checkpoint or FLAGS.model_dir
  if not checkpoint:
    raise app.UsageError("--checkpoint or --model_dir is required.")
  final = os.path.join(checkpoint, "final")  # launch/fit.py's layout.
  if (not FLAGS.checkpoint and tf.train.latest_checkpoint(checkpoint) is None
      and tf.io.gfile.isdir(final)):
    checkpoint = final
  output_dir = FLAGS.output_dir or (
      os.path.join(FLAGS.model_dir, "diagnosis") if FLAGS.model_dir else None)
  if not output_dir:
    raise app.UsageError("--output_dir is required with --checkpoint alone.")
  params = train_utils.parse_configuration(FLAGS)
  endpoints = "all" if FLAGS.endpoints == ["all"] else FLAGS.endpoints
  start = time.time()
  profile, path = diagnose_checkpoint(
      params, checkpoint, data=FLAGS.data, num_clips=FLAGS.clips,
      endpoints=endpoints, streaming=FLAGS.streaming, ema=FLAGS.ema,
      seed=FLAGS.seed)
  header = (f"Checkpoint `{path}` of `{FLAGS.experiment}`; "
            f"{profile.num_clips} clips ({FLAGS.data}) of "
            f"{profile.num_frames} frames, window {profile.window}"
            f"{', streamed frame by frame' if FLAGS.streaming else ''}; "
            f"{time.time() - start:.1f} s.")
  paths = write_outputs(profile, output_dir, FLAGS.plot_endpoint, header)
  print(header)
  print(profile.to_markdown())
  print("Recommendation:", profile.recommend()["reason"])
  print("Wrote", ", ".join(paths.values()))


if __name__ == "__main__":
  define_flags()
  app.run(main)
