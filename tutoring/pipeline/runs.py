"""Pipeline runs: opening one (never two at once), stage progress and log, closing it.

Progress lives on the ``PipelineRun`` row, not in a worker's memory, so the run
page shows the same bars after a reload, a web restart or a worker crash.
Several workers update one run at once (the generation fan-out): every update
locks the row, merges and saves inside one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from tutoring.audit import record_event
from tutoring.models import PipelineRun
from tutoring.pipeline.config import PipelineConfig, config_of_run, pipeline_config

RunStatus = PipelineRun.Status
OPEN = (RunStatus.QUEUED, RunStatus.RUNNING)

# The stages in the order they run, with the names the run page shows.
STAGES: tuple[tuple[str, str], ...] = (
    ("mastery", "Refresh mastery"),
    ("bootstrap", "Bootstrap generator"),
    ("generation", "Generate and rejection-sample"),
    ("finetune_generator", "Fine-tune generator"),
    ("student_model", "Train student model"),
    ("evaluate", "Evaluate candidates"),
    ("promote", "Promote through the gate"),
    ("recommendations", "Refresh recommendations"),
)
STAGE_NAMES = tuple(name for name, _ in STAGES)


class PipelineAlreadyRunning(Exception):
    """A retraining is already queued or running; ``run`` is that one."""

    def __init__(self, run: PipelineRun | None) -> None:
        self.run = run
        label = f"retraining #{run.pk} is already {run.status}" if run else "a retraining is already running"
        super().__init__(label)


class RunClosed(Exception):
    """The run already succeeded or failed: a late or repeated task must not touch it."""


def _now() -> str:
    return timezone.now().isoformat(timespec="milliseconds")


def initial_stages() -> dict:
    return {
        name: {"label": label, "status": "pending", "progress": 0.0, "message": "", "attempts": 0}
        for name, label in STAGES
    }


def open_run() -> PipelineRun | None:
    return PipelineRun.objects.filter(status__in=OPEN).first()


def stale_after() -> timedelta:
    """An open run with no news for longer than a task may live has lost its worker."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 600)


def last_activity(run: PipelineRun) -> datetime:
    """The latest stage update, or the run's creation."""
    stamps = [s.get("updated_at") for s in run.stages.values() if isinstance(s, dict) and s.get("updated_at")]
    return max([timezone.datetime.fromisoformat(s) for s in stamps], default=run.created_at)


def fail_stale_runs() -> int:
    """Fail open runs that made no progress for longer than any task may take.

    A broker without acknowledgements (the demo's filesystem transport) loses a
    message whose worker died; this keeps such a run from blocking every later one.
    """
    failed = 0
    for run in PipelineRun.objects.filter(status__in=OPEN):
        if timezone.now() - last_activity(run) > stale_after():
            fail_run(
                run.pk, None, f"no progress since {last_activity(run):%Y-%m-%d %H:%M}; the worker was lost"
            )
            failed += 1
    return failed


def trigger_run(
    *,
    user: AbstractBaseUser | None = None,
    trigger: str = "manual",
    overrides: dict | None = None,
    preset: str = "demo",
    enqueue: Callable[[int], str] | None = None,
) -> PipelineRun:
    """Open a retraining and enqueue its workflow once the row is committed; returns at once.

    Raises PipelineAlreadyRunning when another run is open (the database's
    ``one_open_pipeline_run`` constraint decides, so two simultaneous triggers
    cannot both win).
    """
    config = pipeline_config(overrides, preset=preset)
    fail_stale_runs()
    try:
        with transaction.atomic():
            run = PipelineRun.objects.create(
                triggered_by=user if user is not None and user.is_authenticated else None,
                trigger=trigger,
                config=config.as_json(),
                stages=initial_stages(),
                log=f"{_now()} queued ({trigger})\n",
            )
    except IntegrityError:
        raise PipelineAlreadyRunning(open_run()) from None
    record_event(user, "pipeline.trigger", run, trigger=trigger)
    if enqueue is None:
        from tutoring.pipeline.workflow import enqueue_run as enqueue
    transaction.on_commit(lambda: _remember_task(run.pk, enqueue(run.pk)))
    return run


def _remember_task(run_id: int, task_id: str) -> None:
    PipelineRun.objects.filter(pk=run_id).update(task_id=task_id)


def run_config(run_id: int) -> PipelineConfig:
    return config_of_run(PipelineRun.objects.values_list("config", flat=True).get(pk=run_id))


def _update(run_id: int, change: Callable[[PipelineRun], None], *, allow_closed: bool = False) -> PipelineRun:
    with transaction.atomic():
        run = PipelineRun.objects.select_for_update().get(pk=run_id)
        if run.status not in OPEN and not allow_closed:
            raise RunClosed(f"retraining #{run_id} is {run.status}")
        change(run)
        run.save()
    return run


