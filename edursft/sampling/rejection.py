"""Rejection sampling of generated exercises and feedback against a teacher's criteria.

``exact`` mode draws exact samples from

    p(x) ∝ q(x) · 1[all hard criteria pass] · exp(r(x) / β),   r(x) = Σ_i w_i s_i(x),

where q is the generator. Each soft score s_i lies in [0, 1], so r(x) ≤ r_max =
Σ_i w_i, and accepting a proposal x ~ q with probability
a(x) = 1[hard] · exp((r(x) − r_max) / β) ≤ 1 is the accept–reject method (von
Neumann 1951) with envelope M·q(x) ≥ p̃(x)/Z, M = exp(r_max/β) / Z,
Z = E_q[1[hard] exp(r/β)]. Accepted samples are distributed exactly as p; the
acceptance probability per proposal is E_q[a] = 1/M, which ``mean_acceptance_prob``
estimates. docs/criteria.md has the derivation. q's density is never needed, only
samples from it.

``best_of_n`` keeps the top k of every n consecutive proposals by r among those
passing the hard criteria; ``threshold`` accepts when the hard criteria pass and
r ≥ threshold. Both are deterministic filters, not samplers of p.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np

from edursft.criteria.candidate import Candidate
from edursft.criteria.context import CriteriaContext
from edursft.criteria.registry import Criterion, Outcome
from edursft.criteria.spec import CriteriaSpec, CriterionSpec

DRAW_LOST = "exact: lost the acceptance draw"
NOT_TOP_K = "best_of_n: not in the top k"
BELOW_THRESHOLD = "threshold: r below the threshold"


@dataclass
class Decision:
    """What happened to one proposal: each criterion's outcome, r, acceptance probability, verdict."""

    index: int  # 0-based position in the proposal stream
    candidate: Candidate
    outcomes: dict[str, Outcome]  # by criterion label
    hard_passed: bool
    reward: float
    acceptance_prob: float
    accepted: bool
    reasons: list[str] = field(default_factory=list)  # why it was rejected, one line per cause

    @property
    def scores(self) -> dict[str, float]:
        """Each criterion's score in [0, 1], by label."""
        return {label: outcome.score for label, outcome in self.outcomes.items()}

    @property
    def passed(self) -> dict[str, bool]:
        """Whether each criterion passed, by label."""
        return {label: outcome.passed for label, outcome in self.outcomes.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for storing runs."""
        return {
            "index": self.index,
            "candidate": self.candidate.to_dict(),
            "outcomes": {
                label: {"passed": o.passed, "score": o.score, "reason": o.reason}
                for label, o in self.outcomes.items()
            },
            "hard_passed": self.hard_passed,
            "reward": self.reward,
            "acceptance_prob": self.acceptance_prob,
            "accepted": self.accepted,
            "reasons": list(self.reasons),
        }


def _summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "std": None, "min": None, "p10": None, "p50": None, "p90": None, "max": None}
    array = np.asarray(values, dtype=float)
    p10, p50, p90 = np.percentile(array, [10, 50, 90])
    return {
        "mean": float(array.mean()),
        "std": float(array.std()),
        "min": float(array.min()),
        "p10": float(p10),
        "p50": float(p50),
        "p90": float(p90),
        "max": float(array.max()),
    }


@dataclass
class SamplingRun:
    """Result of :func:`run_sampling`: accepted candidates, one decision per proposal, why it stopped."""

    spec: CriteriaSpec
    seed: int
    n_accept: int
    accepted: list[Candidate]
    decisions: list[Decision]
    budget_exhausted: bool
    stopped: str  # "n_accept reached", "budget exhausted" or "proposals ran out"
    pulled_unused: int  # proposals drawn in the last batch after n_accept was reached
    elapsed_s: float
    # Per criterion label: the hard criteria a proposal had to pass before this one
    # judged it (empty for every criterion with evaluate_all); its pass rate is
    # conditional on passing them.
    conditional_on: dict[str, list[str]] = field(default_factory=dict)

    def stats(self) -> dict[str, Any]:
        """JSON-ready statistics of the run (what the pipeline stores and the CLI prints)."""
        proposals = len(self.decisions)
        accepted = len(self.accepted)
        per_criterion: dict[str, Any] = {}
        for criterion in self.spec.criteria:
            outcomes = [d.outcomes[criterion.label] for d in self.decisions if criterion.label in d.outcomes]
            scores = [o.score for o in outcomes]
            histogram, _ = np.histogram(scores, bins=10, range=(0.0, 1.0))
            per_criterion[criterion.label] = {
                "name": criterion.name,
                "hard": criterion.hard,
                "weight": criterion.weight,
                "evaluated": len(outcomes),
                "pass_rate": (sum(o.passed for o in outcomes) / len(outcomes)) if outcomes else None,
                "conditional_on": list(self.conditional_on.get(criterion.label, [])),
                "score": _summary(scores),
                "score_histogram": [int(count) for count in histogram],
            }
        reasons: Counter[str] = Counter()
        for decision in self.decisions:
            if decision.accepted:
                continue
            failed = [
                label for label, o in decision.outcomes.items() if self._is_hard(label) and not o.passed
            ]
            reasons.update(f"hard: {label}" for label in failed)
            if not failed:
                reasons[self._mode_reason()] += 1
        mean_prob = float(np.mean([d.acceptance_prob for d in self.decisions])) if proposals else None
        return {
            "mode": self.spec.mode,
            "beta": self.spec.beta,
            "r_max": self.spec.r_max,
            "threshold": self.spec.threshold,
            "best_of_n": {"n": self.spec.best_of_n_n, "k": self.spec.best_of_n_k}
            if self.spec.mode == "best_of_n"
            else None,
            "seed": self.seed,
            "n_accept": self.n_accept,
            "proposals": proposals,
            "accepted": accepted,
            "acceptance_rate": accepted / proposals if proposals else None,
            "mean_acceptance_prob": mean_prob,
            "proposals_per_accepted": proposals / accepted if accepted else None,
            "hard_pass_rate": sum(d.hard_passed for d in self.decisions) / proposals if proposals else None,
            "reward": _summary([d.reward for d in self.decisions if d.hard_passed]),
            "criteria": per_criterion,
            "rejection_reasons": dict(reasons.most_common()),
            "budget_exhausted": self.budget_exhausted,
            "stopped": self.stopped,
            "pulled_unused": self.pulled_unused,
            "elapsed_s": self.elapsed_s,
        }

    def _is_hard(self, label: str) -> bool:
        return any(c.label == label and c.hard for c in self.spec.criteria)

    def _mode_reason(self) -> str:
        return {"exact": DRAW_LOST, "best_of_n": NOT_TOP_K, "threshold": BELOW_THRESHOLD}[self.spec.mode]


class _Judge:
    """Applies the built criteria of one run to batches, keeping stateful criteria informed.

    Hard criteria run first, cheapest first (``Criterion.cost``); unless
    ``evaluate_all``, a candidate that failed one is not shown to the criteria after
    it: it cannot be accepted whatever they say, and the sentence embedding that
    the expensive ones need is most of the cost of judging.
    """

    def __init__(self, spec: CriteriaSpec, context: CriteriaContext, evaluate_all: bool) -> None:
        self.spec = spec
        self.context = context
        self.evaluate_all = evaluate_all
        built = [(c, c.build()) for c in spec.criteria]
        self.criteria: list[tuple[CriterionSpec, Criterion]] = built
        self.order = sorted(built, key=lambda pair: (not pair[0].hard, pair[1].cost))
        # For stateful criteria: batch index -> position in the sub-batch they were shown.
        self.positions: dict[str, dict[int, int]] = {}

    def conditional_on(self) -> dict[str, list[str]]:
        """Per criterion: the hard criteria that run before it and filter what it is shown."""
        before: dict[str, list[str]] = {}
        hard: list[str] = []
        for spec, _ in self.order:
            before[spec.label] = [] if self.evaluate_all else list(hard)
            if spec.hard:
                hard.append(spec.label)
        return before

    def evaluate(self, batch: list[Candidate]) -> list[dict[str, Outcome]]:
        per_candidate: list[dict[str, Outcome]] = [{} for _ in batch]
        alive = list(range(len(batch)))
        for spec, criterion in self.order:
            shown = list(range(len(batch))) if self.evaluate_all else alive
            outcomes = criterion.evaluate([batch[i] for i in shown], self.context) if shown else []
            if len(outcomes) != len(shown):
                raise RuntimeError(
                    f"criterion {spec.name} returned {len(outcomes)} outcomes for {len(shown)}"
                )
            for i, outcome in zip(shown, outcomes, strict=True):
                per_candidate[i][spec.label] = outcome
            if criterion.stateful:
                self.positions[spec.label] = {i: j for j, i in enumerate(shown)}
            if spec.hard:
                alive = [i for i in alive if per_candidate[i][spec.label].passed]
        return per_candidate

    def refresh(self, index: int, outcomes: dict[str, Outcome]) -> dict[str, Outcome]:
        """Re-judge candidate ``index`` of the batch against what has been accepted so far."""
        refreshed = dict(outcomes)
        for spec, criterion in self.criteria:
            if criterion.stateful and spec.label in outcomes:
                position = self.positions[spec.label][index]
                refreshed[spec.label] = criterion.reevaluate(position, outcomes[spec.label])
        return refreshed

    def accept(self, index: int) -> None:
        for spec, criterion in self.criteria:
            if criterion.stateful and index in self.positions.get(spec.label, {}):
                criterion.on_accept(self.positions[spec.label][index])

    def verdict(self, outcomes: dict[str, Outcome]) -> tuple[bool, float, list[str]]:
        """Hard criteria all pass?, r = Σ w·s, and the failed hard criteria's reasons.

        r is complete only when the hard criteria pass (soft ones may have been skipped).
        """
        hard_failures = [
            f"{spec.label}: {outcomes[spec.label].reason or 'failed'}"
            for spec, _ in self.criteria
            if spec.hard and spec.label in outcomes and not outcomes[spec.label].passed
        ]
        reward = sum(
            spec.weight * outcomes[spec.label].score
            for spec, _ in self.criteria
            if not spec.hard and spec.label in outcomes
        )
        return not hard_failures, float(reward), hard_failures


def run_sampling(
    proposals: Iterable[Candidate],
    spec: CriteriaSpec,
    *,
    context: CriteriaContext | None = None,
    n_accept: int | None = None,
    seed: int = 0,
    evaluate_all: bool = False,
) -> SamplingRun:
    """Draw proposals lazily, in batches, until ``n_accept`` are accepted (default: the spec's),
    the spec's proposal budget is spent, or the proposals run out; never loops forever.

    With ``evaluate_all`` every criterion judges every proposal (a teacher's preview);
    by default criteria after a failed hard criterion are skipped for that proposal.
    """
    started = time.perf_counter()
    target = spec.n_accept if n_accept is None else n_accept
    if target < 1:
        raise ValueError("n_accept must be at least 1")
    judge = _Judge(spec, context or CriteriaContext(), evaluate_all)
    rng = np.random.default_rng(seed)
    stream: Iterator[Candidate] = iter(proposals)
    decisions: list[Decision] = []
    accepted: list[Candidate] = []
    pulled_unused = 0
    ran_out = False
    group = spec.best_of_n_n if spec.mode == "best_of_n" else spec.batch_size
    while len(decisions) < spec.budget and len(accepted) < target:
        requested = min(group, spec.budget - len(decisions))
        batch = list(islice(stream, requested))
        if not batch:
            ran_out = True
            break
        outcomes = judge.evaluate(batch)
        if spec.mode == "best_of_n":
            new = _decide_best_of_n(batch, outcomes, judge, len(decisions), target - len(accepted))
        else:
            new = _decide_each(batch, outcomes, judge, len(decisions), target - len(accepted), rng)
        pulled_unused += len(batch) - len(new)
        decisions.extend(new)
        accepted.extend(d.candidate for d in new if d.accepted)
        if len(batch) < requested:
            ran_out = True
            break
    if len(accepted) >= target:
        stopped = "n_accept reached"
    elif ran_out:
        stopped = "proposals ran out"
    else:
        stopped = "budget exhausted"
    return SamplingRun(
        spec=spec,
        seed=seed,
        n_accept=target,
        accepted=accepted,
        decisions=decisions,
        budget_exhausted=stopped == "budget exhausted",
        stopped=stopped,
        pulled_unused=pulled_unused,
        elapsed_s=time.perf_counter() - started,
        conditional_on=judge.conditional_on(),
    )


def _decide_each(
    batch: list[Candidate],
    outcomes: list[dict[str, Outcome]],
    judge: _Judge,
    offset: int,
    wanted: int,
    rng: np.random.Generator,
) -> list[Decision]:
    """exact and threshold: each proposal is decided on its own, in order."""
    spec = judge.spec
    decisions: list[Decision] = []
    taken = 0
    for i, candidate in enumerate(batch):
        if taken >= wanted:
            break
        current = judge.refresh(i, outcomes[i])
        hard_passed, reward, reasons = judge.verdict(current)
        if spec.mode == "exact":
            # a(x) = exp((r - r_max)/beta) <= 1 because r <= r_max (module docstring).
            probability = math.exp((reward - spec.r_max) / spec.beta) if hard_passed else 0.0
            accepted = hard_passed and rng.random() < probability
            if hard_passed and not accepted:
                reasons.append(f"{DRAW_LOST} (r = {reward:.3f}, p = {probability:.3f})")
        else:
            accepted = hard_passed and reward >= spec.threshold - 1e-12
            probability = 1.0 if accepted else 0.0
            if hard_passed and not accepted:
                reasons.append(f"{BELOW_THRESHOLD} (r = {reward:.3f} < {spec.threshold:g})")
        if accepted:
            judge.accept(i)
            taken += 1
        decisions.append(
            Decision(offset + i, candidate, current, hard_passed, reward, probability, accepted, reasons)
        )
    return decisions


def _decide_best_of_n(
    batch: list[Candidate],
    outcomes: list[dict[str, Outcome]],
    judge: _Judge,
    offset: int,
    wanted: int,
) -> list[Decision]:
    """best_of_n: within a group of n, take the k highest r among those passing hard criteria.

    Candidates are considered in decreasing r (ties: earlier first); stateful
    criteria (novelty) are re-judged at that moment, so a near-copy of a sample
    taken from the same group is skipped and the next one moves up.
    """
    spec = judge.spec
    initial = [judge.verdict(judge.refresh(i, outcomes[i])) for i in range(len(batch))]
    order = sorted(range(len(batch)), key=lambda i: (-initial[i][1], i))
    chosen: dict[int, Decision] = {}
    taken = 0
    for i in order:
        current = judge.refresh(i, outcomes[i])
        hard_passed, reward, reasons = judge.verdict(current)
        accepted = hard_passed and taken < min(spec.best_of_n_k, wanted)
        if accepted:
            judge.accept(i)
            taken += 1
        elif hard_passed:
            reasons.append(f"{NOT_TOP_K} (k = {spec.best_of_n_k}, r = {reward:.3f})")
        chosen[i] = Decision(
            offset + i, batch[i], current, hard_passed, reward, float(accepted), accepted, reasons
        )
    return [chosen[i] for i in range(len(batch))]
