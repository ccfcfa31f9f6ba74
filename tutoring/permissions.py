"""Who may open what: role decorators for views and object lookups scoped to the user.

Two rules, applied everywhere:
- the wrong role for a page is 403 (a student opening a teacher page learns only
  that the page is not for them);
- an object outside the user's reach is 404, as if it did not exist (a teacher
  asking for another class's student cannot tell whether that student exists).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from tutoring.models import Classroom, CriteriaSet, Item, Role

View = Callable[..., HttpResponse]


def role_of(user: AbstractBaseUser) -> str | None:
    """The user's role; superusers count as school admins even without a profile."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    profile = getattr(user, "profile", None)
    return profile.role if profile is not None else None


def is_admin(user: AbstractBaseUser) -> bool:
    return role_of(user) == Role.ADMIN


def role_required(*roles: str) -> Callable[[View], View]:
    """Sign-in first (redirect to the login page), then 403 unless the user has one of ``roles``."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if role_of(request.user) not in roles:
                raise PermissionDenied("This page is not for your role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


student_required = role_required(Role.STUDENT)
# School admins can do everything a teacher can, across all classes.
teacher_required = role_required(Role.TEACHER, Role.ADMIN)
admin_required = role_required(Role.ADMIN)


def classrooms_of(user: AbstractBaseUser) -> QuerySet[Classroom]:
    """The classes a teacher teaches (every class for an admin)."""
    rooms = Classroom.objects.all()
    return rooms if is_admin(user) else rooms.filter(teachers=user)


def classroom_or_404(user: AbstractBaseUser, pk: int) -> Classroom:
    return get_object_or_404(classrooms_of(user), pk=pk)


def editable_items(user: AbstractBaseUser) -> QuerySet[Item]:
    """Resources a teacher may edit: the ones they wrote (any for an admin)."""
    items = Item.objects.exclude(kind=Item.Kind.FEEDBACK, source=Item.Source.GENERATED)
    return items if is_admin(user) else items.filter(created_by=user)


def criteria_sets_of(user: AbstractBaseUser) -> QuerySet[CriteriaSet]:
    """Criteria a teacher may edit: their own and those of their classes."""
    sets = CriteriaSet.objects.all()
    if is_admin(user):
        return sets
    return sets.filter(Q(owner=user) | Q(classroom__teachers=user)).distinct()


def reviewable_items(user: AbstractBaseUser) -> QuerySet[Item]:
    """Generated items a teacher reviews: those produced for criteria they may edit."""
    items = Item.objects.filter(source=Item.Source.GENERATED)
    if is_admin(user):
        return items
    return items.filter(criteria__in=criteria_sets_of(user))


def visible_to_students() -> QuerySet[Item]:
    """Only approved items ever reach students."""
    return Item.objects.filter(status=Item.Status.APPROVED).exclude(kind=Item.Kind.FEEDBACK)
