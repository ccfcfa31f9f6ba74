"""Commands of the generator: ``pretrain``, ``generate``, ``evaluate-generator`` and ``rsft``.

Flags map one to one onto the config dataclasses; anything not given keeps the
dataclass default (or the chosen preset's).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from edursft.generation.sampling import SamplingConfig


def _add_sampling_flags(parser: argparse.ArgumentParser) -> None:
    defaults = SamplingConfig()
    parser.add_argument("--temperature", type=float, default=defaults.temperature)
    parser.add_argument("--top-k", type=int, default=defaults.top_k, help="0 switches top-k off")
    parser.add_argument(
        "--top-p", type=float, default=defaults.top_p, help="1.0 switches nucleus sampling off"
    )
    parser.add_argument("--samples-per-prompt", type=int, default=defaults.samples_per_prompt)
    parser.add_argument("--prompts-per-batch", type=int, default=defaults.prompts_per_batch)
    parser.add_argument("--max-new-tokens", type=int, default=defaults.max_new_tokens)
    parser.add_argument("--seed", type=int, default=defaults.seed)


def _sampling_config(args: argparse.Namespace) -> SamplingConfig:
    return SamplingConfig(
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        samples_per_prompt=args.samples_per_prompt,
        prompts_per_batch=args.prompts_per_batch,
        max_new_tokens=args.max_new_tokens,
        seed=args.seed,
    )


def _pretrain(args: argparse.Namespace) -> int:
    from edursft.generation.pretrain import preset_config, pretrain

    overrides = {
        key: value
        for key, value in {
            "max_minutes": args.max_minutes,
            "max_steps": args.max_steps,
            "seed": args.seed,
            "corpus_limit": args.corpus_limit,
            "digit_tokens": args.digit_tokens,
        }.items()
        if value is not None
    }
    config = preset_config(
        args.preset, out=Path(args.out), corpora=tuple(Path(p) for p in args.corpus), **overrides
    )
    path = pretrain(config)
    metadata = json.loads((path / "edursft.json").read_text(encoding="utf-8"))
    print(json.dumps({"model": str(path), **metadata["metrics"]}))
    return 0


def _generate(args: argparse.Namespace) -> int:
    from edursft.generation.prompts import Request
    from edursft.generation.sampling import propose
    from edursft.generation.store import load_generator

    generator = load_generator(args.model)
    request = Request(
        args.kind,
        args.skill,
        args.level,
        args.problem or "",
        args.correct_answer or "",
        args.wrong_answer or "",
    )
    config = _sampling_config(args)
    for candidate in propose(generator, [request], config):
        row = asdict(candidate)
        row["context"] = {
            k: v for k, v in row["context"].items() if k not in ("completion_ids", "raw", "prompt")
        }
        print(json.dumps(row))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from edursft.generation.evaluate import perplexity
    from edursft.generation.pretrain import held_out_examples
    from edursft.generation.store import load_generator

    generator = load_generator(args.model)
    print(
        json.dumps({"model": args.model, "held_out_perplexity": perplexity(generator, held_out_examples(2))})
    )
    return 0


def _rsft(args: argparse.Namespace) -> int:
    from edursft.generation.finetune import FinetuneConfig
    from edursft.generation.rounds import RsftConfig, run_rsft

    config = RsftConfig(
        model=Path(args.model),
        criteria=Path(args.criteria),
        out=Path(args.out),
        rounds=args.rounds,
        eval_criteria=Path(args.eval_criteria) if args.eval_criteria else None,
        kind=args.kind,
        prompts_per_round=args.prompts_per_round,
        eval_prompts=args.eval_prompts,
        restart_from_base=not args.continue_training,
        max_per_prompt=args.max_per_prompt,
        max_per_phrasing=args.max_per_phrasing,
        proposal_temperature=args.proposal_temperature,
        resample_hard=args.resample_hard,
        fresh_original=args.fresh_original,
        seed=args.seed,
        sampling=_sampling_config(args),
        finetune=FinetuneConfig(
            epochs=args.epochs,
            learning_rate=args.learning_rate,
            original_mix=args.original_mix,
            patience=args.patience,
            lora=args.lora,
            seed=args.seed,
            max_minutes=args.finetune_minutes,
        ),
    )

    def show(report) -> None:
        row = asdict(report)
        if args.json:
            row.pop("sampling_stats")
            print(json.dumps(row), flush=True)
            return
        print(
            f"round {report.round}: acceptance {report.acceptance_rate:.3f}  "
            f"mean accept prob {report.mean_acceptance_prob}  verified {report.verified_rate}  "
            f"distinct-1/2 {report.distinct1:.3f}/{report.distinct2:.3f}  ppl {report.perplexity:.2f}  "
            f"proposals/accepted {report.proposals_per_accepted}  pool {report.pool}  "
            f"wall {report.wall_seconds:.0f}s",
            flush=True,
        )

    run_rsft(config, on_round=show)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the generator's subcommands to ``python -m edursft``."""
    from edursft.generation.pretrain import PRESETS

    pre = subparsers.add_parser(
        "pretrain", help="train the bootstrap generator and its tokenizer from scratch"
    )
    pre.add_argument(
        "--corpus", nargs="*", default=[], help="exercise corpora (GSM8K / OATutor JSON lines, .gz ok)"
    )
    pre.add_argument("--out", required=True, help="directory of the new generator version")
    pre.add_argument(
        "--preset", choices=sorted(PRESETS), default="default", help="quick: a few minutes, for demos"
    )
    pre.add_argument("--max-minutes", type=float, help="training-loop wall-clock budget")
    pre.add_argument("--max-steps", type=int)
    pre.add_argument("--corpus-limit", type=int, help="at most this many documents per corpus")
    pre.add_argument("--seed", type=int)
    pre.add_argument(
        "--digit-tokens",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="split numbers into single-digit tokens (default: whole numbers, see docs/generation.md)",
    )
    pre.set_defaults(handler=_pretrain)

    gen = subparsers.add_parser("generate", help="sample candidates from a generator, one JSON line each")
    gen.add_argument("--model", required=True)
    gen.add_argument("--kind", choices=("exercise", "feedback"), default="exercise")
    gen.add_argument("--skill", required=True)
    gen.add_argument("--level", type=int, default=2, choices=(1, 2, 3))
    gen.add_argument("--problem", help="feedback: the exercise")
    gen.add_argument("--correct-answer", help="feedback: the right answer")
    gen.add_argument("--wrong-answer", help="feedback: the student's answer")
    _add_sampling_flags(gen)
    gen.set_defaults(handler=_generate)

    ev = subparsers.add_parser("evaluate-generator", help="held-out perplexity of a saved generator")
    ev.add_argument("--model", required=True)
    ev.set_defaults(handler=_evaluate)

    rs = subparsers.add_parser("rsft", help="rejection-sampling fine-tuning rounds (resumable)")
    rs.add_argument("--model", required=True, help="starting generator directory")
    rs.add_argument("--criteria", required=True, help="criteria spec (JSON) used to accept samples")
    rs.add_argument("--eval-criteria", help="held-out criteria spec for evaluation (default: --criteria)")
    rs.add_argument("--rounds", type=int, default=3)
    rs.add_argument("--out", required=True, help="run directory; rerun with the same one to resume")
    rs.add_argument("--json", action="store_true", help="one JSON line per round")
    rs.add_argument("--kind", choices=("exercise", "feedback"), default="exercise")
    rs.add_argument("--prompts-per-round", type=int, default=96)
    rs.add_argument("--eval-prompts", type=int, default=64)
    rs.add_argument("--max-per-prompt", type=int, default=4)
    rs.add_argument(
        "--max-per-phrasing",
        type=int,
        default=2,
        help="per skill, accepted samples of one phrasing (numbers masked) kept in the pool; 0: no cap",
    )
    rs.add_argument(
        "--proposal-temperature", type=float, help="training proposals' temperature (default: --temperature)"
    )
    rs.add_argument(
        "--resample-hard",
        type=int,
        default=0,
        help="more proposals for each prompt short of --max-per-prompt accepted samples (0: off)",
    )
    rs.add_argument(
        "--continue-training",
        action="store_true",
        help="fine-tune the last round's model instead of restarting from the base model (ReST-EM)",
    )
    rs.add_argument("--epochs", type=int, default=3)
    rs.add_argument("--learning-rate", type=float, default=3e-4)
    rs.add_argument("--original-mix", type=float, default=0.5, help="original documents per accepted sample")
    rs.add_argument(
        "--fresh-original",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="mix new draws of the seed templates each round, not the pre-training draw",
    )
    rs.add_argument(
        "--patience", type=int, default=1, help="epochs without held-out improvement before stopping"
    )
    rs.add_argument(
        "--finetune-minutes",
        type=float,
        default=5.0,
        help="wall-clock budget of each round's fine-tuning; the learning rate anneals by it",
    )
    rs.add_argument("--lora", action="store_true")
    _add_sampling_flags(rs)
    rs.set_defaults(handler=_rsft)
