"""``python -m edursft recommend evaluate|student``: the policy from the shell."""

from __future__ import annotations

import argparse
import json

from edursft.datasets.dkvmn import read_dkvmn, read_skill_map
from edursft.recommender.policy import PolicyConfig, recommend
from edursft.recommender.simulator import SimulationConfig, evaluate_strategies, skill_bank
from edursft.studentmodel.artifacts import load_student_model
from edursft.studentmodel.cli import add_config_flags, config_from_args
from edursft.studentmodel.data import from_dkvmn
from edursft.studentmodel.mastery import mastery_state


def _policy_config(args: argparse.Namespace) -> PolicyConfig:
    return config_from_args(PolicyConfig, args)


def _evaluate(args: argparse.Namespace) -> int:
    believed = load_student_model(args.model)
    truth = load_student_model(args.simulator) if args.simulator else believed
    histories = from_dkvmn(read_dkvmn(args.histories))
    config = SimulationConfig(
        n_students=args.students,
        prior_attempts=args.prior_attempts,
        steps=args.steps,
        seed=args.seed,
        policy=_policy_config(args),
    )
    result = evaluate_strategies(truth, believed, histories, config)
    if args.json:
        print(json.dumps(result))
    else:
        for name in ("policy", "random", "fixed"):
            print(
                f"{name:>6}: mean mastery gain {result[f'{name}_gain']:+.4f}, "
                f"reached mastery {result[f'{name}_reached_mastery_share']:.0%}, "
                f"answered correctly {result[f'{name}_correct_share']:.0%}"
            )
    return 0


def _student(args: argparse.Namespace) -> int:
    model = load_student_model(args.model)
    history = from_dkvmn(read_dkvmn(args.histories))[args.index]
    names = read_skill_map(args.skill_map) if args.skill_map else None
    state = mastery_state(model, history)
    ranked = recommend(model, state, skill_bank(model), _policy_config(args), skill_names=names)
    if args.json:
        print(json.dumps([r.__dict__ for r in ranked]))
    else:
        for r in ranked:
            print(f"{r.item_id}: {r.reason}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``recommend`` with its evaluate and student subcommands."""
    recommend_parser = subparsers.add_parser("recommend", help="recommendation policy")
    commands = recommend_parser.add_subparsers(dest="recommend_command", required=True)

    evaluate_parser = commands.add_parser(
        "evaluate", help="simulated mastery gain: policy vs random items vs fixed order"
    )
    evaluate_parser.add_argument("--model", required=True, help="student model the policy uses")
    evaluate_parser.add_argument("--simulator", help="model that plays the students (default: --model)")
    evaluate_parser.add_argument("--histories", required=True, help="DKVMN file seeding the students")
    evaluate_parser.add_argument("--students", type=int, default=SimulationConfig.n_students)
    evaluate_parser.add_argument("--prior-attempts", type=int, default=SimulationConfig.prior_attempts)
    evaluate_parser.add_argument("--steps", type=int, default=SimulationConfig.steps)
    evaluate_parser.add_argument("--seed", type=int, default=SimulationConfig.seed)
    add_config_flags(evaluate_parser, PolicyConfig)
    evaluate_parser.add_argument("--json", action="store_true")
    evaluate_parser.set_defaults(handler=_evaluate)

    student_parser = commands.add_parser("student", help="recommendations for one student of a DKVMN file")
    student_parser.add_argument("--model", required=True)
    student_parser.add_argument("--histories", required=True, help="DKVMN file")
    student_parser.add_argument("--index", type=int, default=0, help="which student (0-based)")
    student_parser.add_argument("--skill-map", help="id<TAB>name file for readable reasons")
    add_config_flags(student_parser, PolicyConfig)
    student_parser.add_argument("--json", action="store_true")
    student_parser.set_defaults(handler=_student)
