"""Reads for the teaching-quality dashboard: enrolment, attempts and predictions, feedback follow-ups."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
)
from django.db.models.functions import Lead

from analytics.selectors.scope import (
    Scope,
    as_frame,
    in_classes,
    membership_table,
    over_skill_attempts,
    records,
    user_names,
)
from tutoring.models import (
    Classroom,
    Item,
    LearningRecord,
    Recommendation,
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
    on that item (joined in the same pass on its (student, item) key); attempts
    without one are compared with the skill's base rate (see ``skill_base_rates``).
    The records are joined to the membership directly (the ORM's path to a
    student's classes goes through the user table).
    """
    attempts = (
        records(scope)
        .filter(skill_id__isnull=False)
        .values("student_id", "skill_id", "item_id", "correct", "finished_at")
    )
    inner, params = attempts.query.sql_with_params()
    sql = f"""
        SELECT m.classroom_id, r.skill_id, COUNT(*), COUNT(*) FILTER (WHERE r.correct),
               COUNT(p.predicted_success), SUM(p.predicted_success), MIN(r.finished_at), MAX(r.finished_at)
        FROM ({inner}) r
        JOIN {membership_table()} m ON m.user_id = r.student_id
        LEFT JOIN {Recommendation._meta.db_table} p ON p.student_id = r.student_id AND p.item_id = r.item_id
        WHERE m.classroom_id {in_classes(scope)}
        GROUP BY m.classroom_id, r.skill_id
    """  # noqa: S608 - only table names and placeholders are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *scope.classroom_ids])
        rows = cursor.fetchall()
    columns = ["classroom_id", "skill_id", "n", "successes", "n_predicted", "predicted", "first", "last"]
    return as_frame(rows, columns).fillna({"predicted": 0.0})


def skill_base_rates(skill_ids: Iterable[int]) -> dict[int, float]:
    """Success rate of every graded attempt in the school on each skill."""
    rows = (
        LearningRecord.objects.filter(skill_id__in=list(skill_ids), correct__isnull=False)
        .values("skill_id")
        .annotate(successes=Count("id", filter=Q(correct=True)), n=Count("id"))
        .values_list("skill_id", "successes", "n")
    )
    return {skill: successes / n for skill, successes, n in rows}


NO_FEEDBACK = "none"


def feedback_followups(scope: Scope) -> pd.DataFrame:
    """Per class and kind of feedback after a wrong answer: how often the next attempt succeeded.

    The next attempt is the student's next graded attempt on the same skill
    (a retry of the item, or the skill's next exercise), found with LEAD in the
    database over the same window order as the gain's, which the record index
    (student, skill, finished_at, position, id) delivers without a sort. The
    kind is the feedback item's source, or "none" when the wrong answer got no
    feedback item (a hint at most); the database groups by it too.
    """
    followed = (
        records(scope)
        .filter(skill_id__isnull=False)
        .annotate(next_correct=over_skill_attempts(Lead("correct")))
        .values("student_id", "correct", "feedback_item_id", "next_correct")
    )
    inner, params = followed.query.sql_with_params()
    sql = f"""
        SELECT m.classroom_id, COALESCE(i.source, %s), COUNT(*), COUNT(*) FILTER (WHERE r.next_correct)
        FROM ({inner}) r
        JOIN {membership_table()} m ON m.user_id = r.student_id
        LEFT JOIN {Item._meta.db_table} i ON i.id = r.feedback_item_id
        WHERE r.correct = %s AND r.next_correct IS NOT NULL AND m.classroom_id {in_classes(scope)}
        GROUP BY 1, 2
    """  # noqa: S608 - only table names and placeholders are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [NO_FEEDBACK, *params, False, *scope.classroom_ids])
        rows = cursor.fetchall()
    frame = as_frame(rows, ["classroom_id", "kind", "wrong_answers", "successes"])
    frame["next_success"] = frame["successes"] / frame["wrong_answers"]
    return frame[["classroom_id", "kind", "wrong_answers", "next_success"]]


def teachers_by_classroom(classroom_ids: Iterable[int]) -> pd.DataFrame:
    """(classroom_id, teacher_id, teacher) pairs for the given classes."""
    through = Classroom.teachers.through.objects.filter(classroom_id__in=list(classroom_ids))
    pairs = list(through.values_list("classroom_id", "user_id"))
    names = user_names({teacher for _, teacher in pairs})
    return as_frame(
        [(room, teacher, names.get(teacher, "")) for room, teacher in pairs],
        ["classroom_id", "teacher_id", "teacher"],
    )
