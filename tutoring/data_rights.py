"""Students' data rights: a copy of everything held about a student, and erasure.

Both are recorded in the audit log (who exported or erased whom, and when);
the audit event keeps only the account id and counts, never the erased data.
An erasure is one transaction: it removes everything or nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from analytics.models import AssessmentResult
from tutoring.audit import record_event
from tutoring.models import (
    LearningRecord,
    Mastery,
    MasterySnapshot,
    Profile,
    Recommendation,
    Statement,
)

XAPI_PREFIX = "xapi:"


def _statements(student: AbstractBaseUser) -> QuerySet[Statement]:
    """Statements whose actor is the student, or that produced one of their records."""
    profile = Profile.objects.filter(user=student).first()
    about = Q(learning_record__student=student)
    if profile and profile.external_id.startswith(XAPI_PREFIX):
        about |= Q(actor_key=profile.external_id.removeprefix(XAPI_PREFIX))
    return Statement.objects.filter(about).distinct()


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value) if isinstance(value, uuid.UUID) else value


def _rows(queryset: QuerySet, *fields: str) -> list[dict[str, Any]]:
    return [{key: _plain(value) for key, value in row.items()} for row in queryset.values(*fields)]


def student_data(student: AbstractBaseUser) -> dict[str, Any]:
    """Everything the platform holds about one student, as JSON-ready data."""
    profile = Profile.objects.filter(user=student).first()
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "id": student.pk,
            "username": student.get_username(),
            "first_name": getattr(student, "first_name", ""),
            "last_name": getattr(student, "last_name", ""),
            "email": getattr(student, "email", ""),
            "date_joined": student.date_joined.isoformat() if getattr(student, "date_joined", None) else None,
            "last_login": student.last_login.isoformat() if student.last_login else None,
        },
        "profile": {
            "role": profile.role,
            "display_name": profile.display_name,
            "external_id": profile.external_id,
        }
        if profile
        else None,
        "classes": list(student.classrooms.values_list("name", flat=True)),
        "learning_records": _rows(
            LearningRecord.objects.filter(student=student).order_by("finished_at", "position", "id"),
            "id",
            "item_id",
            "item__title",
            "skill__name",
            "correct",
            "score",
            "response",
            "started_at",
            "finished_at",
            "attempt",
            "position",
            "source",
            "statement_id",
            "created_at",
        ),
        "statements": [
            data for data in _statements(student).order_by("stored").values_list("data", flat=True)
        ],
        "mastery": _rows(
            Mastery.objects.filter(student=student).order_by("skill__name"),
            "skill__name",
            "value",
            "attempts",
            "updated_at",
        ),
        "mastery_history": _rows(
            MasterySnapshot.objects.filter(student=student).order_by("at"), "skill__name", "value", "at"
        ),
        "recommendations": _rows(
            Recommendation.objects.filter(student=student).order_by("rank"),
            "item_id",
            "item__title",
            "rank",
            "score",
            "predicted_success",
            "reason",
            "created_at",
        ),
        "assessment_results": _rows(
            AssessmentResult.objects.filter(student=student).order_by("id"),
            "assessment__name",
            "assessment__phase",
            "assessment__given_on",
            "score",
        ),
    }


def export_student(student: AbstractBaseUser, by: AbstractBaseUser | AnonymousUser | None) -> dict[str, Any]:
    """A student's data for download; the export itself is audited."""
    data = student_data(student)
    record_event(
        by,
        "student.exported",
        f"user #{student.pk}",
        records=len(data["learning_records"]),
        statements=len(data["statements"]),
    )
    return data


@dataclass(frozen=True)
class Erasure:
    """What one erasure removed, by kind."""

    statements: int
    learning_records: int
    recommendations: int
    mastery: int
    mastery_history: int
    assessment_results: int


@transaction.atomic
def erase_student(student: AbstractBaseUser, by: AbstractBaseUser | AnonymousUser | None) -> Erasure:
    """Remove the student's account and every record about them, all or nothing, and audit it."""
    statements = _statements(student)
    # Voiding statements about the student's statements go too: they name them.
    voiding = Statement.objects.filter(voids__in=statements.values("id"))
    erased = Erasure(
        statements=Statement.objects.filter(
            Q(pk__in=statements.values("pk")) | Q(pk__in=voiding.values("pk"))
        )
        .distinct()
        .count(),
        learning_records=LearningRecord.objects.filter(student=student).count(),
        recommendations=Recommendation.objects.filter(student=student).count(),
        mastery=Mastery.objects.filter(student=student).count(),
        mastery_history=MasterySnapshot.objects.filter(student=student).count(),
        assessment_results=AssessmentResult.objects.filter(student=student).count(),
    )
    ids = list(statements.values_list("pk", flat=True))
    Statement.objects.filter(Q(pk__in=ids) | Q(voids__in=ids)).delete()
    # The account's cascade removes records, mastery, history, recommendations and results.
    get_user_model().objects.filter(pk=student.pk).delete()
    record_event(by, "student.erased", f"user #{student.pk}", **asdict(erased))
    return erased
