"""Tests of benchmarks/grw_study.py's bookkeeping (no training here)."""

import importlib.util
import json
import os
import sys

import numpy as np
import pytest

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def study():
  spec = importlib.util.spec_from_file_location(
      "grw_study_under_test", os.path.join(_REPO, "benchmarks",
                                           "grw_study.py"))
  module = importlib.util.module_from_spec(spec)
  sys.modules[spec.name] = module
  spec.loader.exec_module(module)
  return module


def _row(arm, seed, acc, data_seed=0, regime="n150_noisy"):
  return {"regime": regime, "arm": arm, "seed": seed, "data_seed": data_seed,
          "epochs": 20, "test_accuracy": acc, "train_accuracy": 1.0,
          "clock_share_block4": 0.1}


def test_table_pairs_arms_by_seed(study, tmp_path):
  path = str(tmp_path / "r.jsonl")
  base = [0.50, 0.60, 0.55]
  grw = [0.60, 0.58, 0.65]
  for seed, (b, g) in enumerate(zip(base, grw)):
    study._append(path, _row("baseline", seed, b))
    study._append(path, _row("grw_block4", seed, g))
  # An unpaired GRW seed (no baseline) must not enter the difference.
  study._append(path, _row("grw_block4", 9, 0.99))
  runs = study.load_results(path)
  assert len(runs) == 7
  _, cells = study.table(runs)
  grw_cell = next(c for c in cells if c["arm"] == "grw_block4")
  d = np.subtract(grw, base)
  assert grw_cell["paired"] == 3 and grw_cell["wins"] == 2
  assert grw_cell["diff"] == pytest.approx(d.mean())
  half = 4.302653 * d.std(ddof=1) / np.sqrt(3)  # t(0.975, 2), textbook.
  assert grw_cell["lo"] == pytest.approx(d.mean() - half, rel=1e-5)
  assert grw_cell["n"] == 4  # The unpaired seed still counts in the mean.
  assert grw_cell["mean"] == pytest.approx(np.mean(grw + [0.99]))


def test_data_seeds_are_separate_cells(study, tmp_path):
  path = str(tmp_path / "r.jsonl")
  study._append(path, _row("baseline", 0, 0.5, data_seed=0))
  study._append(path, _row("baseline", 0, 0.7, data_seed=1))
  _, cells = study.table(study.load_results(path))
  assert sorted((c["data_seed"], c["mean"]) for c in cells) == [(0, 0.5),
                                                                (1, 0.7)]


def test_resume_skips_finished_runs(study, tmp_path, monkeypatch):
  path = str(tmp_path / "r.jsonl")
  study._append(path, _row("baseline", 0, 0.5))
  calls = []

  def fake_run(regime, arm, seed, data_seed, epochs, num_test, cache_dir,
               printer=print):
    calls.append((regime, arm, seed))
    return _row(arm, seed, 0.4, data_seed, regime)

  monkeypatch.setattr(study, "run_one", fake_run)
  study.run_study(regimes=["n150_noisy"], arms=["grw_block4"], seeds=[0, 1],
                  results=path)
  assert calls == [("n150_noisy", "grw_block4", 0),
                   ("n150_noisy", "baseline", 1),
                   ("n150_noisy", "grw_block4", 1)]
  with open(path, encoding="utf-8") as f:
    assert len([json.loads(l) for l in f]) == 4


def test_unknown_arm_is_refused(study, tmp_path):
  with pytest.raises(ValueError, match=r"Invalid value received for "
                     r"argument `arms`\. Expected names from \["):
    study.run_study(arms=["grw_everywhere"], results=str(tmp_path / "r"))


def test_figures_are_drawn(study, tmp_path):
  path = str(tmp_path / "r.jsonl")
  emb = tmp_path / "cache" / "embeddings"
  emb.mkdir(parents=True)
  rng = np.random.default_rng(0)
  for data_seed in (0, 1):
    for seed, (b, g) in enumerate([(0.5, 0.6), (0.4, 0.45)]):
      seed += 100 * data_seed
      for arm, acc in (("baseline", b), ("grw_block4", g)):
        study._append(path, _row(arm, seed, acc, data_seed))
        np.savez(emb / f"n150_noisy_{arm}_seed{seed}_data{data_seed}.npz",
                 block4=rng.normal(size=(6, 8, 4)).astype(np.float16),
                 embedding=rng.normal(size=(6, 8, 4)).astype(np.float16),
                 labels=np.arange(6) % 3)
  paths = study.draw_figures(study.load_results(path),
                             str(tmp_path / "cache"), out_dir=str(tmp_path))
  assert [os.path.basename(p) for p in paths] == [
      "grw_study_seeds.png", "grw_study_trajectories.png"]
  assert all(os.path.getsize(p) > 10_000 for p in paths)


def test_confirmation_data_seeds_are_pooled(study, tmp_path):
  path = str(tmp_path / "r.jsonl")
  pairs = {1: [(0.40, 0.50), (0.45, 0.44)], 2: [(0.50, 0.62), (0.41, 0.47)]}
  for data_seed, rows in pairs.items():
    for i, (b, g) in enumerate(rows):
      seed = 100 * data_seed + i
      study._append(path, _row("baseline", seed, b, data_seed))
      study._append(path, _row("grw_block4", seed, g, data_seed))
  study._append(path, _row("baseline", 0, 0.1, 0))  # Dev: never pooled.
  study._append(path, _row("grw_block4", 0, 0.9, 0))
  lines, cells = study.table(study.load_results(path))
  pooled = [c for c in cells if c["data_seed"] == "pooled"]
  assert len(pooled) == 1 and pooled[0]["data_seeds"] == [1, 2]
  d = np.array([g - b for rows in pairs.values() for b, g in rows])
  half = 3.182446 * d.std(ddof=1) / 2  # t(0.975, 3), textbook; sqrt(4) = 2.
  assert pooled[0]["n"] == 4 and pooled[0]["wins"] == 3
  assert pooled[0]["diff"] == pytest.approx(d.mean())
  assert pooled[0]["hi"] == pytest.approx(d.mean() + half, rel=1e-5)
  assert any(line.startswith("confirmation pooled") for line in lines)


def test_runs_finished_by_another_process_are_skipped(study, tmp_path,
                                                      monkeypatch):
  path = str(tmp_path / "r.jsonl")
  calls = []

  def fake_run(regime, arm, seed, data_seed, epochs, num_test, cache_dir,
               printer=print):
    calls.append((arm, seed))
    if not calls[1:]:  # Meanwhile another process finishes seed 1's baseline.
      study._append(path, _row("baseline", 1, 0.3, data_seed, regime))
    return _row(arm, seed, 0.4, data_seed, regime)

  monkeypatch.setattr(study, "run_one", fake_run)
  study.run_study(regimes=["n150_noisy"], arms=["baseline"], seeds=[0, 1],
                  results=path)
  assert calls == [("baseline", 0)]


def test_learning_curve_is_drawn(study, tmp_path):
  path = str(tmp_path / "r.jsonl")
  for regime in ("n150_noisy", "n450_noisy"):
    for seed in (0, 1):
      for arm, acc in (("baseline", 0.5 + 0.05 * seed),
                       ("grw_block4", 0.55 + 0.02 * seed)):
        study._append(path, _row(arm, seed, acc, 0, regime))
  paths = study.draw_figures(study.load_results(path), str(tmp_path / "c"),
                             out_dir=str(tmp_path))
  assert [os.path.basename(p) for p in paths] == [
      "grw_study_seeds.png", "grw_study_learning_curve.png"]
  assert os.path.getsize(paths[1]) > 10_000
