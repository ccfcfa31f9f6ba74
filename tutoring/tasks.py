"""Celery tasks of the retraining pipeline: thin doors onto tutoring.pipeline services.

Every task takes the run id (and small ids), loads what it needs, and is safe to
run twice: a closed run is left alone, a stage that already produced its result
returns it, and a stage a dead worker left half-done is cleaned and redone.
``acks_late`` plus ``reject_on_worker_lost`` mean a worker killed mid-task gives
its message back to the broker; transient database and broker errors are retried
with exponential backoff; every task has a soft and a hard time limit. Names
follow the routes in settings: ``sample_*`` go to the "generation" queue,
``train_*``/``finetune_*`` to "training", the rest to "default". Tasks belong to
the project's app (not ``shared_task``), so any process that enqueues them, the
web server included, sends them with the project's broker and result backend.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import kombu.exceptions
from celery import Task
from celery.signals import task_failure
from django.db import InterfaceError, OperationalError

from edursft.celery import app
from tutoring.models import ModelVersion, PipelineRun
from tutoring.pipeline import generation, refresh, runs, training
from tutoring.pipeline.config import PipelineConfig

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, kombu.exceptions.OperationalError, ConnectionError)
# (message, skipped): what the stage did, for the run page and the log.
Outcome = tuple[str, bool]


class PipelineTask(Task):
    """Shared behaviour of the stage tasks."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT
    retry_backoff = 5
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 5
    stage = ""


def _worker(task: Task) -> str:
    return f"{task.request.hostname or 'local'} (pid {os.getpid()})"


def _run_stage(
    task: Task, run_id: int, work: Callable[[PipelineRun, PipelineConfig, Callable], Outcome]
) -> str:
    """Open the stage, run ``work`` with a progress callback, close the stage; returns the outcome."""
    stage = task.stage
    try:
        starts = runs.begin_stage(run_id, stage, worker=_worker(task), pid=os.getpid())
    except runs.RunClosed:
        return "run already closed"
    config = runs.run_config(run_id)
    lost = starts - 1 - task.request.retries
    if lost >= config.max_deliveries:
        reason = f"the worker running {stage} was lost {lost} times; giving up"
        runs.fail_run(run_id, stage, reason)
        return reason

    def progress(fraction: float, message: str) -> None:
        runs.report(run_id, stage, progress=fraction, message=message, log=False)
        task.update_state(state="PROGRESS", meta={"run": run_id, "stage": stage, "progress": fraction})

    message, skipped = work(PipelineRun.objects.get(pk=run_id), config, progress)
    runs.end_stage(run_id, stage, message=message, skipped=skipped)
    return message


def stage_task(stage: str, *, soft_time_limit: int, time_limit: int) -> Callable[[Callable[..., str]], Task]:
    """A bound PipelineTask for ``stage`` with its time limits."""
    return app.task(
        bind=True, base=PipelineTask, stage=stage, soft_time_limit=soft_time_limit, time_limit=time_limit
    )


@stage_task("mastery", soft_time_limit=1700, time_limit=1800)
def refresh_mastery(self: Task, run_id: int) -> str:
    def work(run, config, progress) -> Outcome:
        return f"mastery of {refresh.refresh_all_mastery(progress)} students recomputed", False

    return _run_stage(self, run_id, work)


@stage_task("bootstrap", soft_time_limit=3300, time_limit=3600)
def train_bootstrap_generator(self: Task, run_id: int) -> str:
    def work(run, config, progress) -> Outcome:
        if not config.generator:
            return "the generator stages are switched off", True
        from tutoring.pipeline import generator  # loads transformers: only in the worker that trains

        progress(0.05, f"pre-training the bootstrap generator ({config.generator_preset} preset)")
        version = generator.bootstrap_generator(run, config)
        if version is None:
            return "a generator is already active", True
        version.refresh_from_db()
        gate = version.metrics.get("gate", {})
        return f"bootstrap generator {version.label}: {version.status} ({gate.get('reason', '')})", False

    return _run_stage(self, run_id, work)


@app.task(bind=True, base=PipelineTask, stage="generation", soft_time_limit=1700, time_limit=1800)
def sample_candidates(self: Task, run_id: int, generation_id: int, skill_id: int) -> dict:
    """One skill of one criteria set: propose, rejection-sample, store (a part of the generation stage)."""
    try:
        runs.begin_part(run_id, "generation", worker=_worker(self))
    except runs.RunClosed:
        return {}
    stats = generation.sample_for_skill(generation_id, skill_id, runs.run_config(run_id))
    runs.count_part_done(
        run_id,
        "generation",
        f"skill {skill_id}: {stats.get('accepted', '?')} accepted of {stats.get('proposals', '?')} proposals",
    )
    return stats


