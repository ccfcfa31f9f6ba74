"""Reads for the generation-quality dashboard: runs of the criteria a user may edit."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Count,
    Q,
    QuerySet,
)

from analytics.selectors.scope import (
    Scope,
)
from tutoring.models import (
    GenerationRun,
    Item,
)
from tutoring.permissions import criteria_sets_of


def generation_runs(user: AbstractBaseUser, scope: Scope, *, one_class: bool) -> QuerySet[GenerationRun]:
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
