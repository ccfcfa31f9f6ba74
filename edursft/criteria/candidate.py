"""What rejection sampling judges: one proposed exercise or one feedback message."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

KINDS = ("exercise", "feedback")


@dataclass
class Candidate:
    """A proposal from the generator (or a file), with what the criteria need to judge it."""

    text: str  # the exercise's problem text, or the feedback message
    answer: str | None = None  # proposed answer (exercise) or the correct answer it refers to
    skill: str | None = None  # target skill name
    kind: str = "exercise"  # "exercise" or "feedback"
    hint: str | None = None
    solution: str | None = None  # worked solution, may carry GSM8K-style <<16-3-4=9>> annotations
    log_q: float | None = None  # log-probability under the proposal, when known
    prompt_id: str | None = None
    # feedback: exercise, correct_answer, wrong_answer (and optionally mistake);
    # any kind: p_correct (a predicted probability of a correct answer), student id ...
    context: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for run records and ``--json`` output)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Candidate:
        """Build from a JSON object, e.g. one line of a candidates file; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown candidate field(s): {', '.join(unknown)}")
        if not isinstance(data.get("text"), str):
            raise ValueError("a candidate needs a 'text' string")
        if data.get("kind", "exercise") not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if not isinstance(data.get("context", {}), dict):
            raise ValueError("context must be an object")
        return cls(**data)
