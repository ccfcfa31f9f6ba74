"""Reads the site's pages need, each one query set or one small aggregate."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Count, Max, Q, QuerySet

from tutoring.models import (
    Classroom,
    CriteriaSet,
    Item,
    LearningRecord,
    Mastery,
    MasterySnapshot,
    ModelVersion,
    Recommendation,
    RecommendationList,
    Skill,
)
from tutoring.permissions import classrooms_of, criteria_sets_of, reviewable_items, visible_to_students


def recommendations_for(student: AbstractBaseUser) -> QuerySet[Recommendation]:
    """The student's recommendations, best first, limited to items still approved."""
    return (
        Recommendation.objects.filter(student=student, item__status=Item.Status.APPROVED)
        .select_related("item")
        .prefetch_related("item__skills")
        .order_by("rank")
    )


def has_practice_items() -> bool:
    """Whether any approved item practises a skill, so an empty list means the student is done."""
    return visible_to_students().filter(skills__isnull=False).exists()


def recommendations_stale(student: AbstractBaseUser) -> bool:
    """Whether the student's list, empty or not, needs computing again: never computed, or since
    then the student answered something, an item was approved (or an approved one edited), or
    another student model became the active one."""
    computed = RecommendationList.objects.filter(student=student)
    if not (found := computed.values_list("computed_at", "model_version_id").first()):
        return True
    computed_at, version_id = found
    # Only a model with files is used (tutoring.mastery.active_student_model).
    active = ModelVersion.objects.filter(
        kind=ModelVersion.Kind.STUDENT_MODEL, status=ModelVersion.Status.ACTIVE
    ).exclude(path="")
    return (
        active.values_list("pk", flat=True).first() != version_id
        or LearningRecord.objects.filter(student=student, created_at__gt=computed_at).exists()
        or visible_to_students().filter(updated_at__gt=computed_at).exists()
    )


def attempts_on(student: AbstractBaseUser, item: Item) -> QuerySet[LearningRecord]:
    return (
        LearningRecord.objects.filter(student=student, item=item)
        .select_related("feedback_item")
        .order_by("-id")
    )


def masteries_of(student: AbstractBaseUser) -> QuerySet[Mastery]:
    return Mastery.objects.filter(student=student).select_related("skill").order_by("skill__name")


@dataclass(frozen=True)
class Progress:
    """A student's mastery: the table of current values and the chart over time."""

    masteries: list[Mastery]
    history: list[dict]  # rows of skill, at, value (the chart's data, also shown as a table)
    chart_html: str


def progress_of(student: AbstractBaseUser, max_points: int = 2000) -> Progress:
    """Current mastery per skill and its history as a plotly line chart (no plotly.js bundled in)."""
    history = list(
        MasterySnapshot.objects.filter(student=student)
        .order_by("-at", "-id")
        .values("skill__name", "at", "value")[:max_points]
    )
    history.reverse()
    figure = go.Figure()
    by_skill: dict[str, list[dict]] = {}
    for row in history:
        by_skill.setdefault(row["skill__name"], []).append(row)
    for name, rows in sorted(by_skill.items()):
        figure.add_trace(
            go.Scatter(
                x=[r["at"] for r in rows], y=[r["value"] for r in rows], mode="lines+markers", name=name
            )
        )
    figure.update_layout(
        title="Mastery over time",
        yaxis={"title": "Mastery", "range": [0, 1]},
        xaxis={"title": "Time"},
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
        height=380,
    )
    chart = figure.to_html(full_html=False, include_plotlyjs=False, div_id="mastery-chart") if history else ""
    return Progress(list(masteries_of(student)), history, chart)


def classes_of(user: AbstractBaseUser) -> QuerySet[Classroom]:
    return classrooms_of(user).annotate(n_students=Count("students", distinct=True)).order_by("name")


def class_students(classroom: Classroom) -> QuerySet:
    """The class's students with their average mastery, record count and last activity."""
    return (
        classroom.students.select_related("profile")
        .annotate(
            mean_mastery=Avg("masteries__value"),
            n_records=Count("learning_records", distinct=True),
            last_active=Max("learning_records__finished_at"),
        )
        .order_by("username")
    )


def item_bank(
    user: AbstractBaseUser, *, kind: str = "", skill: str = "", query: str = "", mine: bool = False
) -> QuerySet[Item]:
    """Resources and exercises a teacher browses (feedback items live in the review queue).

    A generated item joins the shared bank once a reviewer approves it; before that (or
    once rejected) only the teachers who review it see it, so nobody reuses an unreviewed
    exercise from another teacher's criteria as if the school had vetted it.
    """
    vetted = ~Q(source=Item.Source.GENERATED) | Q(status=Item.Status.APPROVED)
    items = (
        Item.objects.exclude(kind=Item.Kind.FEEDBACK)
        .filter(vetted | Q(pk__in=reviewable_items(user).values("pk")))
        .prefetch_related("skills")
        .order_by("-id")
    )
    if mine:
        items = items.filter(created_by=user)
    if kind:
        items = items.filter(kind=kind)
    if skill:
        items = items.filter(skills__pk=skill)
    if query:
        items = items.filter(Q(title__icontains=query) | Q(text__icontains=query))
    return items


def skill_choices() -> QuerySet[Skill]:
    return Skill.objects.order_by("name")


def review_queue(user: AbstractBaseUser) -> QuerySet[Item]:
    """Accepted generated items awaiting this teacher's review, oldest first."""
    return (
        reviewable_items(user)
        .filter(status=Item.Status.ACCEPTED)
        .select_related("criteria", "generation_run", "target_item")
        .prefetch_related("skills")
        .order_by("created_at", "id")
    )


def criteria_of(user: AbstractBaseUser) -> QuerySet[CriteriaSet]:
    return criteria_sets_of(user).select_related("classroom").prefetch_related("skills").order_by("name")
