r"""Evidence study: where does GRW help on the airplanes task, and by how much?

Trains paired arms (identical model, data, seeds and schedule; the GRW arms
differ from the baseline only by their GRW taps) over a grid of
(regime, arm, seed), appends one JSON line per run to `--results` (resumable:
runs already in the file are skipped), and prints per cell the mean test
top-1, its spread and the paired difference GRW - baseline per seed with a
95 % t-interval. Every run also records where its features sit on the clock
question: the share of `block4`'s feature variance explained by frame index
alone (`trajectories.clock_share`) and the GRW order loss on ordered vs
shuffled test clips (`comparison.order_check`).

Protocol (issue "Evidence"): settings are chosen on development model seeds
0-4 with data seed 0 (`--phase=dev`); the choice is then re-run once on fresh
model seeds 100-104 and airplanes rendered with data seed 1
(`--phase=confirm`), and the confirmation numbers are the result.

Replication (`--phase=replicate`, declared on 2026-12-03 before any of its
runs, after the ten confirmation seeds on data seed 1 gave +5.0 points with a
95 % interval of [-1.2, +11.1]): the same chosen arm (`grw_block4`) and regime
(`n150_noisy`) once more on ten fresh model seeds 200-209 and airplanes
rendered with a third data seed (2). Nothing is chosen from it. The table
reports it on its own and pooled with the data-seed-1 confirmation seeds
("confirmation pooled": 20 pairs over two independent renderings).

Usage:
  .venv/bin/python benchmarks/grw_study.py --phase=dev
  .venv/bin/python benchmarks/grw_study.py --phase=confirm \
      --regimes=n150_noisy --arms=baseline,grw_block4_center
  .venv/bin/python benchmarks/grw_study.py --report_only --figures

A run keeps about one CPU core busy, so two study processes (say, with
`--seeds` in opposite orders) fill a 2-core machine; each checks the results
file before every run and skips what the other has finished.
"""

import dataclasses
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import numpy as np

FLAGS = flags.FLAGS


def define_flags():
  """Command-line flags (defined only when run as a script)."""
  flags.DEFINE_enum("phase", "dev", list(PHASES),
                    "dev: model seeds 0..4, data seed 0; confirm: model seeds "
                    "100..104, data seed 1; replicate: model seeds 200..209, "
                    "data seed 2.")
  flags.DEFINE_list("regimes", None, "Regimes to run (default: all).")
  flags.DEFINE_list("arms", None, "Arms to run (default: all; the baseline is "
                    "always run, as every GRW arm is paired with it).")
  flags.DEFINE_list("seeds", None, "Model seeds (default: from --phase).")
  flags.DEFINE_integer("data_seed", None, "Airplanes data seed (default: from "
                       "--phase).")
  flags.DEFINE_integer("epochs", 20, "Epochs per run.")
  flags.DEFINE_integer("num_test", 300, "Test clips.")
  flags.DEFINE_string("results", "docs/grw_study.jsonl", "JSON-lines results "
                      "file (appended to; runs already in it are skipped).")
  flags.DEFINE_string("cache_dir", "study_output", "Rendered clips and "
                      "per-run test embeddings go here.")
  flags.DEFINE_bool("report_only", False, "Only print the table of --results.")
  flags.DEFINE_bool("figures", False, "Draw docs/grw_study_*.png from the "
                    "results and saved embeddings.")


NUM_FRAMES = 8
RESOLUTION = 32
PROBE = "block4"  # Where the clock share and order check are measured.


@dataclasses.dataclass(frozen=True)
class Regime:
  """A data regime: training-set size and renderer nuisance."""
  num_train: int
  noise: float
  jitter: float


REGIMES = {
    "n150_noisy": Regime(150, 0.08, 2.0),
    "n450_noisy": Regime(450, 0.08, 2.0),
    "n150_clean": Regime(150, 0.01, 1.0),
}

# Every arm has the same model: MoViNet-A0 stream (causal) from scratch with
# the Transformer head, batch-norm momentum 0.9. Only the GRW taps differ.
ARMS = {
    "baseline": (),
    # GRW on the last stage, batch norm, alpha 0 (what `make demo` used).
    "grw_block4": ({"endpoint": "block4", "normalization": "batch_norm",
                    "alpha": 0.0},),
    # The same with the clock removed: per-frame-index batch mean subtracted.
    "grw_block4_center": ({"endpoint": "block4",
                           "normalization": "batch_norm", "alpha": 0.0,
                           "center_per_frame": True},),
    # The authors' final-layer setting: the per-frame affine embedding of the
    # Transformer head, no normalization, alpha 0.5.
    "grw_embedding": ({"endpoint": "embedding", "normalization": "none",
                       "alpha": 0.5},),
}

