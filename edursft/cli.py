"""The engine's command line: ``python -m edursft COMMAND ...``.

Each engine subpackage owns its commands in a ``cli`` module exposing
``register(subparsers)``; this module only assembles them, so the engine can be
driven without Django.
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Sequence

# Modules that contribute subcommands; each defines register(subparsers).
COMMAND_MODULES: tuple[str, ...] = (
    "edursft.studentmodel.cli",
    "edursft.recommender.cli",
    "edursft.generation.cli",
    "edursft.sampling.cli",
)


def build_parser() -> argparse.ArgumentParser:
    """Parser with every engine subcommand registered."""
    parser = argparse.ArgumentParser(prog="python -m edursft", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; the handler returns the process exit code."""
    # Models are only ever loaded from local directories.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)
