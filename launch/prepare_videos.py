r"""Labelled raw videos -> sharded TFRecords for Model Garden's video input.

Writes `{split}-{i:05d}-of-{n:05d}.tfrecord` files of `tf.train.SequenceExample`
(context `clip/label/index`, feature list `image/encoded` of JPEG frames) plus
`label_map.json`, `{split}_skipped.csv` (unusable videos and why) and
`{split}_manifest.json` (resumption state) under --output_dir. Rerunning the
same command resumes: finished shards are kept, the others are (re)built.
See `tf_grw/datasets/video_records.py` (and `video_listing.py`,
`label_map.py`, `video_decoding.py`) for the details.

Input layouts (--layout):
  kinetics_csv  --input is a Kinetics annotation CSV
                (label,youtube_id,time_start,time_end,split), --videos_root the
                folder of downloaded clips named
                {youtube_id}_{time_start:06d}_{time_end:06d}.mp4 (searched in
                root/, root/<label>/, root/<split>/<label>/); --split filters
                the CSV's split column and names the output.
  folders       --input is a root with one sub-folder per class
                (UCF101/HMDB51 style); --split only names the output.
  path_csv      --input is a CSV of path,label rows (relative paths are
                relative to the CSV's folder); --split only names the output.

Label map: --label_map if given (.json {"name": index} or list, or .txt one
class per line), else --output_dir/label_map.json if it exists (so all splits
share it), else the sorted class names (for --layout=folders: the class
folders, including empty ones).

Usage:
  .venv/bin/python launch/prepare_videos.py --layout=folders \
      --input=/data/UCF-101 --output_dir=/data/ucf101_records --split=train \
      --fps=25 --short_side=256 --num_shards=16 --num_workers=8
"""

import collections
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_enum("layout", None, ["kinetics_csv", "folders", "path_csv"],
                  "How the input videos are listed.")
flags.DEFINE_string("input", None, "The CSV (kinetics_csv, path_csv) or the "
                    "class-folder root (folders).")
flags.DEFINE_string("videos_root", None, "Folder of the Kinetics clips "
                    "(kinetics_csv only).")
flags.DEFINE_string("output_dir", None, "Where the records go.")
flags.DEFINE_string("split", "train", "Split name of the output files; for "
                    "kinetics_csv also the value of the CSV's split column "
                    "to keep.")
flags.DEFINE_float("fps", 25.0, "Output frame rate (frames picked by time).")
flags.DEFINE_integer("short_side", 256, "Short side of stored frames, pixels "
                     "(0 keeps the source size).")
flags.DEFINE_integer("num_shards", 16, "Number of TFRecord shards.")
flags.DEFINE_integer("num_workers", None, "Decoding processes (default: CPU "
                     "count; 0 decodes in the main process).")
flags.DEFINE_integer("max_frames", None, "Keep at most this many frames per "
                     "video.")
flags.DEFINE_integer("jpeg_quality", 90, "JPEG quality of stored frames.")
flags.DEFINE_string("label_map", None, "Existing label map file (.json or "
                    ".txt) to use instead of building one.")
flags.DEFINE_bool("overwrite", False, "Delete this split's existing shards "
                  "first (needed after changing inputs or settings).")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.mark_flags_as_required(["layout", "input", "output_dir"])

_MAX_LISTED = 10


def _run():
  """Lists the inputs, writes the records and prints a summary."""
  # pylint: disable-next=g-import-not-at-top
  from tf_grw.datasets import label_map as lm  # pylint: disable=g-import-not-at-top
  from tf_grw.datasets import video_listing as vl  # pylint: disable=g-import-not-at-top
  from tf_grw.datasets import video_records as vr  # pylint: disable=g-import-not-at-top

  if FLAGS.layout == "kinetics_csv":
    if not FLAGS.videos_root:
      raise ValueError("--videos_root is required with --layout=kinetics_csv")
    entries = vl.list_kinetics_csv(FLAGS.input, FLAGS.videos_root,
                                   split=FLAGS.split)
  elif FLAGS.layout == "folders":
    entries = vl.list_video_folders(FLAGS.input)
  else:
    entries = vl.list_path_csv(FLAGS.input)
  print(f"Listed {len(entries)} videos ({FLAGS.layout}: {FLAGS.input}).")

  existing = os.path.join(FLAGS.output_dir, lm.LABEL_MAP_FILENAME)
  if FLAGS.label_map:
    label_map = lm.load_label_map(FLAGS.label_map)
    source = FLAGS.label_map
  elif os.path.exists(existing):
    label_map = lm.load_label_map(existing)
    source = f"{existing} (existing)"
  elif FLAGS.layout == "folders":
    label_map = lm.build_label_map(vl.list_class_folders(FLAGS.input))
    source = "class folders"
  else:
    label_map = lm.build_label_map(entries)
    source = "labels of the listed videos"
  print(f"Label map: {len(label_map)} classes from {source}.")

  report = vr.prepare_records(
      entries, FLAGS.output_dir, FLAGS.split, label_map, fps=FLAGS.fps,
      short_side=FLAGS.short_side or None, num_shards=FLAGS.num_shards,
      num_workers=FLAGS.num_workers, max_frames=FLAGS.max_frames,
      jpeg_quality=FLAGS.jpeg_quality, overwrite=FLAGS.overwrite,
      progress=FLAGS.progress)

  print(f"Wrote {report.num_written} examples ({report.num_frames} frames) "
        f"in {len(report.shard_paths)} shards: {report.file_pattern}")
  print(f"  shards written now: {report.num_shards_written}, reused from an "
        f"earlier run: {report.num_shards_reused}")
  print(f"  label map: {report.label_map_path}")
  print(f"  manifest: {report.manifest_path}")
  print(f"Skipped {report.num_skipped} videos (list: "
        f"{report.skipped_report_path})")
  reasons = collections.Counter(s.reason for s in report.skipped)
  for reason, count in reasons.most_common():
    print(f"  {count} x {reason}")
  for skipped in report.skipped[:_MAX_LISTED]:
    print(f"  - {skipped.path}: {skipped.reason}")
  if report.num_skipped > _MAX_LISTED:
    print(f"  ... and {report.num_skipped - _MAX_LISTED} more")
  if report.notes:
    print(f"Notes on {len(report.notes)} videos, e.g. {report.notes[0][0]}: "
          f"{report.notes[0][1]}")
  print(f"Model Garden DataConfig: input_path='{report.file_pattern}', "
        f"num_classes={len(label_map)}, "
        f"min_image_size={FLAGS.short_side or '<source size>'}")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  try:
    _run()
  except ValueError as e:
    sys.exit(f"prepare_videos: error: {e}")


if __name__ == "__main__":
  app.run(main)
