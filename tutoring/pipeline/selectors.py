"""Reads for the pipeline pages: a run's progress as plain data, runs and versions lists."""

from __future__ import annotations

from django.db.models import QuerySet

from tutoring.models import ModelVersion, PipelineRun
from tutoring.pipeline.runs import OPEN, STAGES

LOG_TAIL_LINES = 200
# Metrics shown in the versions table, in this order, when a version has them.
SHOWN_METRICS: tuple[tuple[str, str], ...] = (
    ("test_auc", "Test AUC"),
    ("active_test_auc", "Active's test AUC"),
    ("valid_auc", "Validation AUC"),
    ("held_out_perplexity", "Held-out perplexity"),
    ("active_held_out_perplexity", "Active's perplexity"),
)


def run_progress(run: PipelineRun) -> dict:
    """Status, per-stage progress and the log's tail, in stage order (what the run page polls)."""
    stages = []
    for name, label in STAGES:
        entry = run.stages.get(name, {})
        stages.append(
            {
                "name": name,
                "label": entry.get("label", label),
                "status": entry.get("status", "pending"),
                "progress": float(entry.get("progress", 0.0)),
                "percent": round(100 * float(entry.get("progress", 0.0))),
                "message": entry.get("message", ""),
                "workers": entry.get("workers", []),
                "parts": entry.get("parts"),
                "done": entry.get("done"),
            }
        )
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "open": run.status in OPEN,
        "trigger": run.trigger,
        "error": run.error,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "stages": stages,
        "log": "\n".join(run.log.splitlines()[-LOG_TAIL_LINES:]),
    }


def recent_runs(limit: int = 30) -> QuerySet[PipelineRun]:
    return PipelineRun.objects.select_related("triggered_by").order_by("-created_at")[:limit]


def versions_by_kind() -> list[dict]:
    """Every version of each kind, newest first, with the metrics worth showing."""
    groups = []
    for kind, label in ModelVersion.Kind.choices:
        versions = ModelVersion.objects.filter(kind=kind).select_related("parent").order_by("-created_at")
        rows = [
            {
                "version": version,
                "metrics": [
                    (name, version.metrics[key])
                    for key, name in SHOWN_METRICS
                    if isinstance(version.metrics.get(key), int | float)
                ],
                "gate": version.metrics.get("gate", {}).get("reason", ""),
            }
            for version in versions
        ]
        groups.append({"kind": kind, "label": label, "rows": rows})
    return groups
