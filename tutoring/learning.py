"""A student answers an exercise: check it, choose feedback, record it, move mastery.

Maths answers are checked by sympy (edursft.verification.answers), never by
string equality, so ``0.5``, ``1/2`` and OATutor's ``$$\\frac{1}{2}$$`` are the
same answer. Feedback for a wrong answer is an approved generated feedback item
written for that exercise and that mistake when one exists, else the next hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from edursft.verification.answers import answers_equivalent
from tutoring import mastery
from tutoring.models import Item, LearningRecord


@dataclass(frozen=True)
class Feedback:
    """What the student reads after a wrong answer, and where it came from."""

    text: str
    source: str  # "feedback" (approved generated feedback for this mistake) or "hint"
    item: Item | None = None


@dataclass(frozen=True)
class AttemptResult:
    record: LearningRecord
    correct: bool
    feedback: Feedback | None
    mastery: dict[int, float] = field(default_factory=dict)  # skill pk -> mastery after the attempt
    skill_names: dict[int, str] = field(default_factory=dict)

    @property
    def moved(self) -> list[tuple[str, float]]:
        """(skill name, mastery now) for every skill the attempt moved, for the page."""
        return [(self.skill_names.get(pk, ""), value) for pk, value in self.mastery.items()]


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("$$", "")).strip().casefold()


def is_correct(item: Item, response: str) -> bool:
    """Whether ``response`` answers ``item``: sympy for maths, exact text for the rest."""
    if not response.strip():
        return False
    if item.answer_type == "math":
        return answers_equivalent(response, item.answer)
    return _plain(response) == _plain(item.answer)


def hint_text(hint: object) -> str:
    """A stored hint as text: authored hints are strings, imported ones carry a title and type."""
    if isinstance(hint, dict):
        return str(hint.get("text") or hint.get("title") or "")
    return str(hint)


def _matches_mistake(item: Item, response: str, mistake: str) -> bool:
    if not mistake.strip():
        return False
    if item.answer_type == "math":
        return answers_equivalent(response, mistake)
    return _plain(response) == _plain(mistake)


def choose_feedback(item: Item, response: str, wrong_so_far: int) -> Feedback | None:
    """Approved feedback for this exact mistake, else hint number ``wrong_so_far`` (the last repeats)."""
    approved = item.feedback_items.filter(status=Item.Status.APPROVED, kind=Item.Kind.FEEDBACK)
    for candidate in approved:
        if _matches_mistake(item, response, candidate.mistake):
            return Feedback(candidate.text, "feedback", candidate)
    hints = [text for text in (hint_text(h) for h in item.hints) if text]
    if not hints:
        return None
    return Feedback(hints[min(wrong_so_far, len(hints) - 1)], "hint")


def record_attempt(student: AbstractBaseUser, item: Item, response: str) -> AttemptResult:
    """Check the answer, store the LearningRecord with its feedback and update mastery at once."""
    response = response.strip()[:2000]
    correct = is_correct(item, response)
    names = dict(item.skills.order_by("pk").values_list("pk", "name"))
    skill_pks = list(names)
    with transaction.atomic():
        earlier = LearningRecord.objects.filter(student=student, item=item)
        wrong_so_far = earlier.filter(correct=False).count()
        feedback = None if correct else choose_feedback(item, response, wrong_so_far)
        now = timezone.now()
        record = LearningRecord.objects.create(
            student=student,
            item=item,
            skill_id=skill_pks[0] if skill_pks else None,
            correct=correct,
            score=1.0 if correct else 0.0,
            response=response,
            finished_at=now,
            attempt=earlier.count() + 1,
            source=LearningRecord.Source.SITE,
            feedback_item=feedback.item if feedback else None,
        )
        moved = mastery.record_attempt(record, skill_pks)
    return AttemptResult(record=record, correct=correct, feedback=feedback, mastery=moved, skill_names=names)
