"""Candidates scored per second with every built-in criterion on, on real GSM8K problems.

Exercises (GSM8K questions with their worked solutions as proposed answers, a third
of them corrupted so verification has failures to find) go through all nine
exercise criteria; feedback messages built from the same problems go through the
seven criteria that judge feedback (unsafe content, length and reading level
apply to both). Both are judged by ``run_sampling`` in exact mode, batches of 32,
exactly as the pipeline does; the sentence-embedding model is loaded and the
item bank embedded before the clock starts (both once per process). Wall-clock
rates depend on what else the machine runs, so the CPU seconds this process used
are reported too. A per-criterion breakdown follows, each criterion starting from
a cold cache of candidate embeddings.
Prints the figures, then one JSON line with candidates_per_s.

    .venv/bin/python bench/criteria.py [--gsm8k ../shared/data/gsm8k/test.jsonl] [--n 256]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from edursft import embedding  # noqa: E402
from edursft.criteria import Candidate, CriteriaContext, load_spec  # noqa: E402
from edursft.sampling import run_sampling  # noqa: E402

SKILLS = {
    "money_word_problems": "Word problems about prices, costs, earnings and change.",
    "rates_and_time": "Problems about speed, time, work rates and schedules.",
    "fractions_and_percentages": "Finding fractions and percentages of amounts.",
    "multi_step_arithmetic": "Word problems needing several of the four operations in turn.",
}
EXERCISE_SPEC = {
    "kind": "exercise",
    "mode": "exact",
    "beta": 0.5,
    "criteria": [
        {"name": "answer_verified", "hard": True},
        {"name": "unsafe_content", "hard": True},
        {"name": "banned_terms", "hard": True, "params": {"terms": ["calculator"]}},
        {"name": "length", "hard": True, "params": {"min_words": 8, "max_words": 200}},
        {"name": "novelty", "hard": True, "params": {"max_similarity": 0.95}},
        {"name": "skill_relevance", "weight": 1.0, "params": {"min_similarity": 0.2}},
        {"name": "difficulty_band", "weight": 1.0},
        {"name": "reading_level", "weight": 0.5, "params": {"max_grade": 8}},
        {
            "name": "required_terms",
            "weight": 0.25,
            "params": {"terms": ["how many", "how much"], "match": "any"},
        },
    ],
}
FEEDBACK_SPEC = {
    "kind": "feedback",
    "mode": "exact",
    "beta": 1.0,
    "criteria": [
        {"name": "no_answer_reveal", "hard": True},
        {"name": "unsafe_content", "hard": True},
        {"name": "feedback_length", "hard": True},
        {"name": "banned_terms", "hard": True, "params": {"terms": ["stupid"]}},
        {"name": "addresses_mistake", "weight": 2.0},
        {"name": "reading_level", "weight": 0.5, "params": {"max_grade": 8}},
        {"name": "required_terms", "weight": 0.25, "params": {"terms": ["check", "look"], "match": "any"}},
    ],
}


def read_gsm8k(path: Path, n: int, offset: int = 0) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    return records[offset : offset + n]


def exercises(records: list[dict]) -> list[Candidate]:
    names = list(SKILLS)
    candidates = []
    for i, record in enumerate(records):
        solution = record["answer"]
        answer = solution.rsplit("####", 1)[1].strip()
        if i % 3 == 2:  # corrupt the final answer and its line, as a sloppy generator would
            answer = str(int(answer.replace(",", "")) + 1)
            solution = solution.rsplit("####", 1)[0] + f"#### {answer}"
        candidates.append(
            Candidate(text=record["question"], answer=answer, solution=solution, skill=names[i % 4])
        )
    return candidates


def feedback(records: list[dict]) -> list[Candidate]:
    templates = [
        "You answered {wrong}. Look again at the last step of your working.",
        "Check your working: is {wrong} really what the question asks for?",
        "The correct answer is {right}.",
        "Nearly there! Re-read the question and check each step.",
    ]
    candidates = []
    for i, record in enumerate(records):
        right = record["answer"].rsplit("####", 1)[1].strip()
        wrong = str(int(right.replace(",", "")) + 2)
        text = templates[i % len(templates)].format(wrong=wrong, right=right)
        context = {"exercise": record["question"], "correct_answer": right, "wrong_answer": wrong}
        candidates.append(Candidate(text=text, kind="feedback", context=context))
    return candidates


def timed_run(
    candidates: list[Candidate], spec_data: dict, context: CriteriaContext
) -> tuple[float, float, dict]:
    """Wall-clock and CPU seconds of judging every candidate, and the run's statistics."""
    spec = load_spec({**spec_data, "budget": len(candidates), "n_accept": len(candidates), "batch_size": 32})
    started, cpu_started = time.perf_counter(), time.process_time()
    run = run_sampling(candidates, spec, context=context, seed=0)
    return time.perf_counter() - started, time.process_time() - cpu_started, run.stats()


