"""Warm start vs full retrain, mastery update latency, and the policy on simulated students.

    .venv/bin/python bench/recommend.py [--data DIR] [--new-fraction 0.3] [--full-model DIR]

1. The ASSIST2009 train file is split by student into "earlier" records and
   "new" records (``--new-fraction``). A model trained on the earlier records is
   warm-started on the new ones; a full retrain uses all of them (or, with
   ``--full-model``, a model already trained with the defaults on the whole file,
   e.g. by bench/kt.py, whose recorded training time is used). Both are scored on
   the test file.
2. Live mastery update latency (one record) and the batch recompute per student.
3. The recommendation policy, random items and a fixed curriculum, each for
   ``--steps`` items on the same simulated students (seeded from test histories).
   The full-retrain model plays the students; the warm-started one drives the
   policy, so the policy is not graded by its own model.

CPU is shared with other jobs: the load average is printed with the figures.
Ends with one JSON line (policy_gain, random_gain, fixed_gain, warm_start_s,
full_retrain_s, ..., mastery_update_ms).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from edursft.datasets.dkvmn import read_dkvmn  # noqa: E402
from edursft.recommender.simulator import SimulationConfig, evaluate_strategies  # noqa: E402
from edursft.studentmodel.artifacts import load_student_model, save_student_model  # noqa: E402
from edursft.studentmodel.data import from_dkvmn, split_students  # noqa: E402
from edursft.studentmodel.evaluate import evaluate  # noqa: E402
from edursft.studentmodel.mastery import (  # noqa: E402
    mastery_from_histories,
    new_mastery_state,
    update_mastery,
)
from edursft.studentmodel.train import KTConfig, WarmStartConfig, train_histories, warm_start  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "assist2009"


def train_and_save(histories: list, config: KTConfig, out: Path) -> float:
    """Train from scratch on histories, save, return the seconds it took."""
    started = time.perf_counter()
    model = train_histories(histories, config)
    seconds = time.perf_counter() - started
    model.metrics = {**model.metrics, "train_s": seconds}
    save_student_model(model, out)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "recommend")
    parser.add_argument("--new-fraction", type=float, default=0.3)
    parser.add_argument("--full-model", type=Path, help="model trained on the whole train file")
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    train_file = args.data / "assist2009_updated_train.csv"
    test_file = args.data / "assist2009_updated_test.csv"
    histories = from_dkvmn(read_dkvmn(train_file))
    earlier_idx, new_idx = split_students(len(histories), args.new_fraction, args.seed)
    earlier = [histories[i] for i in earlier_idx]
    new = [histories[i] for i in new_idx]
    config = KTConfig(seed=args.seed)

    earlier_s = train_and_save(earlier, config, args.out / "earlier")
    started = time.perf_counter()
    warm = warm_start(args.out / "earlier", new, args.out / "warm", WarmStartConfig(seed=args.seed))
    warm_s = time.perf_counter() - started
    if args.full_model:
        full_dir = args.full_model
        full_s = float(load_student_model(full_dir).metrics["train_s"])
    else:
        full_dir = args.out / "full"
        full_s = train_and_save(histories, config, full_dir)
    earlier_auc = evaluate(args.out / "earlier", test_file)["auc"]
    warm_auc = evaluate(args.out / "warm", test_file)["auc"]
    full_auc = evaluate(full_dir, test_file)["auc"]
    print(f"earlier records only ({len(earlier)} students): test AUC {earlier_auc:.4f}, {earlier_s:.0f} s")
    print(
        f"warm start on {len(new)} new students: test AUC {warm_auc:.4f} in {warm_s:.0f} s "
        f"({warm['best_epoch']} of {len(warm['epochs'])} epochs kept)"
    )
    print(f"full retrain on all {len(histories)} students: test AUC {full_auc:.4f} in {full_s:.0f} s")

    # Live updates and recommendations serve one student at a time: one thread is
    # what a web or pipeline worker would use, and it is the steadiest on a shared CPU.
    torch.set_num_threads(1)
    full = load_student_model(full_dir)
    tested = from_dkvmn(read_dkvmn(test_file))
    longest = max(tested, key=len)
    state = new_mastery_state(full)
    timings = []
    for skills, response in zip(longest.skills[:300], longest.responses[:300], strict=True):
        started = time.perf_counter()
        update_mastery(full, state, skills, response)
        timings.append(1000 * (time.perf_counter() - started))
    started = time.perf_counter()
    mastery_from_histories(full, tested)
    batch_ms = 1000 * (time.perf_counter() - started) / len(tested)
    print(
        f"live mastery update: median {np.median(timings):.2f} ms, p95 {np.percentile(timings, 95):.2f} ms "
        f"({len(full.skill_ids)} skills); batch recompute {batch_ms:.2f} ms per student"
    )

    simulation = SimulationConfig(n_students=args.students, steps=args.steps, seed=args.seed)
    result = evaluate_strategies(full, load_student_model(args.out / "warm"), tested, simulation)
    for name in ("policy", "random", "fixed"):
        print(
            f"{name:>6}: mean mastery gain {result[f'{name}_gain']:+.4f}, "
            f"reached mastery {result[f'{name}_reached_mastery_share']:.0%}, "
            f"answered correctly {result[f'{name}_correct_share']:.0%} "
            f"({result['n_students']} students x {result['steps']} items)"
        )
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores, shared)")
    figures = {
        "policy_gain": result["policy_gain"],
        "random_gain": result["random_gain"],
        "fixed_gain": result["fixed_gain"],
        "policy_reached_mastery_share": result["policy_reached_mastery_share"],
        "random_reached_mastery_share": result["random_reached_mastery_share"],
        "fixed_reached_mastery_share": result["fixed_reached_mastery_share"],
        "warm_start_s": warm_s,
        "full_retrain_s": full_s,
        "warm_start_auc": warm_auc,
        "full_retrain_auc": full_auc,
        "earlier_only_auc": earlier_auc,
        "mastery_update_ms": float(np.median(timings)),
        "mastery_update_p95_ms": float(np.percentile(timings, 95)),
        "batch_mastery_ms_per_student": batch_ms,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
