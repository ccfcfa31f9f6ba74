"""Admin pages of the pipeline: who may use them, trigger, live status, versions, rollback."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import school_admin, student, teacher
from tutoring.models import ModelVersion, PipelineRun
from tutoring.pipeline import registry, runs
from tutoring.pipeline.config import pipeline_config

pytestmark = pytest.mark.django_db
Kind = ModelVersion.Kind


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Runs the views enqueue, captured instead of sent to a broker."""
    sent: list[int] = []

    def enqueue(run_id: int) -> str:
        sent.append(run_id)
        return f"task-{run_id}"

    monkeypatch.setattr("tutoring.pipeline.workflow.enqueue_run", enqueue)
    return sent


@pytest.fixture
def admin_client(client):
    client.force_login(school_admin())
    return client


def _active_and_retired(model_dir) -> tuple[ModelVersion, ModelVersion]:
    versions = []
    for auc in (0.70, 0.75):
        version = registry.start_version(Kind.STUDENT_MODEL)
        with registry.write_artefact(version) as out:
            out.mkdir()
            (out / "weights.bin").write_text(str(auc))
        registry.mark_candidate(version, {"test_auc": auc})
        registry.activate(version, action="model.promote")
        versions.append(version)
    return versions[1], ModelVersion.objects.get(pk=versions[0].pk)


@pytest.mark.parametrize("make_user", [student, teacher])
def test_retrain_is_forbidden_to_everyone_but_admins(client, queued, make_user):
    client.force_login(make_user())
    assert client.post(reverse("pipeline-retrain")).status_code == 403
    assert client.get(reverse("pipeline-index")).status_code == 403
    assert not PipelineRun.objects.exists() and queued == []


def test_retrain_now_enqueues_and_returns_at_once_to_the_run_page(
    admin_client, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("pipeline-retrain"))
    run = PipelineRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pipeline-run", args=[run.pk])
    assert queued == [run.pk]
    run.refresh_from_db()
    assert run.status == PipelineRun.Status.QUEUED and run.task_id == f"task-{run.pk}"


def test_second_retrain_while_one_runs_is_refused_and_points_to_the_open_run(admin_client, queued):
    first = runs.trigger_run(enqueue=lambda run_id: "x")
    response = admin_client.post(reverse("pipeline-retrain"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("pipeline-run", args=[first.pk])
    assert "already queued" in response.content.decode()
    assert PipelineRun.objects.count() == 1


def test_run_page_shows_a_labelled_progress_bar_per_stage_and_the_log(admin_client):
    run = runs.trigger_run(enqueue=lambda run_id: "x")
    runs.begin_stage(run.pk, "student_model", worker="w1", pid=1)
    runs.report(run.pk, "student_model", progress=0.4, message="epoch 2 of 5")
    page = admin_client.get(reverse("pipeline-run", args=[run.pk])).content.decode()
    for name, label in runs.STAGES:
        assert f'<label for="stage-{name}">{label}</label>' in page
    assert 'id="stage-student_model" max="100" value="40"' in page
    assert "epoch 2 of 5" in page and "student_model: started on w1" in page


def test_status_endpoint_reports_stages_in_order_with_progress(admin_client):
    run = runs.trigger_run(enqueue=lambda run_id: "x")
    runs.begin_stage(run.pk, "mastery", worker="w1", pid=1)
    runs.end_stage(run.pk, "mastery", message="12 students")
    body = admin_client.get(reverse("pipeline-run-status", args=[run.pk])).json()
    assert [s["name"] for s in body["stages"]] == list(runs.STAGE_NAMES)
    assert body["stages"][0]["percent"] == 100 and body["stages"][0]["status"] == "done"
    assert body["open"] is True and body["status"] == "running"


def test_versions_page_lists_metrics_and_offers_rollback_only_for_retired_versions(admin_client, model_dir):
    active, retired = _active_and_retired(model_dir)
    page = admin_client.get(reverse("pipeline-versions")).content.decode()
    assert active.label in page and retired.label in page and "0.7500" in page
    assert reverse("pipeline-rollback", args=[retired.pk]) in page
    assert reverse("pipeline-rollback", args=[active.pk]) not in page


def test_one_click_rollback_makes_the_earlier_version_active(admin_client, model_dir):
    active, retired = _active_and_retired(model_dir)
    response = admin_client.post(reverse("pipeline-rollback", args=[retired.pk]), follow=True)
    assert "is active again" in response.content.decode()
    assert registry.active_version(Kind.STUDENT_MODEL) == retired


def test_rollback_is_forbidden_to_teachers(client, model_dir):
    active, retired = _active_and_retired(model_dir)
    client.force_login(teacher())
    assert client.post(reverse("pipeline-rollback", args=[retired.pk])).status_code == 403
    assert registry.active_version(Kind.STUDENT_MODEL) == active


def test_retrain_command_queues_a_run_with_the_chosen_preset(queued, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=True):
        call_command("retrain", "--preset", "tiny", "--set", "auc_margin=0.02")
    run = PipelineRun.objects.get()
    assert run.trigger == "command line" and queued == [run.pk]
    assert run.config["auc_margin"] == 0.02
    assert run.config["student_hidden_dim"] == pipeline_config(preset="tiny").student_hidden_dim
