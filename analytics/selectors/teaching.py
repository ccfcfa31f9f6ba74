"""Reads for the teaching-quality dashboard: enrolment, attempts and predictions, feedback follow-ups."""

from __future__ import annotations

import pandas as pd
from django.db import connection
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    Window,
)
from django.db.models.functions import Lead

from analytics.selectors.scope import (
    SUCCESS,
    Scope,
    as_frame,
    attempt_order,
    records,
    user_names,
)
from tutoring.models import (
    Classroom,
    Item,
    LearningRecord,
)


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
    return as_frame(rows, ["classroom_id", "students", "active"])


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
    return as_frame(rows, columns).fillna({"predicted": 0.0})


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
        .annotate(next_success=Window(Lead(SUCCESS), partition_by=partition, order_by=attempt_order()))
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
    frame = as_frame(rows, ["classroom_id", "feedback_item_id", "wrong_answers", "successes"])
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
    return as_frame(
        [(room, teacher, names.get(teacher, "")) for room, teacher in pairs],
        ["classroom_id", "teacher_id", "teacher"],
    )