PHASES = {"dev": ((0, 1, 2, 3, 4), 0),
          "confirm": ((100, 101, 102, 103, 104), 1),
          "replicate": (tuple(range(200, 210)), 2)}
# Data seeds whose runs are confirmation (never used to choose a setting).
CONFIRMATION_DATA_SEEDS = (1, 2)


def load_results(path):
  """The runs of a results file, keyed by (phase, regime, arm, seed)."""
  runs = {}
  if os.path.exists(path):
    with open(path, encoding="utf-8") as f:
      for line in f:
        if line.strip():
          row = json.loads(line)
          runs[(row["data_seed"], row["regime"], row["arm"], row["seed"],
                row["epochs"])] = row
  return runs


def _append(path, row):
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with open(path, "a", encoding="utf-8") as f:
    f.write(json.dumps(row) + "\n")
    f.flush()
    os.fsync(f.fileno())  # A killed study keeps every finished run.


def load_clips(cache_dir, split, count, regime, data_seed):
  """The airplanes clips of one split of `regime` (rendered once, cached)."""
  from tf_grw.datasets import airplanes_cache  # pylint: disable=g-import-not-at-top
  return airplanes_cache.cached_split(
      os.path.join(cache_dir, "data"), split, count, NUM_FRAMES, RESOLUTION,
      data_seed, jitter=regime.jitter, noise=regime.noise)


def arm_config(arm_name, epochs):
  from tf_grw.analysis import comparison  # pylint: disable=g-import-not-at-top
  return comparison.ArmConfig(
      name=arm_name, grw_endpoints=ARMS[arm_name], head="transformer",
      window=NUM_FRAMES, epochs=epochs, batch_size=16, learning_rate=3e-3,
      model_options={"norm_momentum": 0.9})


def run_one(regime_name, arm_name, seed, data_seed, epochs, num_test,
            cache_dir, printer=print):
  """Trains one arm on one regime with one seed; returns its result row."""
  from tf_grw.analysis import comparison  # pylint: disable=g-import-not-at-top
  from tf_grw.analysis import trajectories  # pylint: disable=g-import-not-at-top
  regime = REGIMES[regime_name]
  train = load_clips(cache_dir, "train", regime.num_train, regime, data_seed)
  test = load_clips(cache_dir, "test", num_test, regime, data_seed)
  start = time.time()
  model, history = comparison.train_arm(
      arm_config(arm_name, epochs), seed, train, test, num_classes=3,
      printer=lambda line: None, verbose=0)
  seconds = time.time() - start
  probe = comparison.frame_embeddings(model, test[0], PROBE)
  embedding = comparison.frame_embeddings(model, test[0], "embedding")
  order = comparison.order_check(model, test[0][:100], PROBE, NUM_FRAMES)
  emb_dir = os.path.join(cache_dir, "embeddings")
  os.makedirs(emb_dir, exist_ok=True)
  np.savez(os.path.join(
      emb_dir, f"{regime_name}_{arm_name}_seed{seed}_data{data_seed}.npz"),
           block4=probe.astype(np.float16),
           embedding=embedding.astype(np.float16), labels=test[1])
  accuracies = [h["test_accuracy"] for h in history]
  row = {
      "regime": regime_name, "arm": arm_name, "seed": seed,
      "data_seed": data_seed, "epochs": epochs,
      "num_train": regime.num_train, "noise": regime.noise,
      "jitter": regime.jitter, "num_test": num_test,
      "grw_endpoints": list(ARMS[arm_name]),
      "test_accuracy": accuracies[-1], "best_test_accuracy": max(accuracies),
      "best_epoch": int(np.argmax(accuracies)) + 1,
      "train_accuracy": history[-1]["train_accuracy"],
      "grw_loss_first_epoch": history[0]["grw_loss"],
      "grw_loss_final": history[-1]["grw_loss"],
      "clock_share_block4": trajectories.clock_share(probe),
      "clock_share_embedding": trajectories.clock_share(embedding),
      "order_check_block4": order,
      "smoothness_embedding": trajectories.smoothness_stats(embedding),
      "test_accuracy_per_epoch": accuracies, "seconds": seconds,
  }
  printer(f"{regime_name:>11} {arm_name:>18} seed {seed:>3} data {data_seed}: "
          f"test {row['test_accuracy']:.3f} (best {row['best_test_accuracy']:.3f}"
          f" @ {row['best_epoch']}), train {row['train_accuracy']:.3f}, "
          f"clock {row['clock_share_block4']:.2f}, order "
          f"{order['ordered']:.2f}/{order['shuffled']:.2f}, {seconds:.0f}s")
  return row


