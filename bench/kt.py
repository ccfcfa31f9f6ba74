"""Train the student model with its default settings on ASSIST2009 and report test figures.

    .venv/bin/python bench/kt.py [--data DIR] [--out DIR] [--threads N] [--refit]

Validation is carved from the train file and chooses the epoch count (with
``--refit`` the model kept is then retrained on all the train file's students);
the test file is read once at the end.
The machine's load average is printed with the figures because other jobs may
share the CPU. Ends with one JSON line: test_auc, test_acc, train_s, peak_mem_mb.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edursft.studentmodel.train import KTConfig, train  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "assist2009"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the DKVMN split")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "kt"), help="model directory")
    parser.add_argument("--threads", type=int, default=KTConfig.threads, help="torch threads (0: default)")
    parser.add_argument(
        "--refit", action=argparse.BooleanOptionalAction, default=KTConfig.refit, help="KTConfig.refit"
    )
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    config = KTConfig(
        train_file=str(args.data / "assist2009_updated_train.csv"),
        test_file=str(args.data / "assist2009_updated_test.csv"),
        out_dir=args.out,
        threads=args.threads,
        refit=args.refit,
    )
    metrics = train(config)
    for epoch in metrics["epochs"]:
        print(f"epoch {epoch['epoch']:2d}  loss {epoch['loss']:.4f}  valid AUC {epoch['valid_auc']:.4f}")
    print(f"best epoch {metrics['best_epoch']}, validation AUC {metrics['valid_auc']:.4f}")
    if metrics["refit_epochs"]:
        print(f"refit on all train-file students for {metrics['refit_epochs']} epochs (the model kept)")
    print(f"test AUC {metrics['test_auc']:.4f} (DKVMN paper: DKVMN 0.8157, DKT 0.8053)")
    print(f"test accuracy {metrics['test_acc']:.4f} over {metrics['test_n']} attempts")
    print(f"training {metrics['train_s']:.0f} s, peak memory {metrics['peak_mem_mb']:.0f} MB")
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores, shared)")
    print(f"model saved to {args.out}")
    keys = ("test_auc", "test_acc", "train_s", "peak_mem_mb", "valid_auc", "best_epoch", "refit_epochs")
    print(json.dumps({key: metrics[key] for key in keys}))


if __name__ == "__main__":
    main()
