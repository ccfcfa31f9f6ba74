"""``python -m edursft kt train|evaluate|warm-start``: the student model from the shell."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import MISSING, asdict, fields

from edursft.datasets.dkvmn import read_dkvmn
from edursft.studentmodel.data import from_dkvmn
from edursft.studentmodel.evaluate import evaluate
from edursft.studentmodel.train import KTConfig, WarmStartConfig, train, warm_start

# Flags whose names differ from the config field they set.
ALIASES = {"train_file": "--train", "test_file": "--test", "valid_file": "--valid", "out_dir": "--out"}


def add_config_flags(parser: argparse.ArgumentParser, config_class: type) -> None:
    """One flag per config field (``--field-name``), defaulting to the dataclass default."""
    for f in fields(config_class):
        default = f.default if f.default is not MISSING else f.default_factory()
        flag = ALIASES.get(f.name, "--" + f.name.replace("_", "-"))
        if isinstance(default, bool):
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=default)
            continue
        kind = type(default) if default is not None else str
        parser.add_argument(flag, dest=f.name, type=kind, default=default, help=f"default {default}")


def config_from_args(config_class: type, args: argparse.Namespace):
    """The config dataclass filled from parsed flags."""
    return config_class(**{f.name: getattr(args, f.name) for f in fields(config_class)})


def _print(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps({k: v for k, v in result.items() if k != "epochs"}))
        return
    for epoch in result.get("epochs", []):
        print(f"epoch {epoch['epoch']}: loss {epoch['loss']:.4f} valid AUC {epoch['valid_auc']:.4f}")
    for key, value in result.items():
        if key != "epochs":
            print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")


def _train(args: argparse.Namespace) -> int:
    if not args.json:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    _print(train(config_from_args(KTConfig, args)), args.json)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    _print(evaluate(args.model, args.test), args.json)
    return 0


def _warm_start(args: argparse.Namespace) -> int:
    histories = from_dkvmn(read_dkvmn(args.records))
    config = config_from_args(WarmStartConfig, args)
    metrics = warm_start(args.model, histories, args.out, config)
    if args.test:
        test = evaluate(args.out, args.test)
        metrics.update(test_auc=test["auc"], test_acc=test["acc"])
    metrics["config"] = asdict(config)
    _print(metrics, args.json)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``kt`` with its train, evaluate and warm-start subcommands."""
    kt = subparsers.add_parser("kt", help="knowledge tracing: train, evaluate, warm-start")
    commands = kt.add_subparsers(dest="kt_command", required=True)

    train_parser = commands.add_parser("train", help="train on a DKVMN split, report test metrics once")
    add_config_flags(train_parser, KTConfig)
    train_parser.add_argument("--json", action="store_true", help="print one JSON object")
    train_parser.set_defaults(handler=_train)

    evaluate_parser = commands.add_parser("evaluate", help="metrics of a saved model on a DKVMN file")
    evaluate_parser.add_argument("--model", required=True, help="model directory")
    evaluate_parser.add_argument("--test", required=True, help="DKVMN file")
    evaluate_parser.add_argument("--json", action="store_true")
    evaluate_parser.set_defaults(handler=_evaluate)

    warm_parser = commands.add_parser("warm-start", help="fine-tune a saved model on new records")
    warm_parser.add_argument("--model", required=True, help="current model directory")
    warm_parser.add_argument("--records", required=True, help="new records, DKVMN format")
    warm_parser.add_argument("--out", required=True, help="directory for the new version")
    warm_parser.add_argument("--test", help="optional DKVMN file to report test AUC on")
    add_config_flags(warm_parser, WarmStartConfig)
    warm_parser.add_argument("--json", action="store_true")
    warm_parser.set_defaults(handler=_warm_start)