def table(runs, data_seed=None):
  """Per-cell summary lines and a dict of cells (for the README/figures)."""
  from tf_grw.analysis import comparison  # pylint: disable=g-import-not-at-top
  cells = {}
  for row in runs.values():
    if data_seed is not None and row["data_seed"] != data_seed:
      continue
    key = (row["data_seed"], row["regime"], row["epochs"])
    cells.setdefault(key, {}).setdefault(row["arm"], {})[row["seed"]] = row
  lines, summary = [], []
  header = (f"{'data':>4} {'regime':>11} {'arm':>18} {'n':>2} {'mean':>6} "
            f"{'sd':>6} {'train':>6} {'clock':>5} {'paired diff [95% CI]':>26}"
            f" {'wins':>5}")
  lines.append(header)
  for key in sorted(cells):
    arms = cells[key]
    base = arms.get("baseline", {})
    for arm in sorted(arms, key=lambda a: (a != "baseline", a)):
      rows = arms[arm]
      acc = np.array([r["test_accuracy"] for r in rows.values()])
      cell = {"data_seed": key[0], "regime": key[1], "epochs": key[2],
              "arm": arm, "n": len(acc), "mean": float(acc.mean()),
              "sd": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
              "train": float(np.mean([r["train_accuracy"]
                                      for r in rows.values()])),
              "clock": float(np.mean([r["clock_share_block4"]
                                      for r in rows.values()]))}
      diff_text = wins = ""
      if arm != "baseline":
        paired = sorted(set(rows) & set(base))
        if paired:
          diff = comparison.paired_difference(
              [rows[s]["test_accuracy"] for s in paired],
              [base[s]["test_accuracy"] for s in paired])
          cell.update(diff=diff["mean"], lo=diff["lo"], hi=diff["hi"],
                      paired=diff["n"], wins=diff["wins"])
          diff_text = (f"{100 * diff['mean']:+.1f} [{100 * diff['lo']:+.1f}, "
                       f"{100 * diff['hi']:+.1f}]")
          wins = f"{diff['wins']}/{diff['n']}"
      summary.append(cell)
      lines.append(f"{key[0]:>4} {key[1]:>11} {arm:>18} {len(acc):>2} "
                   f"{cell['mean']:.3f} {cell['sd']:.3f} {cell['train']:.3f} "
                   f"{cell['clock']:.2f} {diff_text:>26} {wins:>5}")
  if data_seed is None:
    lines.extend(_pooled_lines(runs, summary))
  return lines, summary


def _pooled_lines(runs, summary):
  """Paired differences pooled over all confirmation data seeds."""
  from tf_grw.analysis import comparison  # pylint: disable=g-import-not-at-top
  lines = []
  for regime, epochs, arm in sorted({
      (c["regime"], c["epochs"], c["arm"]) for c in summary
      if c["data_seed"] in CONFIRMATION_DATA_SEEDS and "diff" in c}):
    pairs = [(runs[(d, regime, arm, s, epochs)]["test_accuracy"],
              runs[(d, regime, "baseline", s, epochs)]["test_accuracy"])
             for (d, r, a, s, e) in sorted(runs)
             if (d in CONFIRMATION_DATA_SEEDS and r == regime and a == arm
                 and e == epochs and (d, r, "baseline", s, e) in runs)]
    data_seeds = sorted({c["data_seed"] for c in summary
                         if c["regime"] == regime and c["arm"] == arm and
                         c["data_seed"] in CONFIRMATION_DATA_SEEDS})
    if len(data_seeds) < 2 or len(pairs) < 2:
      continue
    diff = comparison.paired_difference([p[0] for p in pairs],
                                        [p[1] for p in pairs])
    summary.append({"data_seed": "pooled", "regime": regime,
                    "epochs": epochs, "arm": arm, "n": diff["n"],
                    "diff": diff["mean"], "lo": diff["lo"], "hi": diff["hi"],
                    "paired": diff["n"], "wins": diff["wins"],
                    "data_seeds": data_seeds})
    lines.append(
        f"confirmation pooled (data seeds {data_seeds}) {regime} {arm}: "
        f"{100 * diff['mean']:+.1f} [{100 * diff['lo']:+.1f}, "
        f"{100 * diff['hi']:+.1f}], {diff['wins']}/{diff['n']} seeds ahead")
  return lines


