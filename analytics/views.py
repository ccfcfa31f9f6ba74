"""The dashboards: thin views that read the filters, check access and render panels.

Teachers see only their classes (another class is 404), admins every class,
students none (403), as tutoring.permissions rules for the whole site.
"""

from __future__ import annotations

from datetime import datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from analytics import dashboards, tables
from analytics.forms import DashboardFilterForm
from analytics.selectors import Scope, generation_runs
from tutoring.permissions import classroom_or_404, classrooms_of, teacher_required

DASHBOARDS = {
    "outcomes": "Learning outcomes",
    "teaching": "Teaching quality",
    "generation": "Generation quality",
}


def _filtered_scope(request: HttpRequest) -> tuple[DashboardFilterForm, Scope | None, bool]:
    """The filter form and the scope it selects (None when the filters are invalid).

    A class outside the user's reach is a 404 before any validation, so the
    answer does not reveal whether that class exists.
    """
    chosen = request.GET.get("classroom", "")
    if chosen:
        if not chosen.isdigit():
            raise Http404("No such class.")
        classroom_or_404(request.user, int(chosen))
    visible = classrooms_of(request.user)
    form = DashboardFilterForm(request.GET or None, classrooms=visible)
    if request.GET and not form.is_valid():
        return form, None, bool(chosen)
    data = form.cleaned_data if request.GET else {}
    room, skill = data.get("classroom"), data.get("skill")
    ids = (room.pk,) if room else tuple(visible.values_list("pk", flat=True))
    scope = Scope(ids, skill.pk if skill else None, data.get("start"), data.get("end"))
    return form, scope, room is not None


def _panels(
    request: HttpRequest, name: str, scope: Scope, one_class: bool
) -> tuple[list[dashboards.Panel], datetime | None]:
    if name == "outcomes":
        return dashboards.cached(f"outcomes {scope}", lambda: dashboards.learning_outcomes(scope))
    if name == "teaching":
        return dashboards.cached(f"teaching {scope}", lambda: dashboards.teaching_quality(scope))
    # Which runs a teacher sees depends on who they are, not only on the classes chosen.
    runs = generation_runs(request.user, scope, one_class=one_class)
    key = f"generation {scope} {one_class} user={request.user.pk}"
    return dashboards.cached(key, lambda: dashboards.generation_quality(runs))


def _dashboard(request: HttpRequest, name: str) -> HttpResponse:
    form, scope, one_class = _filtered_scope(request)
    panels, built_at = [], None
    if scope is not None and scope.classroom_ids:
        panels, built_at = _panels(request, name, scope, one_class)
    download = request.GET.get("download")
    if download:
        panel = next((p for p in panels if p.key == download), None)
        if panel is None:
            raise Http404("No such table.")
        response = HttpResponse(tables.csv_text(panel.table), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{panel.key}.csv"'
        return response
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": form,
            "panels": panels,
            "current": name,
            "title": DASHBOARDS[name],
            "dashboards": DASHBOARDS,
            "no_classes": scope is not None and not scope.classroom_ids,
            "built_at": built_at,
            "cache_seconds": dashboards.CACHE_SECONDS,
        },
    )


@teacher_required
def outcomes(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "outcomes")


@teacher_required
def teaching(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "teaching")


@teacher_required
def generation(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "generation")