def begin_stage(run_id: int, stage: str, *, worker: str, pid: int, message: str = "") -> int:
    """Mark a stage running on ``worker``; returns how many times it has been started (re-deliveries)."""
    attempts = 0

    def change(run: PipelineRun) -> None:
        nonlocal attempts
        if run.status == RunStatus.QUEUED:
            run.status = RunStatus.RUNNING
            run.started_at = timezone.now()
        entry = run.stages.setdefault(stage, {"label": stage})
        attempts = int(entry.get("attempts", 0)) + 1
        workers = entry.get("workers", [])
        entry.update(
            status="running",
            attempts=attempts,
            workers=workers if worker in workers else [*workers, worker],
            pid=pid,
            started_at=entry.get("started_at") or _now(),
            updated_at=_now(),
            message=message or entry.get("message", ""),
        )
        if attempts > 1:
            run.log += f"{_now()} {stage}: started again (delivery {attempts}) on {worker}\n"
        else:
            run.log += f"{_now()} {stage}: started on {worker}\n"

    _update(run_id, change)
    return attempts


def plan_parts(run_id: int, stage: str, parts: int) -> None:
    """A fanned-out stage will finish after ``parts`` parts."""

    def change(run: PipelineRun) -> None:
        run.stages.setdefault(stage, {"label": stage}).update(parts=parts, done=0)

    _update(run_id, change)


def begin_part(run_id: int, stage: str, *, worker: str) -> None:
    """A part of a fanned-out stage started on ``worker``."""

    def change(run: PipelineRun) -> None:
        if run.status == RunStatus.QUEUED:
            run.status = RunStatus.RUNNING
            run.started_at = timezone.now()
        entry = run.stages.setdefault(stage, {"label": stage})
        workers = entry.get("workers", [])
        entry.update(
            status="running",
            workers=workers if worker in workers else [*workers, worker],
            started_at=entry.get("started_at") or _now(),
            updated_at=_now(),
        )

    _update(run_id, change)


def report(
    run_id: int, stage: str, *, progress: float | None = None, message: str = "", log: bool = True
) -> None:
    """Progress (0..1) and a message for a stage; the message is also appended to the log."""

    def change(run: PipelineRun) -> None:
        entry = run.stages.setdefault(stage, {"label": stage})
        if progress is not None:
            entry["progress"] = round(max(0.0, min(1.0, progress)), 4)
        if message:
            entry["message"] = message
            if log:
                run.log += f"{_now()} {stage}: {message}\n"
        entry["updated_at"] = _now()

    _update(run_id, change)


def count_part_done(run_id: int, stage: str, message: str) -> None:
    """One part of a fanned-out stage finished: advance the stage's progress by one part."""

    def change(run: PipelineRun) -> None:
        entry = run.stages.setdefault(stage, {"label": stage})
        entry["done"] = int(entry.get("done", 0)) + 1
        entry["progress"] = round(entry["done"] / max(1, int(entry.get("parts", 1))), 4)
        entry["updated_at"] = _now()
        run.log += f"{_now()} {stage}: {message}\n"

    _update(run_id, change)


def end_stage(run_id: int, stage: str, *, message: str = "", skipped: bool = False) -> None:
    def change(run: PipelineRun) -> None:
        entry = run.stages.setdefault(stage, {"label": stage})
        entry.update(
            status="skipped" if skipped else "done",
            progress=1.0,
            finished_at=_now(),
            updated_at=_now(),
            message=message or entry.get("message", ""),
        )
        outcome = "skipped" if skipped else "done"
        run.log += f"{_now()} {stage}: {outcome}{f' ({message})' if message else ''}\n"

    _update(run_id, change)


def note(run_id: int, text: str) -> None:
    """A line in the run's log that belongs to no stage."""

    def change(run: PipelineRun) -> None:
        run.log += f"{_now()} {text}\n"

    _update(run_id, change)


def finish_run(run_id: int) -> None:
    def change(run: PipelineRun) -> None:
        run.status = RunStatus.SUCCEEDED
        run.finished_at = timezone.now()
        run.log += f"{_now()} retraining finished\n"

    _update(run_id, change)


def fail_run(run_id: int, stage: str | None, reason: str) -> None:
    """Close the run as failed with the reason; a closed run is left as it is."""

    def change(run: PipelineRun) -> None:
        if run.status not in OPEN:
            return
        if stage:
            entry = run.stages.setdefault(stage, {"label": stage})
            entry.update(status="failed", message=reason[:500], updated_at=_now())
        run.status = RunStatus.FAILED
        run.error = reason[:4000]
        run.finished_at = timezone.now()
        run.log += f"{_now()} {stage or 'run'}: FAILED: {reason}\n"

    _update(run_id, change, allow_closed=True)