def _epochs_of(runs):  # pylint: disable=invalid-name
  """The epoch count of the runs (the study uses one)."""
  return max(key[4] for key in runs)


def _learning_curve(plt, runs, summary, out_dir, data_seed=0):
  """Test top-1 vs training clips (noisy regimes of `data_seed`), per arm."""
  noisy = {name for name, r in REGIMES.items()
           if (r.noise, r.jitter) == (REGIMES["n150_noisy"].noise,
                                      REGIMES["n150_noisy"].jitter)}
  cells = [c for c in summary
           if c["data_seed"] == data_seed and c["regime"] in noisy]
  arms = [a for a in ARMS if len({c["regime"] for c in cells
                                  if c["arm"] == a}) >= 2]
  if "baseline" not in arms or len(arms) < 2:
    return None
  fig, ax = plt.subplots(figsize=(5.5, 4))
  for i, arm in enumerate(arms):
    points = sorted((REGIMES[c["regime"]].num_train, c["mean"], c["sd"],
                     c["n"]) for c in cells if c["arm"] == arm)
    xs = np.array([p[0] for p in points]) * (1 + 0.02 * i)  # Dodge bars.
    ax.errorbar(xs, [p[1] for p in points], yerr=[p[2] for p in points],
                marker="o", capsize=3, label=arm)
    for x, p in zip(xs, points):
      ax.annotate(f"n={p[3]}", (x, p[1]), textcoords="offset points",
                  xytext=(4, -10), fontsize=6)
  ax.axhline(1 / 3, color="gray", lw=0.5, ls=":")
  ax.set_xscale("log")
  ax.set_xlabel("training clips (noise 0.08, jitter 2)")
  ax.set_ylabel("test top-1 (300 clips), mean +- sd over seeds")
  ax.set_title(f"Learning curve, development data (data seed {data_seed})",
               fontsize=9)
  ax.legend(fontsize=7)
  fig.tight_layout()
  path = os.path.join(out_dir, "grw_study_learning_curve.png")
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path


