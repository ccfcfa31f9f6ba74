"""Criteria are pluggable: a criterion is a small dataclass registered by name.

A criterion's fields are its parameters (what a teacher may set in the criteria
file, with working defaults); ``evaluate`` judges a whole batch at once so that
expensive work (sentence embeddings) is batched. Every criterion returns, per
candidate, whether it passes and a score in [0, 1]: a hard criterion uses the
verdict, a soft one the score (times its weight). A new criterion::

    @register("mentions_units")
    @dataclass
    class MentionsUnits(Criterion):
        units: list[str] = field(default_factory=lambda: ["cm", "kg"])

        def evaluate(self, candidates, context):
            return [Outcome.of(any(u in c.text for u in self.units), "no unit") for c in candidates]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from edursft.criteria.candidate import KINDS, Candidate
from edursft.criteria.context import CriteriaContext


class ParamError(ValueError):
    """A criterion parameter out of range; ``param`` names it (the spec loader adds the path)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


@dataclass(frozen=True)
class Outcome:
    """One criterion's judgement of one candidate: verdict, score in [0, 1], and why it failed."""

    passed: bool
    score: float
    reason: str | None = None

    @classmethod
    def of(cls, passed: bool, reason: str) -> Outcome:
        """A yes/no judgement: score 1 or 0, ``reason`` kept only when it failed."""
        return cls(passed, 1.0 if passed else 0.0, None if passed else reason)


class Criterion(ABC):
    """Base class; subclasses are dataclasses whose fields are their parameters."""

    name: ClassVar[str] = ""
    kinds: ClassVar[tuple[str, ...]] = KINDS  # the candidate kinds the criterion judges
    # Stateful criteria (novelty against earlier accepted samples) are re-judged one
    # candidate at a time, just before the decision, and told what was accepted.
    stateful: ClassVar[bool] = False
    # Relative cost per candidate, so the sampler runs cheap hard checks first:
    # 0 text rules, 1 symbolic maths, 2 neural sentence embeddings.
    cost: ClassVar[int] = 0

    def validate(self) -> None:  # noqa: B027 - an optional hook, not abstract
        """Raise ParamError when a parameter is out of range; the default accepts all."""

    @abstractmethod
    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        """Judge a batch; one Outcome per candidate, in order."""

    def reevaluate(self, index: int, outcome: Outcome) -> Outcome:
        """Stateful criteria: refine the batch outcome of candidate ``index`` against what is accepted."""
        return outcome

    def on_accept(self, index: int) -> None:  # noqa: B027 - an optional hook, not abstract
        """Stateful criteria: candidate ``index`` of the current batch was accepted."""


REGISTRY: dict[str, type[Criterion]] = {}

C = TypeVar("C", bound=type[Criterion])


def register(name: str) -> Callable[[C], C]:
    """Class decorator adding a criterion to the registry under ``name``."""

    def decorate(cls: C) -> C:
        if name in REGISTRY:
            raise ValueError(f"criterion {name!r} is already registered")
        cls.name = name
        REGISTRY[name] = cls
        return cls

    return decorate
