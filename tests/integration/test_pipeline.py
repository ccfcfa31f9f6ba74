"""The retraining pipeline with real worker processes on Redis and PostgreSQL.

Each test starts its own `celery -A edursft worker` processes (tests/fixtures/
worker.py) against the test database; models are tiny so a run takes seconds.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from django.db import connection

from tests.factories import ItemFactory
from tests.fixtures.pipeline import add_school_records
from tutoring.models import CriteriaSet, GenerationRun, ModelVersion, PipelineRun, Recommendation, Skill
from tutoring.pipeline import registry, runs

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
Kind = ModelVersion.Kind
Status = ModelVersion.Status
RUN_TIMEOUT_S = 240
STUDENT_ONLY = {"generator": False}


def _trigger(**overrides) -> PipelineRun:
    return runs.trigger_run(preset="tiny", overrides={**STUDENT_ONLY, **overrides})


def _wait(run: PipelineRun, pool, timeout: float = RUN_TIMEOUT_S) -> PipelineRun:
    """Poll the run until it closes; on timeout, fail with the run log and the workers' output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status not in runs.OPEN:
            return run
        time.sleep(0.25)
    logs = "\n".join(f"--- {w.name}\n{w.output()[-3000:]}" for w in pool.workers)
    pytest.fail(f"run #{run.pk} still {run.status} after {timeout}s\n{run.log}\n{logs}")


def _succeeded(run: PipelineRun, pool) -> PipelineRun:
    run = _wait(run, pool)
    assert run.status == PipelineRun.Status.SUCCEEDED, f"{run.error}\n{run.log}"
    return run


def test_full_run_goes_from_records_to_promoted_models_and_fresh_recommendations(celery_worker):
    students = add_school_records(students=24, attempts=30, skills=3)
    skills = list(Skill.objects.all())
    ItemFactory(skills=skills)
    length = {"name": "length", "hard": True, "params": {"min_words": 0, "max_words": 10_000}}
    criteria = CriteriaSet.objects.create(name="Any length", spec={"kind": "exercise", "criteria": [length]})
    criteria.skills.add(*skills[:2])
    run = _succeeded(runs.trigger_run(preset="tiny"), celery_worker)
    assert run.stages["generation"]["done"] == 2  # the chord's two parts, then its callback
    generation = GenerationRun.objects.get(pipeline_run=run)
    assert generation.status == GenerationRun.Status.SUCCEEDED and generation.stats["proposals"] > 0
    for kind in (Kind.GENERATOR, Kind.STUDENT_MODEL):
        active = registry.active_version(kind)
        assert active.pipeline_run_id == run.pk and registry.verified_path(active).is_dir()
    student_model = registry.active_version(Kind.STUDENT_MODEL)
    assert Recommendation.objects.filter(student_id__in=students, model_version=student_model).exists()
    assert run.stages["recommendations"]["status"] == "done"


def test_worker_killed_mid_training_redelivers_the_stage_and_the_next_run_works(celery_worker):
    add_school_records(students=40, attempts=40, skills=4)
    worker = celery_worker.workers[0]
    slow = {"student_max_epochs": 40, "student_patience": 40, "student_time_budget_s": 6.0}
    run = _trigger(**slow)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while not ModelVersion.objects.filter(pipeline_run=run, status=Status.TRAINING).exists():
        assert time.monotonic() < deadline, run.log
        time.sleep(0.05)
    run.refresh_from_db()
    pid = run.stages["student_model"]["pid"]
    assert pid != worker.process.pid  # the pool's child, not the worker's main process
    os.kill(pid, signal.SIGKILL)

    run = _succeeded(run, celery_worker)
    assert run.stages["student_model"]["attempts"] == 2
    interrupted = ModelVersion.objects.get(pipeline_run=run, status=Status.FAILED)
    assert "worker" in interrupted.failure_reason
    active = registry.active_version(Kind.STUDENT_MODEL)
    assert active.pipeline_run_id == run.pk and registry.verified_path(active)
    assert not list((registry.kind_root(Kind.STUDENT_MODEL)).glob(".staging-*"))

    add_school_records(students=10, attempts=20, skills=4, seed=1)
    following = _succeeded(_trigger(), celery_worker)
    warm = ModelVersion.objects.get(pipeline_run=following, kind=Kind.STUDENT_MODEL)
    assert warm.status == Status.ACTIVE and warm.parent_id == active.pk


def test_two_workers_on_different_queues_share_one_run(celery_workers):
    add_school_records(students=24, attempts=30, skills=3)
    front = celery_workers.start(queues=("default", "generation"))
    trainer = celery_workers.start(queues=("training",))
    run = _succeeded(_trigger(), celery_workers)

    def hosts(stage: str) -> set[str]:
        return {w.split(" ")[0] for w in run.stages[stage]["workers"]}

    assert hosts("student_model") == {trainer.hostname}
    assert hosts("mastery") == hosts("evaluate") == hosts("recommendations") == {front.hostname}


def test_failed_gate_keeps_the_old_version_active(celery_worker):
    add_school_records(students=30, attempts=30, skills=3)
    first = _succeeded(_trigger(), celery_worker)
    old = registry.active_version(Kind.STUDENT_MODEL)
    assert old.pipeline_run_id == first.pk

    add_school_records(students=10, attempts=30, skills=3, seed=2)
    # A margin of -1 demands an AUC gain of a whole point: no candidate can pass.
    second = _succeeded(_trigger(auc_margin=-1.0), celery_worker)
    kept_out = ModelVersion.objects.get(pipeline_run=second, kind=Kind.STUDENT_MODEL)
    assert kept_out.status == Status.FAILED and "gate" in kept_out.failure_reason
    assert registry.active_version(Kind.STUDENT_MODEL) == old
    assert "kept out" in second.stages["promote"]["message"]


def test_rollback_after_a_promotion_restores_the_previous_version(celery_worker, client):
    from django.urls import reverse

    from tests.factories import school_admin

    add_school_records(students=30, attempts=30, skills=3)
    _succeeded(_trigger(), celery_worker)
    first = registry.active_version(Kind.STUDENT_MODEL)
    add_school_records(students=10, attempts=30, skills=3, seed=3)
    _succeeded(_trigger(auc_margin=1.0), celery_worker)  # any AUC passes
    second = registry.active_version(Kind.STUDENT_MODEL)
    assert second != first

    client.force_login(school_admin())
    client.post(reverse("pipeline-rollback", args=[first.pk]))
    assert registry.active_version(Kind.STUDENT_MODEL) == first
    assert ModelVersion.objects.get(pk=second.pk).status == Status.RETIRED


def test_two_simultaneous_triggers_start_exactly_one_run():
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL's concurrent transactions (this session uses {connection.vendor})")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def trigger() -> None:
        barrier.wait()
        try:
            runs.trigger_run(enqueue=lambda run_id: "not-sent")
            outcomes.append("started")
        except runs.PipelineAlreadyRunning:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=trigger) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "started"]
    assert PipelineRun.objects.filter(status__in=runs.OPEN).count() == 1
