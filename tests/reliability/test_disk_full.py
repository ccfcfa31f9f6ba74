"""The disk holding model artefacts fills up during retraining: the run fails
cleanly (failed run and version, no half-written files) and the active model
keeps serving."""

from __future__ import annotations

import errno
import subprocess
from pathlib import Path

import pytest

from edursft.studentmodel.artifacts import load_student_model
from edursft.studentmodel.evaluate import predict_histories
from tutoring import tasks
from tutoring.models import ModelVersion, PipelineRun
from tutoring.pipeline import registry, runs, training
from tutoring.pipeline.config import pipeline_config
from tutoring.pipeline.records import student_histories

pytestmark = pytest.mark.django_db
Kind = ModelVersion.Kind
TMPFS_SIZE = "8m"


@pytest.fixture
def small_model_disk(tmp_path, settings):
    """A tiny tmpfs as EDURSFT_MODEL_DIR, unmounted afterwards whatever happens."""
    mount_point = tmp_path / "models"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    settings.EDURSFT_MODEL_DIR = mount_point
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=False)


def fill(disk: Path) -> None:
    """Write until the file system refuses another byte."""
    block = b"\0" * (64 * 1024)
    with (disk / "filler.bin").open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(block)
        except OSError as full:
            assert full.errno == errno.ENOSPC
    with (disk / "filler-tail.bin").open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 512)
        except OSError:
            pass


def first_active_model(config) -> ModelVersion:
    run = runs.trigger_run(preset="tiny", overrides={"generator": False}, enqueue=lambda run_id: "")
    version = training.train_student_model(run, config)
    training.evaluate_student_candidate(run, config)
    training.promote_candidates(run, config)
    assert registry.active_version(Kind.STUDENT_MODEL) == version
    PipelineRun.objects.filter(pk=run.pk).update(status=PipelineRun.Status.SUCCEEDED)
    return version


def test_full_model_disk_fails_the_run_cleanly_and_the_active_model_keeps_serving(
    small_model_disk, eager_celery, school_records
):
    school_records(students=24, attempts=30, skills=3)
    active = first_active_model(pipeline_config(preset="tiny"))

    fill(small_model_disk)
    school_records(students=12, attempts=30, skills=3, seed=1, prefix="late")
    run = runs.trigger_run(preset="tiny", overrides={"generator": False}, enqueue=lambda run_id: "")
    # As a worker runs it: the failure is recorded, not raised into the caller.
    outcome = tasks.train_student_model.apply(args=[run.pk], throw=False)

    assert outcome.failed()
    run.refresh_from_db()
    assert run.status == PipelineRun.Status.FAILED and run.error
    failed = ModelVersion.objects.get(pipeline_run=run, kind=Kind.STUDENT_MODEL)
    assert failed.status == ModelVersion.Status.FAILED and failed.failure_reason
    assert not failed.path
    assert not list((small_model_disk / Kind.STUDENT_MODEL).glob(".staging*"))
    assert registry.active_version(Kind.STUDENT_MODEL) == active
    model = load_student_model(registry.active_path(Kind.STUDENT_MODEL))
    predictions = predict_histories(model, student_histories().histories[:3])
    assert all(((p >= 0) & (p <= 1)).all() for p in predictions)
