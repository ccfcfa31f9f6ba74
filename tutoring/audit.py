"""The audit log: who approved, retrained, exported or erased what, and when."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from tutoring.models import AuditEvent


def record_event(
    actor: AbstractBaseUser | AnonymousUser | None, action: str, target: object = "", **details: Any
) -> AuditEvent:
    """Append one event; the actor's name is copied so it survives the account's erasure."""
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor=user,
        actor_name=user.get_username() if user else "system",
        action=action,
        target=str(target)[:300],
        details=details,
    )
