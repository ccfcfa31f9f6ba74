"""Admin pages of the retraining pipeline: trigger, follow a run live, versions and rollback.

Thin views: the permission decorator, one service or selector call, a render.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from tutoring.models import ModelVersion, PipelineRun
from tutoring.permissions import admin_required
from tutoring.pipeline import registry, runs, selectors


@admin_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "tutoring/pipeline/index.html",
        {"runs": selectors.recent_runs(), "open_run": runs.open_run()},
    )


@admin_required
@require_POST
def retrain(request: HttpRequest) -> HttpResponse:
    """Enqueue a retraining and return at once; a second one while one is open is refused."""
    try:
        run = runs.trigger_run(user=request.user, trigger="manual")
    except runs.PipelineAlreadyRunning as busy:
        messages.warning(request, f"Not started: {busy}. You can follow it here.")
        return redirect("pipeline-run", run_id=busy.run.pk) if busy.run else redirect("pipeline-index")
    messages.success(request, f"Retraining #{run.pk} queued. This page follows it live.")
    return redirect("pipeline-run", run_id=run.pk)


@admin_required
@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(PipelineRun, pk=run_id)
    return render(
        request, "tutoring/pipeline/run.html", {"run": run, "progress": selectors.run_progress(run)}
    )


@admin_required
@require_GET
def run_status(request: HttpRequest, run_id: int) -> JsonResponse:
    """The run's progress as JSON, polled by the run page."""
    return JsonResponse(selectors.run_progress(get_object_or_404(PipelineRun, pk=run_id)))


@admin_required
@require_GET
def versions(request: HttpRequest) -> HttpResponse:
    return render(request, "tutoring/pipeline/versions.html", {"groups": selectors.versions_by_kind()})


@admin_required
@require_POST
def rollback(request: HttpRequest, version_id: int) -> HttpResponse:
    """Make an earlier version active again in one action."""
    version = get_object_or_404(ModelVersion, pk=version_id)
    try:
        registry.rollback(version, request.user)
    except registry.RollbackRefused as refused:
        messages.error(request, f"Not rolled back: {refused}")
    else:
        messages.success(request, f"{version.get_kind_display()} {version.label} is active again.")
    return redirect("pipeline-versions")
