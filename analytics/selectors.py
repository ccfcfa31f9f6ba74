"""Reads behind the teacher dashboards.

The database does the counting (``values`` + ``annotate`` over indexed columns,
window functions where an attempt must be compared with the one before or
after it); pandas only receives the small grouped results to reshape them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Lead, Ntile, TruncWeek
from django.utils import timezone

from analytics.models import Assessment, AssessmentResult
from tutoring.models import (
    Classroom,
    GenerationRun,
    Item,
    LearningRecord,
    Mastery,
    MasterySnapshot,
    Skill,
)
from tutoring.permissions import criteria_sets_of

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


def _members(scope: Scope) -> QuerySet:
    return Classroom.students.through.objects.filter(classroom_id__in=scope.classroom_ids).values("user_id")


def records(scope: Scope) -> QuerySet[LearningRecord]:
    """The graded learning records of the scope's students, on its skill, in its date range.

    Students are matched with a semi-join, so a student in two of the chosen
    classes is counted once. A date range leaves out records without a time.
    """
    # No Meta ordering: these rows are only ever grouped or windowed, never listed.
    queryset = LearningRecord.objects.filter(student_id__in=_members(scope), correct__isnull=False).order_by()
    if scope.skill_id:
        queryset = queryset.filter(skill_id=scope.skill_id)
    if scope.since:
        queryset = queryset.filter(finished_at__gte=scope.since)
    if scope.until:
        queryset = queryset.filter(finished_at__lt=scope.until)
    return queryset


def user_names(ids) -> dict[int, str]:
    """Display names (profile name, else username) for the given user ids."""
    User = get_user_model()
    rows = User.objects.filter(id__in=list(ids)).values_list("id", "username", "profile__display_name")
    return {pk: display or username for pk, username, display in rows}


def skill_names(ids) -> dict[int, str]:
    """Skill names for the given ids."""
    return dict(Skill.objects.filter(id__in=list(ids)).values_list("id", "name"))


def classroom_names(ids) -> dict[int, str]:
    """Class names for the given ids."""
    return dict(Classroom.objects.filter(id__in=list(ids)).values_list("id", "name"))


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=columns)


# --- Learning outcomes -------------------------------------------------------------------------

MASTERY_FROM_MODEL = "the student model's current mastery estimates"
MASTERY_FROM_RECORDS = "success rates on graded attempts (no mastery estimates for this selection)"


def mastery_by_student_skill(scope: Scope) -> tuple[pd.DataFrame, str]:
    """One row per (student, skill): mastery and attempts, and where the mastery comes from.

    Mastery rows are the current estimates, so a date range switches to success
    rates computed from the records in that range.
    """
    masteries = Mastery.objects.filter(student_id__in=_members(scope))
    if scope.skill_id:
        masteries = masteries.filter(skill_id=scope.skill_id)
    columns = ["student_id", "skill_id", "mastery", "attempts"]
    if not scope.has_dates and masteries.exists():
        rows = masteries.values_list("student_id", "skill_id", "value", "attempts")
        return _frame(rows, columns), MASTERY_FROM_MODEL
    rows = (
        records(scope)
        .values("student_id", "skill_id")
        .filter(skill_id__isnull=False)
        .annotate(mastery=Avg(SUCCESS), attempts=Count("id"))
        .values_list("student_id", "skill_id", "mastery", "attempts")
    )
    return _frame(rows, columns), MASTERY_FROM_RECORDS


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
    snapshots = MasterySnapshot.objects.filter(student_id__in=_members(scope), skill_id__in=skill_ids)
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
        return _frame(rows, columns).sort_values(["skill_id", "period"]), SNAPSHOT_SOURCE
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
    frame = _frame(rows, ["period", "skill_id", "successes", "n"]).sort_values(["skill_id", "period"])
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
        return _frame(rows, columns), GAIN_FROM_ASSESSMENTS
    frame = _frame(_early_late_success(scope), columns)
    # PostgreSQL averages in exact numerics; the dashboards want floats.
    frame[["pre", "post"]] = frame[["pre", "post"]].astype(float)
    return frame, GAIN_FROM_RECORDS


def _early_late_success(scope: Scope) -> list[tuple]:
    """Per class and skill, the class average of each student's success on the early and the
    late half of their attempts on that skill (students with at least two attempts).

    NTILE(2) splits each (student, skill) sequence into halves in the database
    (the first half takes the middle attempt of an odd count); only the outer
    grouping is written in SQL, because the ORM cannot aggregate over a window.
    """
    halves = (
        records(scope)
        .filter(skill_id__isnull=False)
        .annotate(
            success=SUCCESS,
            half=Window(Ntile(2), partition_by=[F("student_id"), F("skill_id")], order_by=_attempt_order()),
        )
        .values("student_id", "skill_id", "success", "half")
    )
    inner, params = halves.query.sql_with_params()
    membership = Classroom.students.through._meta.db_table
    placeholders = ", ".join(["%s"] * len(scope.classroom_ids))
    # Per (student, skill) first, while rows still arrive in window order (a
    # streaming group, no sort); then each class's students are averaged.
    sql = f"""
        SELECT m.classroom_id, s.skill_id, AVG(s.pre), AVG(s.post), COUNT(*) AS students
        FROM (
            SELECT r.student_id, r.skill_id,
                   AVG(CASE WHEN r.half = 1 THEN r.success END) AS pre,
                   AVG(CASE WHEN r.half = 2 THEN r.success END) AS post
            FROM ({inner}) r
            GROUP BY r.student_id, r.skill_id
            HAVING COUNT(*) >= 2
        ) s
        JOIN {membership} m ON m.user_id = s.student_id
        WHERE m.classroom_id IN ({placeholders})
        GROUP BY m.classroom_id, s.skill_id
    """  # noqa: S608 - only table names and placeholders are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *scope.classroom_ids])
        return cursor.fetchall()


def _attempt_order() -> list:
    # Timed attempts in time order; imported sequences by their position.
    return [F("finished_at").asc(nulls_last=True), F("position").asc(), F("id").asc()]


def activity_by_student(scope: Scope, window_days: int = 14) -> tuple[pd.DataFrame, datetime | None]:
    """Per student: success rate, attempts, and attempts in the last and the previous window.

    The windows end at the end of the date range, else at the school's latest
    attempt (read from the finished_at index; an old imported log is then not
    read as everyone having stopped). Returns the frame and that reference time
    (None when no record has a time).
    """
    graded = records(scope)
    reference = scope.until or LearningRecord.objects.aggregate(latest=Max("finished_at"))["latest"]
    columns = ["student_id", "success", "attempts", "recent", "previous"]
    if reference is None or not graded.filter(finished_at__isnull=False).exists():
        rows = graded.values("student_id").annotate(success=Avg(SUCCESS), attempts=Count("id"))
        frame = _frame(rows.values_list("student_id", "success", "attempts"), columns[:3])
        frame["recent"] = frame["previous"] = np.nan
        return frame, None
    window = timedelta(days=window_days)
    rows = (
        graded.values("student_id")
        .annotate(
            success=Avg(SUCCESS),
            attempts=Count("id"),
            recent=Count("id", filter=Q(finished_at__gt=reference - window, finished_at__lte=reference)),
            previous=Count(
                "id", filter=Q(finished_at__gt=reference - 2 * window, finished_at__lte=reference - window)
            ),
        )
        .values_list(*columns)
    )
    return _frame(rows, columns), reference


def mean_mastery_by_student(scope: Scope) -> dict[int, float]:
    """Each student's mean mastery estimate over the scope's skills (empty when none are stored)."""
    masteries = Mastery.objects.filter(student_id__in=_members(scope))
    if scope.skill_id:
        masteries = masteries.filter(skill_id=scope.skill_id)
    return dict(masteries.values("student_id").annotate(m=Avg("value")).values_list("student_id", "m"))


# --- Teaching quality --------------------------------------------------------------------------


def enrolment(scope: Scope) -> pd.DataFrame:
    """Per class: students enrolled, and those with at least one graded attempt in the scope.

    "Active" is an EXISTS probe per enrolled student on the (student, position)
    index, not a scan of the records.
    """
    Membership = Classroom.students.through
    attempted = records(scope).filter(student_id=OuterRef("user_id"))
    rows = (
        Membership.objects.filter(classroom_id__in=scope.classroom_ids)
        .values("classroom_id")
        .annotate(students=Count("user_id"), active=Count("user_id", filter=Exists(attempted)))
        .values_list("classroom_id", "students", "active")
    )
    return _frame(rows, ["classroom_id", "students", "active"])


EXPECTED_FROM_PREDICTIONS = "the student model's stored prediction for the attempt's student and item"
EXPECTED_FROM_BASE_RATE = "the skill's base rate (success rate of all the school's students on it)"


def attempts_by_class_and_skill(scope: Scope) -> pd.DataFrame:
    """Per class and skill: graded attempts, successes, time span, and stored predictions.

    A stored prediction is the recommender's predicted success for that student
    on that item (joined in the same pass); attempts without one are compared
    with the skill's base rate (see ``skill_base_rates``).
    """
    prediction = FilteredRelation(
        "student__recommendations", condition=Q(student__recommendations__item=F("item"))
    )
    rows = (
        records(scope)
        .filter(student__classrooms__in=scope.classroom_ids, skill_id__isnull=False)
        .annotate(prediction=prediction)
        .values("student__classrooms", "skill_id")
        .annotate(
            n=Count("id"),
            successes=Sum(SUCCESS),
            n_predicted=Count("prediction__predicted_success"),
            predicted=Sum("prediction__predicted_success"),
            first=Min("finished_at"),
            last=Max("finished_at"),
        )
        .values_list(
            "student__classrooms", "skill_id", "n", "successes", "n_predicted", "predicted", "first", "last"
        )
    )
    columns = ["classroom_id", "skill_id", "n", "successes", "n_predicted", "predicted", "first", "last"]
    return _frame(rows, columns).fillna({"predicted": 0.0})


def skill_base_rates(skill_ids) -> dict[int, float]:
    """Success rate of every graded attempt in the school on each skill."""
    rows = (
        LearningRecord.objects.filter(skill_id__in=list(skill_ids), correct__isnull=False)
        .values("skill_id")
        .annotate(rate=Avg(SUCCESS))
        .values_list("skill_id", "rate")
    )
    return dict(rows)


NO_FEEDBACK = "none"


def feedback_followups(scope: Scope) -> pd.DataFrame:
    """Per class and kind of feedback after a wrong answer: how often the next attempt succeeded.

    The next attempt is the student's next graded attempt on the same skill
    (a retry of the item, or the skill's next exercise), found with LEAD in the
    database over the same window order as the gain's, which the record index
    (student, skill, finished_at, position, id) delivers without a sort. The
    kind is the feedback item's source, or "none" when the wrong answer got no
    feedback item (a hint at most).
    """
    partition = [F("student_id"), F("skill_id")]
    followed = (
        records(scope)
        .filter(skill_id__isnull=False)
        .annotate(next_success=Window(Lead(SUCCESS), partition_by=partition, order_by=_attempt_order()))
        .values("student_id", "correct", "feedback_item_id", "next_success")
    )
    inner, params = followed.query.sql_with_params()
    membership = Classroom.students.through._meta.db_table
    placeholders = ", ".join(["%s"] * len(scope.classroom_ids))
    # Grouped by feedback item id, not joined to the items inside the window:
    # the few ids are mapped to their kind afterwards.
    sql = f"""
        SELECT m.classroom_id, r.feedback_item_id, COUNT(*), SUM(r.next_success)
        FROM ({inner}) r
        JOIN {membership} m ON m.user_id = r.student_id
        WHERE r.correct = %s AND r.next_success IS NOT NULL AND m.classroom_id IN ({placeholders})
        GROUP BY m.classroom_id, r.feedback_item_id
    """  # noqa: S608 - only table names and placeholders are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, False, *scope.classroom_ids])
        rows = cursor.fetchall()
    frame = _frame(rows, ["classroom_id", "feedback_item_id", "wrong_answers", "successes"])
    kinds = dict(
        Item.objects.filter(id__in=frame["feedback_item_id"].dropna().astype(int).tolist()).values_list(
            "id", "source"
        )
    )
    frame["kind"] = frame["feedback_item_id"].map(kinds).fillna(NO_FEEDBACK)
    frame["successes"] = frame["successes"].astype(float)
    grouped = frame.groupby(["classroom_id", "kind"], as_index=False)[["wrong_answers", "successes"]].sum()
    grouped["next_success"] = grouped["successes"] / grouped["wrong_answers"]
    return grouped[["classroom_id", "kind", "wrong_answers", "next_success"]]


def teachers_by_classroom(classroom_ids) -> pd.DataFrame:
    """(classroom_id, teacher_id, teacher) pairs for the given classes."""
    through = Classroom.teachers.through.objects.filter(classroom_id__in=list(classroom_ids))
    pairs = list(through.values_list("classroom_id", "user_id"))
    names = user_names({teacher for _, teacher in pairs})
    return _frame(
        [(room, teacher, names.get(teacher, "")) for room, teacher in pairs],
        ["classroom_id", "teacher_id", "teacher"],
    )


# --- Generation quality ------------------------------------------------------------------------


def generation_runs(user, scope: Scope, *, one_class: bool) -> QuerySet[GenerationRun]:
    """Runs of the criteria the user may edit, in the date range; of one class's criteria if chosen."""
    runs = GenerationRun.objects.filter(criteria__in=criteria_sets_of(user))
    if one_class:
        runs = runs.filter(criteria__classroom_id__in=scope.classroom_ids)
    if scope.since:
        runs = runs.filter(created_at__gte=scope.since)
    if scope.until:
        runs = runs.filter(created_at__lt=scope.until)
    return runs


def generation_run_rows(runs: QuerySet[GenerationRun]) -> list[dict]:
    """Each run with its sampler statistics and what review made of its accepted items."""
    generated = Q(items__source=Item.Source.GENERATED)
    return list(
        runs.annotate(
            items_approved=Count("items", filter=generated & Q(items__status=Item.Status.APPROVED)),
            items_rejected=Count("items", filter=generated & Q(items__status=Item.Status.REJECTED)),
            items_awaiting=Count("items", filter=generated & Q(items__status=Item.Status.ACCEPTED)),
        )
        .order_by("round", "created_at", "id")
        .values(
            "id",
            "round",
            "status",
            "created_at",
            "criteria__name",
            "stats",
            "items_approved",
            "items_rejected",
            "items_awaiting",
        )
    )
