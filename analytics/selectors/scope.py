"""What a dashboard looks at (classes, skill, dates), the records that selects, and names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    F,
    FloatField,
    Func,
    QuerySet,
    RowRange,
    Value,
    When,
    Window,
)
from django.utils import timezone

from tutoring.models import (
    Classroom,
    LearningRecord,
    Skill,
)

# A graded attempt as a number: averaging it gives a success rate, and
# ungraded attempts (correct is NULL) stay out of every average.
SUCCESS = Case(
    When(correct=True, then=Value(1.0)), When(correct=False, then=Value(0.0)), output_field=FloatField()
)

# Imported logs (ASSISTments via DKVMN) carry an order but no clock: their
# "time" axis is the attempt's position, in buckets of this many attempts.
POSITION_BUCKET = 20


@dataclass(frozen=True)
class Scope:
    """What a dashboard looks at: some classes, optionally one skill and a date range."""

    classroom_ids: tuple[int, ...]
    skill_id: int | None = None
    start: date | None = None
    end: date | None = None

    @property
    def has_dates(self) -> bool:
        return self.start is not None or self.end is not None

    @property
    def since(self) -> datetime | None:
        if self.start is None:
            return None
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime | None:
        """The exclusive upper bound: midnight after the end date."""
        if self.end is None:
            return None
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


def members(scope: Scope) -> QuerySet:
    """The user ids of the scope's classes' students, as a subquery for semi-joins."""
    return Classroom.students.through.objects.filter(classroom_id__in=scope.classroom_ids).values("user_id")


def records(scope: Scope) -> QuerySet[LearningRecord]:
    """The graded learning records of the scope's students, on its skill, in its date range.

    Students are matched with a semi-join, so a student in two of the chosen
    classes is counted once. A date range leaves out records without a time.
    """
    # No Meta ordering: these rows are only ever grouped or windowed, never listed.
    queryset = LearningRecord.objects.filter(student_id__in=members(scope), correct__isnull=False).order_by()
    if scope.skill_id:
        queryset = queryset.filter(skill_id=scope.skill_id)
    if scope.since:
        queryset = queryset.filter(finished_at__gte=scope.since)
    if scope.until:
        queryset = queryset.filter(finished_at__lt=scope.until)
    return queryset


def user_names(ids: Iterable[int]) -> dict[int, str]:
    """Display names (profile name, else username) for the given user ids."""
    User = get_user_model()
    rows = User.objects.filter(id__in=list(ids)).values_list("id", "username", "profile__display_name")
    return {pk: display or username for pk, username, display in rows}


def student_names(scope: Scope) -> dict[int, str]:
    """Display names of the scope's students, matched with the membership subquery.

    A class of a thousand is one join, not a thousand bound ids in an IN list
    (which the PostgreSQL client quotes one by one).
    """
    User = get_user_model()
    rows = User.objects.filter(id__in=members(scope)).values_list("id", "username", "profile__display_name")
    return {pk: display or username for pk, username, display in rows}


def skill_names(ids: Iterable[int]) -> dict[int, str]:
    """Skill names for the given ids."""
    return dict(Skill.objects.filter(id__in=list(ids)).values_list("id", "name"))


def classroom_names(ids: Iterable[int]) -> dict[int, str]:
    """Class names for the given ids."""
    return dict(Classroom.objects.filter(id__in=list(ids)).values_list("id", "name"))


def as_frame(rows: Iterable[tuple], columns: list[str]) -> pd.DataFrame:
    """Query rows (tuples) as a frame with the given column names."""
    return pd.DataFrame.from_records(list(rows), columns=columns)


def membership_table() -> str:
    """The class membership table, for the raw outer queries around a window."""
    return Classroom.students.through._meta.db_table


def in_classes(scope: Scope) -> str:
    """``IN (%s, ...)`` with one placeholder per class of the scope."""
    return "IN (" + ", ".join(["%s"] * len(scope.classroom_ids)) + ")"


def attempt_order() -> list:
    """The order of a student's attempts, for window functions."""
    # Timed attempts in time order; imported sequences by their position.
    return [F("finished_at").asc(nulls_last=True), F("position").asc(), F("id").asc()]


def over_skill_attempts(function: Func) -> Window:
    """``function`` over each student's attempts on a skill, in attempt order.

    For NTILE and LEAD, which read the whole partition whatever the frame. The
    frame is one row (ROWS) rather than the default RANGE up to the current
    row's last peer, which PostgreSQL would otherwise look for row by row
    (6-10% of these queries' time).
    """
    return Window(
        function,
        partition_by=[F("student_id"), F("skill_id")],
        order_by=attempt_order(),
        frame=RowRange(start=0, end=0),
    )
