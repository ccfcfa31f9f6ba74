"""Teachers' decisions on items: approve, reject with a reason, edit; each one audited.

Only approved items reach students (tutoring.permissions.visible_to_students),
so approval is the single door between the generator and a classroom.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tutoring.audit import record_event
from tutoring.models import Item, Skill


def _decide(actor: AbstractBaseUser, items: QuerySet[Item], status: str, note: str, action: str) -> int:
    with transaction.atomic():
        # Lock the rows alone: the caller's query may join nullable relations (PostgreSQL
        # refuses FOR UPDATE on the nullable side of an outer join).
        pks = list(items.values_list("pk", flat=True))
        chosen = list(Item.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
        now = timezone.now()
        for item in chosen:
            item.status, item.review_note, item.reviewed_by, item.reviewed_at = status, note, actor, now
            item.updated_at = now
        Item.objects.bulk_update(
            chosen, ["status", "review_note", "reviewed_by", "reviewed_at", "updated_at"]
        )
        for item in chosen:
            record_event(actor, action, item, item_id=item.pk, reason=note)
    return len(chosen)


def approve(actor: AbstractBaseUser, items: QuerySet[Item]) -> int:
    """Release items to students; returns how many were approved."""
    return _decide(actor, items, Item.Status.APPROVED, "", "item.approve")


def reject(actor: AbstractBaseUser, items: QuerySet[Item], reason: str) -> int:
    """Keep items from students, recording the reviewer's reason on each."""
    if not reason.strip():
        raise ValueError("a rejection needs a reason")
    return _decide(actor, items, Item.Status.REJECTED, reason.strip(), "item.reject")


def save_edit(
    actor: AbstractBaseUser, item: Item, changed: list[str], skills: Iterable[Skill] | None = None
) -> Item:
    """Store a teacher's edit of an item (already validated by a form) and audit which fields changed."""
    with transaction.atomic():
        item.save()
        if skills is not None:
            item.skills.set(skills)
        record_event(actor, "item.edit", item, item_id=item.pk, fields=changed)
    return item


def create_item(actor: AbstractBaseUser, item: Item, skills: Iterable[Skill]) -> Item:
    """Add a teacher's own resource or exercise to the bank, approved for students at once."""
    with transaction.atomic():
        item.source, item.status, item.created_by = Item.Source.AUTHORED, Item.Status.APPROVED, actor
        item.save()
        item.skills.set(skills)
        record_event(actor, "item.create", item, item_id=item.pk)
    return item
