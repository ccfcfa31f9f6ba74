"""Criteria on meaning, from all-MiniLM-L6-v2 sentence embeddings: skill relevance and novelty."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from edursft.criteria.candidate import Candidate
from edursft.criteria.context import CriteriaContext
from edursft.criteria.registry import Criterion, Outcome, ParamError, register
from edursft.embedding import DIMENSION, cosine_similarity, embed


def skill_text(name: str, description: str | None) -> str:
    """What a skill is about, in words: OATutor's snake_case name plus its description."""
    readable = name.replace("_", " ").strip()
    return f"{readable}: {description}" if description else readable


@register("skill_relevance")
@dataclass
class SkillRelevance(Criterion):
    """The text's cosine similarity to the target skill (name and description) is >= ``min_similarity``.

    The soft score is the similarity scaled so that ``full_score_at`` and above give 1.
    Defaults come from 300 OATutor items: similarity to the item's own skill has
    median 0.58, to another item's skill 0.15; at 0.3, 94% of own skills pass and
    12% of other skills do (docs/criteria.md).
    """

    cost = 2

    min_similarity: float = 0.3
    full_score_at: float = 0.6

    def validate(self) -> None:
        if not -1.0 <= self.min_similarity <= 1.0:
            raise ParamError("min_similarity", "must be a cosine similarity between -1 and 1")
        if not 0.0 < self.full_score_at <= 1.0:
            raise ParamError("full_score_at", "must be in (0, 1]")

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        with_skill = [i for i, c in enumerate(candidates) if c.skill]
        outcomes = [Outcome.of(False, "no target skill given")] * len(candidates)
        if not with_skill:
            return outcomes
        texts = embed([candidates[i].text for i in with_skill])
        skills = embed(
            [
                skill_text(candidates[i].skill, context.skill_descriptions.get(candidates[i].skill))
                for i in with_skill
            ]
        )
        similarities = np.einsum("ij,ij->i", texts, skills)
        for i, similarity in zip(with_skill, similarities, strict=True):
            passed = bool(similarity >= self.min_similarity)
            score = float(np.clip(similarity / self.full_score_at, 0.0, 1.0))
            reason = (
                f"similarity to skill {candidates[i].skill!r} is {similarity:.2f} < {self.min_similarity:g}"
            )
            outcomes[i] = Outcome(passed, score, None if passed else reason)
        return outcomes


@register("novelty")
@dataclass
class Novelty(Criterion):
    """Not a near-duplicate: cosine similarity to every bank item and every sample already
    accepted in this run stays below ``max_similarity``.

    The soft score is 1 minus the highest similarity. GSM8K problems with only the
    numbers changed score about 0.95-0.99 against the original; distinct problems on
    the same topic rarely pass 0.8.
    """

    cost = 2

    stateful = True
    max_similarity: float = 0.9
    against_bank: bool = True
    against_accepted: bool = True
    _bank: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    _accepted: list[np.ndarray] = field(default_factory=list, init=False, repr=False, compare=False)
    _batch: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    _batch_bank_best: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    _texts: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    def validate(self) -> None:
        if not -1.0 < self.max_similarity <= 1.0:
            raise ParamError("max_similarity", "must be a cosine similarity in (-1, 1]")

    def _bank_vectors(self, context: CriteriaContext) -> np.ndarray:
        if self._bank is None:
            texts = list(dict.fromkeys(context.existing_texts)) if self.against_bank else []
            self._texts = texts
            self._bank = embed(texts) if texts else np.zeros((0, DIMENSION), dtype=np.float32)
        return self._bank

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        bank = self._bank_vectors(context)
        self._batch = embed([c.text for c in candidates])
        if len(bank) == 0:
            self._batch_bank_best = np.full(len(candidates), -1.0)
            return [self._judge(-1.0, "") for _ in candidates]
        similarities = cosine_similarity(self._batch, bank)
        nearest = similarities.argmax(axis=1)
        self._batch_bank_best = similarities.max(axis=1)
        return [
            self._judge(float(similarities[i, j]), f"bank item {self._texts[j][:60]!r}")
            for i, j in enumerate(nearest)
        ]

    def _judge(self, similarity: float, what: str) -> Outcome:
        passed = similarity < self.max_similarity
        score = float(np.clip(1.0 - similarity, 0.0, 1.0))
        return Outcome(
            passed, score, None if passed else f"near-duplicate of {what} (cosine {similarity:.2f})"
        )

    def reevaluate(self, index: int, outcome: Outcome) -> Outcome:
        if not self.against_accepted or not self._accepted or self._batch is None:
            return outcome
        similarities = np.stack(self._accepted) @ self._batch[index]
        j = int(similarities.argmax())
        best = float(similarities[j])
        if self._batch_bank_best is not None and best <= self._batch_bank_best[index]:
            return outcome
        return self._judge(best, f"accepted sample #{j + 1} of this run")

    def on_accept(self, index: int) -> None:
        if self.against_accepted and self._batch is not None:
            self._accepted.append(self._batch[index])
