"""The sampler: exact mode samples p ∝ q·1[hard]·exp(r/β); best_of_n and threshold filter as documented."""

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.stats import chisquare

from edursft.criteria import Candidate, CriteriaContext, Criterion, Outcome, load_spec, register
from edursft.sampling import run_sampling


@register("toy_score")
@dataclass
class ToyScore(Criterion):
    """Test criterion: the score is read from the candidate (a known table)."""

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        return [Outcome(True, float(c.context["score"])) for c in candidates]


@register("toy_hard")
@dataclass
class ToyHard(Criterion):
    """Test criterion: passes unless the candidate is marked forbidden."""

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        return [Outcome.of(not c.context.get("forbidden", False), "forbidden") for c in candidates]


Q = np.array([0.40, 0.25, 0.15, 0.12, 0.08])
SCORES = np.array([0.0, 0.3, 0.6, 0.9, 1.0])
FORBIDDEN = np.array([False, False, True, False, False])
WEIGHT, BETA = 2.0, 0.5


def _toy(item: int) -> Candidate:
    return Candidate(
        text=f"item {item}",
        prompt_id=str(item),
        context={"score": float(SCORES[item]), "forbidden": bool(FORBIDDEN[item])},
    )


def _proposals(seed: int) -> Iterator[Candidate]:
    """An endless stream from the discrete proposal q."""
    rng = np.random.default_rng(seed)
    while True:
        yield _toy(int(rng.choice(len(Q), p=Q)))


def _spec(**overrides: object) -> dict:
    return {
        "mode": "exact",
        "beta": BETA,
        "budget": 30_000,
        "n_accept": 30_000,
        "batch_size": 256,
        "criteria": [{"name": "toy_hard", "hard": True}, {"name": "toy_score", "weight": WEIGHT}],
        **overrides,
    }


@pytest.fixture(scope="module")
def exact_run():
    return run_sampling(_proposals(seed=1), load_spec(_spec()), seed=2)


def _counts(candidates: list[Candidate]) -> np.ndarray:
    return np.bincount([int(c.prompt_id) for c in candidates], minlength=len(Q))


def test_exact_mode_samples_the_tilted_target(exact_run) -> None:
    target = Q * ~FORBIDDEN * np.exp(WEIGHT * SCORES / BETA)
    target /= target.sum()
    observed = _counts(exact_run.accepted)
    allowed = ~FORBIDDEN
    assert observed[FORBIDDEN].sum() == 0
    result = chisquare(observed[allowed], target[allowed] * observed.sum())
    assert result.pvalue > 0.001, (observed, target * observed.sum())


def test_chi_square_would_catch_an_untilted_sampler(exact_run) -> None:
    """The test above has power: the proposal itself (no exp(r/β) tilt) is clearly rejected."""
    untilted = Q * ~FORBIDDEN
    untilted /= untilted.sum()
    observed = _counts(exact_run.accepted)
    allowed = ~FORBIDDEN
    assert chisquare(observed[allowed], untilted[allowed] * observed.sum()).pvalue < 1e-9


def test_mean_acceptance_probability_estimates_one_over_m(exact_run) -> None:
    r_max = WEIGHT
    inverse_m = float((Q * ~FORBIDDEN * np.exp((WEIGHT * SCORES - r_max) / BETA)).sum())
    stats = exact_run.stats()
    assert stats["mean_acceptance_prob"] == pytest.approx(inverse_m, rel=0.03)
    assert stats["acceptance_rate"] == pytest.approx(inverse_m, rel=0.05)
    assert stats["acceptance_rate"] == stats["accepted"] / stats["proposals"]


def test_stats_record_rejection_reasons_and_pass_rates(exact_run) -> None:
    stats = exact_run.stats()
    assert stats["proposals"] == 30_000 and stats["budget_exhausted"]
    forbidden = sum(d.candidate.context["forbidden"] for d in exact_run.decisions)
    assert stats["rejection_reasons"]["hard: toy_hard"] == forbidden
    lost = stats["proposals"] - stats["accepted"] - forbidden
    assert stats["rejection_reasons"]["exact: lost the acceptance draw"] == lost
    assert stats["criteria"]["toy_hard"]["pass_rate"] == pytest.approx(1 - forbidden / 30_000)
    assert stats["criteria"]["toy_score"]["evaluated"] == 30_000 - forbidden  # skipped after the hard failure
    assert stats["proposals_per_accepted"] == pytest.approx(stats["proposals"] / stats["accepted"])