@stage_task("generation", soft_time_limit=300, time_limit=360)
def collect_generation(self: Task, run_id: int) -> str:
    def work(run, config, progress) -> Outcome:
        totals = generation.close_generation(run)
        if not totals["generation_runs"]:
            return "no active criteria set has skills to generate for", True
        return (
            f"{totals['accepted']} accepted and {totals['rejected']} rejected candidates "
            f"in {totals['generation_runs']} generation runs",
            False,
        )

    return _run_stage(self, run_id, work)


@stage_task("finetune_generator", soft_time_limit=3300, time_limit=3600)
def finetune_generator(self: Task, run_id: int) -> str:
    def work(run, config, progress) -> Outcome:
        if not config.generator:
            return "the generator stages are switched off", True
        from tutoring.pipeline import generator

        progress(0.05, "fine-tuning the generator on accepted samples")
        version = generator.finetune_generator(run, config)
        if version is None:
            return "no new accepted samples to learn from", True
        return f"candidate generator {version.label} trained", False

    return _run_stage(self, run_id, work)


@stage_task("student_model", soft_time_limit=3300, time_limit=3600)
def train_student_model(self: Task, run_id: int) -> str:
    def work(run, config, progress) -> Outcome:
        progress(0.05, "training the student model")
        version = training.train_student_model(run, config)
        if version is None:
            return "no new learning records since the active version", True
        how = "warm-started" if version.parent_id else "trained from scratch"
        return f"candidate student model {version.label} {how}", False

    return _run_stage(self, run_id, work)


@stage_task("evaluate", soft_time_limit=1700, time_limit=1800)
def evaluate_candidates(self: Task, run_id: int) -> str:
    def work(run, config, progress) -> Outcome:
        notes = training.evaluate_student_candidate(run, config)
        if training.has_candidate(run, ModelVersion.Kind.GENERATOR):
            from tutoring.pipeline import generator

            notes += generator.evaluate_generator_candidate(run)
        return ("; ".join(notes), False) if notes else ("no candidate to evaluate", True)

    return _run_stage(self, run_id, work)


@stage_task("promote", soft_time_limit=300, time_limit=360)
def promote_candidates(self: Task, run_id: int) -> str:
    def work(run, config, progress) -> Outcome:
        notes = training.promote_candidates(run, config)
        return ("; ".join(notes), False) if notes else ("no candidate to promote", True)

    return _run_stage(self, run_id, work)


@stage_task("recommendations", soft_time_limit=3300, time_limit=3600)
def refresh_recommendations(self: Task, run_id: int) -> str:
    def work(run, config, progress) -> Outcome:
        refresh.refresh_all_mastery(lambda fraction, message: progress(fraction / 2, f"mastery: {message}"))
        count = refresh.refresh_all_recommendations(
            lambda fraction, message: progress(0.5 + fraction / 2, f"recommendations: {message}")
        )
        return f"recommendations of {count} students refreshed", False

    return _run_stage(self, run_id, work)


@app.task(bind=True, base=PipelineTask, stage="finish", soft_time_limit=300, time_limit=360)
def finish_pipeline(self: Task, run_id: int) -> str:
    """Purge rejected candidates past their retention period and close the run."""
    purged = generation.purge_rejected()
    try:
        runs.note(run_id, f"{purged} expired rejected candidates purged")
        runs.finish_run(run_id)
    except runs.RunClosed:
        return "run already closed"
    return "finished"


@app.task(acks_late=True, soft_time_limit=60, time_limit=90)
def scheduled_retrain() -> str:
    """The nightly retraining (Celery beat); does nothing if a run is already open."""
    try:
        run = runs.trigger_run(trigger="schedule")
    except runs.PipelineAlreadyRunning as busy:
        return str(busy)
    return f"retraining #{run.pk} queued"


@task_failure.connect
def close_failed_run(
    sender: Task | None = None,
    exception: BaseException | None = None,
    args: tuple | None = None,
    kwargs: dict | None = None,
    **_: object,
) -> None:
    """A stage task failed for good (retries spent, time limit, error): close its run with the reason.

    Sent in the worker's child for errors and in the parent for hard time limits,
    so a run never stays "running" after its task is gone.
    """
    if not isinstance(sender, PipelineTask):
        return
    run_id = (args or [None])[0] if args else (kwargs or {}).get("run_id")
    if run_id is None:
        return
    reason = f"{type(exception).__name__}: {exception}"
    logger.error("retraining #%s failed in %s: %s", run_id, sender.stage, reason)
    runs.fail_run(int(run_id), sender.stage, reason)