def per_criterion(candidates: list[Candidate], spec_data: dict, context: CriteriaContext) -> dict[str, float]:
    spec = load_spec(spec_data)
    figures = {}
    for criterion_spec in spec.criteria:
        embedding.clear_cache(c.text for c in candidates)  # the bank stays cached: once per process
        criterion = criterion_spec.build()
        started = time.perf_counter()
        for start in range(0, len(candidates), 32):
            criterion.evaluate(candidates[start : start + 32], context)
        figures[criterion_spec.label] = len(candidates) / (time.perf_counter() - started)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gsm8k", default=str(ROOT / ".." / "shared" / "data" / "gsm8k" / "test.jsonl"))
    parser.add_argument("--n", type=int, default=256, help="exercises and feedback messages each")
    parser.add_argument(
        "--bank", type=int, default=500, help="GSM8K problems (after the candidates) as item bank"
    )
    args = parser.parse_args()

    path = Path(args.gsm8k)
    records = read_gsm8k(path, args.n)
    bank = [r["question"] for r in read_gsm8k(path, args.bank, offset=args.n)]
    context = CriteriaContext(skill_descriptions=SKILLS, existing_texts=bank)
    load_started = time.perf_counter()
    embedding.embed(bank)  # model load + bank embeddings: once per process, not per candidate
    setup_s = time.perf_counter() - load_started
    ex, fb = exercises(records), feedback(records)
    print(f"{len(ex)} exercises and {len(fb)} feedback messages from {path}; bank of {len(bank)} problems")
    print(
        f"torch threads {torch.get_num_threads()} ({embedding.THREADS} for sentence embeddings), "
        f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"setup (model load + bank embedding): {setup_s:.1f} s")

    exercise_s, exercise_cpu, exercise_stats = timed_run(ex, EXERCISE_SPEC, context)
    feedback_s, feedback_cpu, feedback_stats = timed_run(fb, FEEDBACK_SPEC, context)
    total = len(ex) + len(fb)
    rate = total / (exercise_s + feedback_s)
    cpu_rate = total / (exercise_cpu + feedback_cpu)
    print(
        f"exercises: {len(ex) / exercise_s:.1f}/s (accepted {exercise_stats['accepted']}, "
        f"rejections {exercise_stats['rejection_reasons']})"
    )
    print(
        f"feedback:  {len(fb) / feedback_s:.1f}/s (accepted {feedback_stats['accepted']}, "
        f"rejections {feedback_stats['rejection_reasons']})"
    )
    print(f"all: {rate:.1f} candidates/s wall clock, {cpu_rate:.1f} per CPU-second of this process")

    print("per criterion (candidates/s, cold embedding cache):")
    breakdown = {**per_criterion(ex, EXERCISE_SPEC, context)}
    breakdown.update({f"feedback.{k}": v for k, v in per_criterion(fb, FEEDBACK_SPEC, context).items()})
    for label, value in breakdown.items():
        print(f"  {label:<28} {value:10.1f}")
    embedding.clear_cache(c.text for c in ex)
    started = time.perf_counter()
    embedding.embed([c.text for c in ex])
    embed_rate = len(ex) / (time.perf_counter() - started)
    print(f"sentence embeddings alone: {embed_rate:.1f} texts/s")
    print(json.dumps({
        "candidates_per_s": round(rate, 1),
        "exercise_candidates_per_s": round(len(ex) / exercise_s, 1),
        "feedback_candidates_per_s": round(len(fb) / feedback_s, 1),
        "candidates_per_cpu_s": round(cpu_rate, 1),
        "embeddings_per_s": round(embed_rate, 1),
        "candidates": total,
        "load_average": round(os.getloadavg()[0], 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
