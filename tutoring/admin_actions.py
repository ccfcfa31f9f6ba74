"""Admin actions for data rights and credentials: export a student's data,
erase a student, revoke xAPI clients. Each is audited by the service it calls.

Importing this module adds the actions to the Profile and xAPI client admins
(tutoring/admin.py imports it once, after registering them).
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from tutoring.audit import record_event
from tutoring.data_rights import erase_student, export_student
from tutoring.models import Profile, Role, XapiClient
from tutoring.xapi.credentials import revoke_client


def _students_only(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, done: str) -> list:
    """The selected students' profiles; the admin is told which selected profiles were left out and why."""
    others = [str(p) for p in queryset.exclude(role=Role.STUDENT).select_related("user")]
    if others:
        modeladmin.message_user(request, f"Not {done} (not students): {', '.join(others)}.", messages.WARNING)
    return list(queryset.filter(role=Role.STUDENT).select_related("user"))


@admin.action(description="Download the selected students' data (JSON)", permissions=["view"])
def export_students(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
    profiles = _students_only(modeladmin, request, queryset, "exported")
    data = {p.user.get_username(): export_student(p.user, request.user) for p in profiles}
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    name = next(iter(data)) if len(data) == 1 else "students"
    response["Content-Disposition"] = f'attachment; filename="{name}-data.json"'
    return response


@admin.action(description="Erase the selected students and all their data", permissions=["delete"])
def erase_students(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    """Ask for confirmation first, as Django's own delete action does."""
    if request.POST.get("confirmed") != "yes":
        return TemplateResponse(
            request,
            "admin/tutoring/erase_confirmation.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": "Erase students",
                "profiles": list(queryset.filter(role=Role.STUDENT).select_related("user")),
                "others": list(queryset.exclude(role=Role.STUDENT).select_related("user")),
                "opts": modeladmin.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
    profiles = _students_only(modeladmin, request, queryset, "erased")
    with transaction.atomic():  # all the selected students, or none: never half a selection
        for profile in profiles:
            erase_student(profile.user, request.user)
    modeladmin.message_user(request, f"Erased {len(profiles)} student(s) and their data.", messages.SUCCESS)
    return None


@admin.action(description="Revoke the selected clients' credentials", permissions=["change"])
def revoke_clients(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    for client in queryset.filter(is_active=True):
        revoke_client(client)
        record_event(request.user, "xapi_client.revoked", client.name, key=client.key)
    modeladmin.message_user(request, "The selected clients can no longer send or read statements.")


def _add(model: type, *actions: object) -> None:
    model_admin = admin.site.get_model_admin(model)
    model_admin.actions = [*(model_admin.actions or []), *actions]


_add(Profile, export_students, erase_students)
_add(XapiClient, revoke_clients)
