"""What criteria may consult besides the candidate itself: skills, the item bank, a difficulty model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from edursft.criteria.candidate import Candidate


@dataclass
class CriteriaContext:
    """Shared, read-only knowledge for one sampling run.

    ``difficulty`` is the student model's predicted probability that the intended
    student (or an average student of the class) answers the candidate correctly;
    when None, ``difficulty_band`` uses the documented item-difficulty estimate in
    :mod:`edursft.criteria.builtin`.
    """

    skill_descriptions: dict[str, str] = field(default_factory=dict)  # skill name -> description
    existing_texts: list[str] = field(default_factory=list)  # the item bank, for novelty
    difficulty: Callable[[Candidate], float] | None = None
