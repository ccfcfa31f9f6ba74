"""Reads for the learning-outcomes dashboard: mastery, mastery over time, gain, activity."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import (
    Avg,
    Count,
    F,
    IntegerField,
    Max,
    Q,
    Sum,
)
from django.db.models.functions import Cast, Ntile, TruncWeek

from analytics.models import Assessment, AssessmentResult
from analytics.selectors.scope import (
    POSITION_BUCKET,
    SUCCESS,
    Scope,
    as_frame,
    in_classes,
    members,
    membership_table,
    over_skill_attempts,
    records,
)
from tutoring.models import (
    LearningRecord,
    Mastery,
    MasterySnapshot,
)

# --- Learning outcomes -------------------------------------------------------------------------

MASTERY_FROM_MODEL = "the student model's current mastery estimates"
MASTERY_FROM_RECORDS = "success rates on graded attempts (no mastery estimates for this selection)"


def mastery_by_student_skill(scope: Scope) -> tuple[pd.DataFrame, str]:
    """One row per (student, skill): mastery and attempts, and where the mastery comes from.

    Mastery rows are the current estimates, so a date range switches to success
    rates computed from the records in that range.
    """
    masteries = Mastery.objects.filter(student_id__in=members(scope))
    if scope.skill_id:
        masteries = masteries.filter(skill_id=scope.skill_id)
    columns = ["student_id", "skill_id", "mastery", "attempts"]
    if not scope.has_dates and masteries.exists():
        rows = masteries.values_list("student_id", "skill_id", "value", "attempts")
        return as_frame(rows, columns), MASTERY_FROM_MODEL
    rows = (
        records(scope)
        .values("student_id", "skill_id")
        .filter(skill_id__isnull=False)
        .annotate(mastery=Avg(SUCCESS), attempts=Count("id"))
        .values_list("student_id", "skill_id", "mastery", "attempts")
    )
    return as_frame(rows, columns), MASTERY_FROM_RECORDS


SNAPSHOT_SOURCE = "average mastery estimate recorded each week"
RUNNING_BY_WEEK = "running success rate on graded attempts, by week"
RUNNING_BY_POSITION = (
    f"running success rate by attempt number (records have no time; buckets of {POSITION_BUCKET})"
)


def mastery_over_time(scope: Scope, skill_ids: list[int]) -> tuple[pd.DataFrame, str]:
    """Rows of (period, skill_id, value, n): mastery of the given skills as time goes on.

    From mastery snapshots when there are any; otherwise the running (cumulative)
    success rate, by week when records have times, else by attempt position.
    Only the skills drawn are read (the (student, skill, ...) indexes).
    """
    snapshots = MasterySnapshot.objects.filter(student_id__in=members(scope), skill_id__in=skill_ids)
    if scope.since:
        snapshots = snapshots.filter(at__gte=scope.since)
    if scope.until:
        snapshots = snapshots.filter(at__lt=scope.until)
    columns = ["period", "skill_id", "value", "n"]
    if snapshots.exists():
        rows = (
            snapshots.annotate(period=TruncWeek("at"))
            .values("period", "skill_id")
            .annotate(value=Avg("value"), n=Count("id"))
            .values_list("period", "skill_id", "value", "n")
        )
        return as_frame(rows, columns).sort_values(["skill_id", "period"]), SNAPSHOT_SOURCE
    graded = records(scope).filter(skill_id__in=skill_ids)
    timed = graded.filter(finished_at__isnull=False)
    if timed.exists():
        grouped, source = timed.annotate(period=TruncWeek("finished_at")), RUNNING_BY_WEEK
    else:
        bucket = Cast(F("position") / POSITION_BUCKET, IntegerField()) * POSITION_BUCKET + 1
        grouped, source = graded.annotate(period=bucket), RUNNING_BY_POSITION
    rows = (
        grouped.values("period", "skill_id")
        .annotate(successes=Sum(SUCCESS), n=Count("id"))
        .values_list("period", "skill_id", "successes", "n")
    )
    frame = as_frame(rows, ["period", "skill_id", "successes", "n"]).sort_values(["skill_id", "period"])
    if frame.empty:
        return pd.DataFrame(columns=columns), source
    by_skill = frame.groupby("skill_id")
    frame["value"] = by_skill["successes"].cumsum() / by_skill["n"].cumsum()
    return frame[columns], source


GAIN_FROM_ASSESSMENTS = "pre- and post-test results"
GAIN_FROM_RECORDS = (
    "no pre/post tests: success on the first half of each student's attempts on a skill (pre) "
    "against the second half (post)"
)


def gain_inputs(scope: Scope) -> tuple[pd.DataFrame, str]:
    """Rows of (classroom_id, skill_id, pre, post, students) for Hake's normalised gain.

    From analytics Assessment results when the scope has any; otherwise from
    the early and late halves of each student's attempts on each skill.
    """
    results = AssessmentResult.objects.filter(assessment__classroom_id__in=scope.classroom_ids)
    if scope.skill_id:
        results = results.filter(assessment__skill_id=scope.skill_id)
    if scope.start:
        results = results.filter(assessment__given_on__gte=scope.start)
    if scope.end:
        results = results.filter(assessment__given_on__lte=scope.end)
    columns = ["classroom_id", "skill_id", "pre", "post", "students"]
    if results.exists():
        rows = (
            results.values("assessment__classroom_id", "assessment__skill_id")
            .annotate(
                pre=Avg("score", filter=Q(assessment__phase=Assessment.Phase.PRE)),
                post=Avg("score", filter=Q(assessment__phase=Assessment.Phase.POST)),
                students=Count("student_id", distinct=True),
            )
            .values_list("assessment__classroom_id", "assessment__skill_id", "pre", "post", "students")
        )
        return as_frame(rows, columns), GAIN_FROM_ASSESSMENTS
    return as_frame(_early_late_success(scope), columns), GAIN_FROM_RECORDS


def _early_late_success(scope: Scope) -> list[tuple]:
    """Per class and skill, the class average of each student's success on the early and the
    late half of their attempts on that skill (students with at least two attempts).

    NTILE(2) splits each (student, skill) sequence into halves in the database
    (the first half takes the middle attempt of an odd count); only the outer
    grouping is written in SQL, because the ORM cannot aggregate over a window.
    Successes are counted (COUNT ... FILTER) rather than averaged from a
    CASE: PostgreSQL would average that in exact numerics, row by row.
    """
    halves = (
        records(scope)
        .filter(skill_id__isnull=False)
        .annotate(half=over_skill_attempts(Ntile(2)))
        .values("student_id", "skill_id", "correct", "half")
    )
    inner, params = halves.query.sql_with_params()
    # Per (student, skill) first, while rows still arrive in window order (a
    # streaming group, no sort); then each class's students are averaged.
    sql = f"""
        SELECT m.classroom_id, s.skill_id, AVG(s.pre), AVG(s.post), COUNT(*) AS students
        FROM (
            SELECT r.student_id, r.skill_id,
                   CAST(COUNT(*) FILTER (WHERE r.half = 1 AND r.correct) AS DOUBLE PRECISION)
                       / COUNT(*) FILTER (WHERE r.half = 1) AS pre,
                   CAST(COUNT(*) FILTER (WHERE r.half = 2 AND r.correct) AS DOUBLE PRECISION)
                       / NULLIF(COUNT(*) FILTER (WHERE r.half = 2), 0) AS post
            FROM ({inner}) r
            GROUP BY r.student_id, r.skill_id
            HAVING COUNT(*) >= 2
        ) s
        JOIN {membership_table()} m ON m.user_id = s.student_id
        WHERE m.classroom_id {in_classes(scope)}
        GROUP BY m.classroom_id, s.skill_id
    """  # noqa: S608 - only table names and placeholders are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *scope.classroom_ids])
        return cursor.fetchall()


def activity_by_student(scope: Scope, window_days: int = 14) -> tuple[pd.DataFrame, datetime | None]:
    """Per student: success rate, attempts, and attempts in the last and the previous window.

    The windows end at the end of the date range, else at the school's latest
    attempt (read from the finished_at index; an old imported log is then not
    read as everyone having stopped). Returns the frame and that reference time
    (None when no record has a time).
    """
    graded = records(scope)
    reference = scope.until or LearningRecord.objects.aggregate(latest=Max("finished_at"))["latest"]
    if reference is not None and not graded.filter(finished_at__isnull=False).exists():
        reference = None
    # Successes are counted, not averaged (see _early_late_success), and divided here.
    counts = {"successes": Count("id", filter=Q(correct=True)), "attempts": Count("id")}
    if reference is not None:
        window = timedelta(days=window_days)
        recent = Q(finished_at__gt=reference - window, finished_at__lte=reference)
        previous = Q(finished_at__gt=reference - 2 * window, finished_at__lte=reference - window)
        counts.update(recent=Count("id", filter=recent), previous=Count("id", filter=previous))
    rows = graded.values("student_id").annotate(**counts).values_list("student_id", *counts)
    frame = as_frame(rows, ["student_id", *counts])
    frame.insert(1, "success", frame.pop("successes") / frame["attempts"])
    if reference is None:
        frame["recent"] = frame["previous"] = np.nan
    return frame, reference


def mean_mastery_by_student(scope: Scope) -> dict[int, float]:
    """Each student's mean mastery estimate over the scope's skills (empty when none are stored)."""
    masteries = Mastery.objects.filter(student_id__in=members(scope))
    if scope.skill_id:
        masteries = masteries.filter(skill_id=scope.skill_id)
    return dict(masteries.values("student_id").annotate(m=Avg("value")).values_list("student_id", "m"))