def draw_figures(runs, cache_dir, out_dir="docs"):
  """Per-seed paired accuracies (and a learning curve) plus trajectories."""
  from tf_grw.analysis import trajectories  # pylint: disable=g-import-not-at-top
  from tf_grw.datasets import airplanes  # pylint: disable=g-import-not-at-top
  plt = trajectories._pyplot()  # pylint: disable=protected-access
  summary = [c for c in table(runs)[1] if c["data_seed"] != "pooled"]
  paths = []
  cells = sorted({(c["data_seed"], c["regime"]) for c in summary})
  if cells:
    fig, axes = plt.subplots(1, len(cells), figsize=(5.5 * len(cells), 4),
                             squeeze=False, sharey=True)
    for ax, (data_seed, regime) in zip(axes[0], cells):
      arms = [a for a in ARMS if any(
          c["arm"] == a and c["data_seed"] == data_seed and
          c["regime"] == regime for c in summary)]
      seeds = sorted({s for (d, r, a, s, e) in runs
                      if d == data_seed and r == regime})
      for seed in seeds:
        ys = [runs.get((data_seed, regime, a, seed, _epochs_of(runs)),
                       {}).get("test_accuracy", np.nan) for a in arms]
        ax.plot(range(len(arms)), ys, color="gray", lw=0.8, marker="o",
                ms=3)
      means = [next(c["mean"] for c in summary if c["arm"] == a and
                    c["data_seed"] == data_seed and c["regime"] == regime)
               for a in arms]
      ax.plot(range(len(arms)), means, color="C3", marker="D", lw=2,
              label="mean over seeds")
      ax.axhline(1 / 3, color="gray", lw=0.5, ls=":")
      ax.set_xticks(range(len(arms)))
      ax.set_xticklabels(arms, rotation=15, fontsize=8)
      ax.set_ylabel("test top-1 (300 clips)")
      phase = ("development: seeds 0-4, data seed 0" if data_seed == 0 else
               f"confirmation: fresh seeds, data seed {data_seed}")
      ax.set_title(f"{regime} ({phase})", fontsize=9)
      ax.legend(fontsize=7)
    fig.suptitle("GRW study: each gray line is one model seed, paired across "
                 "arms", fontsize=10)
    fig.tight_layout()
    path = os.path.join(out_dir, "grw_study_seeds.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    paths.append(path)
  curve = _learning_curve(plt, runs, summary, out_dir)
  if curve:
    paths.append(curve)
  # Trajectories: the confirmation regime's first seed, baseline vs best arm.
  confirm = [c for c in summary if c["data_seed"] == 1 and "diff" in c]
  if confirm:
    best = max(confirm, key=lambda c: c["diff"])
    seed = min(s for (d, r, a, s, e) in runs
               if d == 1 and r == best["regime"] and a == best["arm"])
    arms = {}
    files = {arm: os.path.join(cache_dir, "embeddings",
                               f"{best['regime']}_{arm}_seed{seed}_data1.npz")
             for arm in ("baseline", best["arm"])}
    missing = [f for f in files.values() if not os.path.exists(f)]
    if missing:
      print(f"Trajectory figure not redrawn: no saved embeddings {missing} "
            f"(they are written by the runs themselves into --cache_dir).")
      return paths
    for arm, file_name in files.items():
      with np.load(file_name) as data:
        arms[f"{arm} ('{PROBE}')"] = (data[PROBE].astype(np.float32),
                                      data["labels"])
    path = trajectories.plot_trajectories(
        arms, os.path.join(out_dir, "grw_study_trajectories.png"),
        class_names=list(airplanes.CLASS_NAMES),
        title=f"{best['regime']}, seed {seed}, data seed 1: per-frame "
              f"'{PROBE}' features of test clips, PCA")
    paths.append(path)
  return paths


def run_study(phase="dev", regimes=None, arms=None, seeds=None,
              data_seed=None, epochs=20, num_test=300,
              results="docs/grw_study.jsonl", cache_dir="study_output"):
  """Runs the missing (regime, arm, seed) runs of a phase; prints the table."""
  default_seeds, default_data_seed = PHASES[phase]
  seeds = [int(s) for s in seeds] if seeds else list(default_seeds)
  data_seed = default_data_seed if data_seed is None else data_seed
  regimes = list(regimes or REGIMES)
  arms = list(arms or ARMS)
  for names, known, kind in ((regimes, REGIMES, "regimes"),
                             (arms, ARMS, "arms")):
    unknown = sorted(set(names) - set(known))
    if unknown:
      raise ValueError(f"Invalid value received for argument `{kind}`. "
                       f"Expected names from {sorted(known)}. Received: "
                       f"{kind}={names}")
  if "baseline" not in arms:
    arms = ["baseline"] + arms
  done = load_results(results)
  # Seeds outermost: a partial study has paired runs for the first seeds.
  plan = [(r, a, s) for s in seeds for r in regimes for a in arms
          if (data_seed, r, a, s, epochs) not in done]
  print(f"GRW study, phase {phase}: {len(plan)} runs to do "
        f"({len(done)} in {results}), data seed {data_seed}, "
        f"{epochs} epochs, {NUM_FRAMES}x{RESOLUTION}x{RESOLUTION}",
        flush=True)
  started = time.time()
  for i, (regime, arm, seed) in enumerate(plan):
    if (data_seed, regime, arm, seed, epochs) in load_results(results):
      print(f"[{i + 1}/{len(plan)}] {regime} {arm} seed {seed}: done by "
            "another process, skipped", flush=True)
      continue  # Several processes can share one results file.
    print(f"[{i + 1}/{len(plan)}, {time.time() - started:.0f}s] ", end="",
          flush=True)
    row = run_one(regime, arm, seed, data_seed, epochs, num_test, cache_dir,
                  printer=lambda s: print(s, flush=True))
    _append(results, row)
  print("\n".join(table(load_results(results))[0]))


def main(argv):
  del argv
  if FLAGS.report_only or FLAGS.figures:
    runs = load_results(FLAGS.results)
    print("\n".join(table(runs)[0]))
    if FLAGS.figures:
      for path in draw_figures(runs, FLAGS.cache_dir):
        print(f"wrote {path}")
    return
  run_study(FLAGS.phase, FLAGS.regimes, FLAGS.arms, FLAGS.seeds,
            FLAGS.data_seed, FLAGS.epochs, FLAGS.num_test, FLAGS.results,
            FLAGS.cache_dir)


if __name__ == "__main__":
  define_flags()
  app.run(main)
