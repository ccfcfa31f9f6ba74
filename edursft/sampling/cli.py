"""``python -m edursft sample``: score and filter a file of candidates against a criteria file.

It is also what a teacher's criteria preview runs: the statistics show how many
candidates pass each criterion and why the others were rejected.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from edursft.criteria import Candidate, CriteriaContext, SpecError, load_spec
from edursft.sampling.rejection import SamplingRun, run_sampling


def read_candidates(path: Path) -> list[Candidate]:
    """One JSON object a line (text, answer, skill, kind, solution, log_q, context ...); errors name it."""
    candidates = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                candidates.append(Candidate.from_dict(json.loads(line)))
            except (json.JSONDecodeError, ValueError, TypeError) as error:
                raise ValueError(f"{path}, line {number}: {error}") from error
    return candidates


def read_bank(path: Path) -> list[str]:
    """Existing item texts: a JSON list of strings, JSON lines with "text", or plain lines."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        texts = json.loads(raw)
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ValueError(f"{path}: expected a JSON list of strings")
        return texts
    if path.suffix == ".jsonl":
        return [json.loads(line)["text"] for line in raw.splitlines() if line.strip()]
    return [line.strip() for line in raw.splitlines() if line.strip()]


def read_skills(path: Path) -> dict[str, str]:
    """Skill name -> description, from a JSON object."""
    skills = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(skills, dict) or not all(isinstance(v, str) for v in skills.values()):
        raise ValueError(f"{path}: expected a JSON object of skill name -> description")
    return skills


def _report(run: SamplingRun) -> str:
    stats = run.stats()
    lines = [
        f"mode {stats['mode']}, beta {stats['beta']:g}, r_max {stats['r_max']:g}: "
        f"{stats['accepted']} accepted of {stats['proposals']} proposals ({stats['stopped']})",
    ]
    if stats["proposals"]:
        lines.append(
            f"acceptance rate {stats['acceptance_rate']:.3f}, mean acceptance probability "
            f"{stats['mean_acceptance_prob']:.3f}, hard pass rate {stats['hard_pass_rate']:.3f}"
        )
    for label, criterion in stats["criteria"].items():
        role = "hard" if criterion["hard"] else f"soft w={criterion['weight']:g}"
        if not criterion["evaluated"]:
            lines.append(f"  {label:<20} {role:<12} not evaluated")
            continue
        score = criterion["score"]["mean"]
        lines.append(
            f"  {label:<20} {role:<12} pass {criterion['pass_rate']:.2f}  mean score {score:.2f}"
            f"  ({criterion['evaluated']} judged)"
        )
    for reason, count in stats["rejection_reasons"].items():
        lines.append(f"  rejected {count:>4}: {reason}")
    return "\n".join(lines)


def sample_command(args: argparse.Namespace) -> int:
    """Handler of ``sample``: exit 0 on success, 2 on invalid input (the message names the problem)."""
    try:
        spec = load_spec(Path(args.criteria))
        candidates = read_candidates(Path(args.candidates))
        context = CriteriaContext(
            skill_descriptions=read_skills(Path(args.skills)) if args.skills else {},
            existing_texts=read_bank(Path(args.bank)) if args.bank else [],
        )
    except SpecError as error:
        print(f"invalid criteria file: {error}", file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # A preview judges every candidate unless asked to stop earlier.
    n_accept = args.n_accept if args.n_accept is not None else len(candidates) or 1
    if args.n_accept is None:
        spec = replace(spec, budget=max(spec.budget, len(candidates)))
    run = run_sampling(
        candidates,
        spec,
        context=context,
        n_accept=n_accept,
        seed=args.seed,
        evaluate_all=not args.skip_after_hard_failure,
    )
    if args.decisions:
        with Path(args.decisions).open("w", encoding="utf-8") as out:
            for decision in run.decisions:
                out.write(json.dumps(decision.to_dict()) + "\n")
    if args.accepted:
        with Path(args.accepted).open("w", encoding="utf-8") as out:
            for candidate in run.accepted:
                out.write(json.dumps(candidate.to_dict()) + "\n")
    if args.json:
        payload: dict[str, Any] = {"stats": run.stats(), "spec": spec.to_dict()}
        print(json.dumps(payload, indent=2))
    else:
        print(_report(run))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sample`` subcommand."""
    parser = subparsers.add_parser(
        "sample",
        help="score and filter candidates against a criteria file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--criteria", required=True, help="criteria file (JSON)")
    parser.add_argument("--candidates", required=True, help="candidates, one JSON object a line")
    parser.add_argument("--skills", help="JSON object: skill name -> description (for skill_relevance)")
    parser.add_argument("--bank", help="existing items for novelty: .json list, .jsonl with text, or lines")
    parser.add_argument(
        "--n-accept", type=int, help="stop after this many accepted (default: judge every candidate)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the acceptance draws (exact mode)")
    parser.add_argument("--decisions", help="write every decision as JSON lines to this file")
    parser.add_argument("--accepted", help="write the accepted candidates as JSON lines to this file")
    parser.add_argument(
        "--skip-after-hard-failure",
        action="store_true",
        help="do not run the remaining criteria on a candidate that failed a hard one (faster; "
        "by default every criterion judges every candidate, as a preview should)",
    )
    parser.add_argument("--json", action="store_true", help="print the statistics as JSON")
    parser.set_defaults(handler=sample_command)