def test_best_of_n_keeps_the_top_k_of_each_group() -> None:
    scores = [0.1, 0.9, 0.5, 0.7, 0.3, 0.3, 0.8, 0.2]
    forbidden = [False, True, False, False, False, False, False, False]
    candidates = [
        Candidate(text=f"c{i}", prompt_id=str(i), context={"score": s, "forbidden": f})
        for i, (s, f) in enumerate(zip(scores, forbidden, strict=True))
    ]
    spec = load_spec(_spec(mode="best_of_n", best_of_n={"n": 4, "k": 2}, budget=8, n_accept=8))
    run = run_sampling(candidates, spec)
    # Group 1: c1 (0.9) is forbidden, so c3 (0.7) and c2 (0.5); group 2: c6 (0.8) and c4 (0.3, earlier tie).
    assert [c.prompt_id for c in run.accepted] == ["2", "3", "4", "6"]
    assert run.stats()["rejection_reasons"] == {"best_of_n: not in the top k": 3, "hard: toy_hard": 1}


def test_threshold_accepts_exactly_the_hard_passing_at_or_above_it() -> None:
    candidates = [_toy(i) for i in range(len(Q))]
    spec = load_spec(_spec(mode="threshold", threshold=1.2, budget=5, n_accept=5))
    run = run_sampling(candidates, spec)
    # r = 2 * score: items 0..4 have r 0, 0.6, 1.2 (forbidden), 1.8, 2.0.
    assert [c.prompt_id for c in run.accepted] == ["3", "4"]
    assert all(d.acceptance_prob == float(d.accepted) for d in run.decisions)


def test_a_spent_budget_ends_the_run_cleanly_and_says_so() -> None:
    never = (_toy(2) for _ in itertools.count())  # an endless stream that always fails the hard check
    run = run_sampling(never, load_spec(_spec(budget=300, n_accept=5)))
    assert run.budget_exhausted
    assert run.stats()["stopped"] == "budget exhausted"
    assert len(run.decisions) == 300 and run.accepted == []
    assert run.stats()["acceptance_rate"] == 0.0 and run.stats()["proposals_per_accepted"] is None


def test_running_out_of_proposals_is_not_budget_exhaustion() -> None:
    run = run_sampling([_toy(0), _toy(2)], load_spec(_spec(budget=100, n_accept=5)))
    assert not run.budget_exhausted
    assert run.stats()["stopped"] == "proposals ran out"
    assert len(run.decisions) == 2


def test_proposals_are_pulled_lazily_and_stop_at_n_accept() -> None:
    pulled = []

    def stream() -> Iterator[Candidate]:
        for i in itertools.count():
            pulled.append(i)
            yield _toy(4)  # r = r_max: always accepted

    run = run_sampling(stream(), load_spec(_spec(batch_size=8)), n_accept=3)
    assert len(run.accepted) == 3 and run.stats()["stopped"] == "n_accept reached"
    assert len(pulled) == 8  # one batch, not the whole budget
    assert run.pulled_unused == 5


def test_the_same_seed_gives_the_same_run() -> None:
    spec = load_spec(_spec(budget=500, n_accept=500))
    first = run_sampling(itertools.islice(_proposals(3), 500), spec, seed=9)
    second = run_sampling(itertools.islice(_proposals(3), 500), spec, seed=9)
    assert [d.accepted for d in first.decisions] == [d.accepted for d in second.decisions]


def test_acceptance_probability_is_exp_of_r_minus_r_max_over_beta() -> None:
    run = run_sampling([_toy(1)], load_spec(_spec(budget=1, n_accept=1)))
    assert run.decisions[0].acceptance_prob == pytest.approx(math.exp((2 * 0.3 - 2.0) / BETA))
    assert run.decisions[0].scores == {"toy_hard": 1.0, "toy_score": 0.3}


@register("toy_expensive")
@dataclass
class ToyExpensive(Criterion):
    """Test criterion: records which candidates it was shown."""

    cost = 2

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        shown_to_expensive.extend(c.prompt_id for c in candidates)
        return [Outcome(True, 1.0) for _ in candidates]


shown_to_expensive: list[str] = []


@pytest.mark.parametrize(
    ("evaluate_all", "expected"), [(False, ["0", "1", "3"]), (True, ["0", "1", "2", "3"])]
)
def test_expensive_criteria_skip_candidates_that_failed_a_hard_check(
    evaluate_all: bool, expected: list[str]
) -> None:
    shown_to_expensive.clear()
    spec = _spec(budget=4, n_accept=4, mode="threshold", threshold=0)
    # Listed first, but run after the cheap hard check.
    spec["criteria"] = [{"name": "toy_expensive", "hard": True}, {"name": "toy_hard", "hard": True}]
    run = run_sampling([_toy(i) for i in range(4)], load_spec(spec), evaluate_all=evaluate_all)
    assert shown_to_expensive == expected
    assert [d.accepted for d in run.decisions] == [True, True, False, True]
    # Pass rates after skipping are conditional on the hard checks run before.
    conditional_on = run.stats()["criteria"]["toy_expensive"]["conditional_on"]
    assert conditional_on == ([] if evaluate_all else ["toy_hard"])
