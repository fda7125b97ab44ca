"""Tests of `tf_grw.datasets.video_listing`: the three listing readers."""

import csv
import os
import re
import shutil

import pytest

from tf_grw.datasets import label_map as lm
from tf_grw.datasets import video_listing as vl
from video_fixtures import videos  # pylint: disable=g-bad-import-order,unused-import
from video_fixtures import GOOD  # pylint: disable=g-bad-import-order
from video_fixtures import BAD  # pylint: disable=g-bad-import-order
from video_fixtures import error  # pylint: disable=g-bad-import-order


def test_list_video_folders(videos):
  entries = vl.list_video_folders(videos["root"])
  assert all(isinstance(e, tuple) and len(e) == 2 for e in entries)
  names = [(e.label, os.path.basename(e.path)) for e in entries]
  expected = sorted([(label, name) for label, name, _ in GOOD] +
                    [("red", name) for name in BAD])
  assert names == expected  # Sorted; readme.txt and hidden folder ignored.
  assert all(os.path.isabs(e.path) for e in entries)
  assert vl.list_class_folders(videos["root"]) == ["blue", "green", "red"]
  assert lm.build_label_map(entries) == {"blue": 0, "green": 1, "red": 2}


def test_list_path_csv(videos, tmp_path):
  paths = videos["paths"]
  (tmp_path / "clips").mkdir()
  shutil.copy(paths["b1.mp4"], tmp_path / "clips" / "one.mp4")
  csv_path = tmp_path / "list.csv"
  csv_path.write_text("path,label\n"
                      "clips/one.mp4,blue\n"
                      f"{paths['r1.mp4']},red\n"
                      "\n"
                      "clips/missing.mp4,green\n")
  entries = vl.list_path_csv(csv_path)
  assert entries == [
      (str(tmp_path / "clips" / "one.mp4"), "blue"),
      (paths["r1.mp4"], "red"),
      (str(tmp_path / "clips" / "missing.mp4"), "green"),
  ]
  # No header: the first two columns are path and label.
  csv_path.write_text("clips/one.mp4,blue\n")
  assert vl.list_path_csv(csv_path) == [
      (str(tmp_path / "clips" / "one.mp4"), "blue")]
  csv_path.write_text("path,label\nclips/one.mp4\n")
  with pytest.raises(ValueError, match=re.escape(
      "Expected a CSV of `path,label` rows (line 2 is ['clips/one.mp4'])")):
    vl.list_path_csv(csv_path)


def test_list_kinetics_csv(videos, tmp_path):
  paths = videos["paths"]
  root = tmp_path / "kinetics"
  name = vl.kinetics_filename
  # Directly in root, in root/<label>/ and in root/<split>/<label_>/.
  (root / "playing guitar").mkdir(parents=True)
  (root / "val" / "air_drumming").mkdir(parents=True)
  shutil.copy(paths["b1.mp4"], root / name("aaa", 1, 11))
  shutil.copy(paths["g1.mp4"], root / "playing guitar" / name("bbb", 2, 12))
  shutil.copy(paths["r1.mp4"],
              root / "val" / "air_drumming" / name("ccc", 30, 40))
  csv_path = tmp_path / "kinetics.csv"
  with open(csv_path, "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["label", "youtube_id", "time_start", "time_end", "split",
                     "is_cc"])
    writer.writerow(["abseiling", "aaa", "1", "11", "train", "0"])
    writer.writerow(["playing guitar", "bbb", "2", "12", "train", "0"])
    writer.writerow(["air drumming", "ccc", "30", "40", "val", "0"])
    writer.writerow(["abseiling", "gone", "5", "15", "train", "0"])
  entries = vl.list_kinetics_csv(csv_path, root)
  assert entries == [
      (str(root / "aaa_000001_000011.mp4"), "abseiling"),
      (str(root / "playing guitar" / "bbb_000002_000012.mp4"),
       "playing guitar"),
      (str(root / "val" / "air_drumming" / "ccc_000030_000040.mp4"),
       "air drumming"),
      # Not found: listed anyway so prepare_records reports it missing.
      (str(root / "gone_000005_000015.mp4"), "abseiling"),
  ]
  assert [e.label for e in vl.list_kinetics_csv(csv_path, root, "val")] == [
      "air drumming"]
  assert len(vl.list_kinetics_csv(csv_path, root, split="train")) == 3
  with pytest.raises(ValueError, match=error(
      "split", "one of the CSV's split values ['train', 'val']", "test")):
    vl.list_kinetics_csv(csv_path, root, split="test")
  bad = tmp_path / "bad.csv"
  bad.write_text("youtube_id,time_start,time_end,split\naaa,1,11,test\n")
  with pytest.raises(ValueError, match=re.escape(
      "Expected a Kinetics CSV whose header has the columns "
      "label,youtube_id,time_start,time_end,split (found "
      "youtube_id,time_start,time_end,split)")):
    vl.list_kinetics_csv(bad, root)
