"""The pipeline's services: registry, gate, rollback, runs and their recovery, in one process.

Tasks run eagerly here; tests/integration/test_pipeline.py does the same with
real worker processes on Redis and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ItemFactory, SkillFactory, school_admin
from tutoring.models import Item, ModelVersion, PipelineRun, Recommendation, RejectedCandidate
from tutoring.pipeline import generation, registry, runs
from tutoring.pipeline.config import pipeline_config
from tutoring.pipeline.generator import _accepted_examples

pytestmark = pytest.mark.django_db
Kind = ModelVersion.Kind
Status = ModelVersion.Status
TINY = pipeline_config(preset="tiny")
NO_ENQUEUE = {"enqueue": lambda run_id: "not-sent"}


def _version(kind: str = Kind.STUDENT_MODEL, files: dict[str, str] | None = None, **metrics) -> ModelVersion:
    version = registry.start_version(kind)
    with registry.write_artefact(version) as out:
        out.mkdir()
        for name, text in (files or {"weights.bin": "w"}).items():
            (out / name).write_text(text)
    return registry.mark_candidate(version, metrics)


def test_second_trigger_while_a_run_is_open_is_refused():
    first = runs.trigger_run(**NO_ENQUEUE)
    with pytest.raises(runs.PipelineAlreadyRunning) as refused:
        runs.trigger_run(**NO_ENQUEUE)
    assert refused.value.run == first
    assert PipelineRun.objects.count() == 1


def test_a_run_records_the_config_it_was_started_with():
    run = runs.trigger_run(preset="tiny", overrides={"auc_margin": 0.1}, **NO_ENQUEUE)
    assert run.config["auc_margin"] == 0.1
    assert run.config["student_hidden_dim"] == TINY.student_hidden_dim


def test_unknown_setting_is_refused_before_anything_is_queued():
    with pytest.raises(ValueError, match="bogus"):
        runs.trigger_run(overrides={"bogus": 1}, **NO_ENQUEUE)
    assert not PipelineRun.objects.exists()


def test_artefact_appears_under_its_label_only_when_complete(model_dir):
    version = _version(files={"a.txt": "1", "b.txt": "2"})
    assert version.path == str(model_dir / Kind.STUDENT_MODEL / version.label)
    assert registry.verified_path(version).joinpath("a.txt").read_text() == "1"
    assert not list((model_dir / Kind.STUDENT_MODEL).glob(".staging-*"))


def test_training_that_fails_midway_leaves_no_artefact_and_a_failed_version(model_dir):
    version = registry.start_version(Kind.STUDENT_MODEL)
    with pytest.raises(RuntimeError), registry.write_artefact(version) as out:
        out.mkdir()
        (out / "weights.bin").write_text("half")
        raise RuntimeError("out of memory")
    version.refresh_from_db()
    assert version.status == Status.FAILED
    assert "out of memory" in version.failure_reason
    assert list((model_dir / Kind.STUDENT_MODEL).iterdir()) == []


def test_an_altered_artefact_is_never_loaded(model_dir):
    version = _version()
    (registry.verified_path(version) / "weights.bin").write_text("truncated")
    with pytest.raises(registry.ArtefactError, match="checksum"):
        registry.verified_path(version)


def test_first_student_model_passes_the_gate_and_becomes_active(model_dir):
    version = _version(test_auc=0.7)
    assert registry.promote(version, TINY).passed
    assert registry.active_version(Kind.STUDENT_MODEL) == version


def test_candidate_worse_than_active_beyond_the_margin_is_kept_out(model_dir):
    active = _version(test_auc=0.80)
    registry.promote(active, TINY)
    worse = _version(test_auc=0.70, active_test_auc=0.80)
    result = registry.promote(worse, TINY)
    worse.refresh_from_db()
    assert not result.passed
    assert worse.status == Status.FAILED and "gate" in worse.failure_reason
    assert registry.active_version(Kind.STUDENT_MODEL) == active


def test_candidate_within_the_auc_margin_replaces_the_active_version(model_dir):
    active = _version(test_auc=0.80)
    registry.promote(active, TINY)
    close = _version(test_auc=0.80 - TINY.auc_margin / 2, active_test_auc=0.80)
    assert registry.promote(close, TINY).passed
    active.refresh_from_db()
    assert active.status == Status.RETIRED
    assert registry.active_version(Kind.STUDENT_MODEL) == close


def test_generator_gate_uses_held_out_perplexity(model_dir):
    registry.promote(_version(Kind.GENERATOR, held_out_perplexity=10.0), TINY)
    worse = _version(Kind.GENERATOR, held_out_perplexity=20.0, active_held_out_perplexity=10.0)
    assert not registry.gate(worse, TINY).passed


def test_rollback_reactivates_a_retired_version_and_retires_the_current_one(model_dir):
    admin = school_admin()
    old = _version(test_auc=0.8)
    registry.promote(old, TINY)
    new = _version(test_auc=0.81, active_test_auc=0.8)
    registry.promote(new, TINY)
    registry.rollback(ModelVersion.objects.get(pk=old.pk), admin)
    assert registry.active_version(Kind.STUDENT_MODEL) == old
    assert ModelVersion.objects.get(pk=new.pk).status == Status.RETIRED


def test_rollback_to_a_failed_version_is_refused(model_dir):
    failed = registry.start_version(Kind.STUDENT_MODEL)
    registry.fail_version(failed, "broken")
    with pytest.raises(registry.RollbackRefused):
        registry.rollback(failed, None)


def test_restarted_stage_fails_the_interrupted_version_and_removes_its_staging_files(model_dir):
    run = runs.trigger_run(**NO_ENQUEUE)
    interrupted = registry.start_version(Kind.STUDENT_MODEL, run=run)
    leftover = model_dir / Kind.STUDENT_MODEL / f".staging-{interrupted.label}-x1"
    leftover.mkdir(parents=True)
    assert registry.abandon_unfinished(Kind.STUDENT_MODEL, run) == 1
    interrupted.refresh_from_db()
    assert interrupted.status == Status.FAILED and "interrupted" in interrupted.failure_reason
    assert not leftover.exists()


def test_stage_progress_survives_as_data_on_the_run():
    run = runs.trigger_run(**NO_ENQUEUE)
    runs.begin_stage(run.pk, "student_model", worker="w1", pid=1)
    runs.report(run.pk, "student_model", progress=0.5, message="epoch 1")
    run.refresh_from_db()
    assert run.status == PipelineRun.Status.RUNNING
    assert run.stages["student_model"]["progress"] == 0.5
    assert "student_model: started on w1" in run.log


def test_open_run_without_news_for_longer_than_any_task_is_failed_and_unblocks_the_next():
    stale = runs.trigger_run(**NO_ENQUEUE)
    PipelineRun.objects.filter(pk=stale.pk).update(created_at=timezone.now() - runs.stale_after() * 2)
    fresh = runs.trigger_run(**NO_ENQUEUE)
    stale.refresh_from_db()
    assert stale.status == PipelineRun.Status.FAILED and "worker was lost" in stale.error
    assert fresh.status == PipelineRun.Status.QUEUED


def test_rejected_candidates_are_purged_after_the_retention_period(settings):
    from tests.factories import SkillFactory
    from tutoring.models import CriteriaSet, GenerationRun

    settings.EDURSFT_REJECTED_RETENTION_DAYS = 30
    criteria = CriteriaSet.objects.create(name="c", spec={})
    generation_run = GenerationRun.objects.create(criteria=criteria)
    skill = SkillFactory()
    old = RejectedCandidate.objects.create(run=generation_run, skill=skill, text="old", reasons=["length"])
    recent = RejectedCandidate.objects.create(run=generation_run, skill=skill, text="new", reasons=["length"])
    RejectedCandidate.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert generation.purge_rejected() == 1
    assert list(RejectedCandidate.objects.all()) == [recent]


def test_whole_run_trains_promotes_and_refreshes_recommendations(
    eager_celery, model_dir, school_records, django_capture_on_commit_callbacks
):
    from tests.factories import ItemFactory
    from tutoring.models import Skill

    students = school_records(students=24, attempts=30, skills=3)
    ItemFactory(skills=list(Skill.objects.all()))
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.trigger_run(preset="tiny", overrides={"generator": False})
    run.refresh_from_db()
    assert run.status == PipelineRun.Status.SUCCEEDED, run.log
    active = registry.active_version(Kind.STUDENT_MODEL)
    assert active.pipeline_run == run and active.metrics["test_auc"] > 0
    assert Recommendation.objects.filter(student_id__in=students).exists()
    assert all(run.stages[name]["status"] in ("done", "skipped") for name in runs.STAGE_NAMES)


def _length_spec(min_words: int, max_words: int) -> dict:
    return {
        "kind": "exercise",
        "mode": "exact",
        "budget": 50,
        "criteria": [
            {"name": "length", "hard": True, "params": {"min_words": min_words, "max_words": max_words}}
        ],
    }


def test_generation_stage_bootstraps_a_generator_and_stores_every_decision_with_provenance(
    eager_celery, model_dir, school_records, django_capture_on_commit_callbacks
):
    from tutoring.models import CriteriaSet, GenerationRun, Item, Skill

    school_records(students=12, attempts=20, skills=2)
    skill = Skill.objects.first()
    lenient = CriteriaSet.objects.create(name="Anything", spec=_length_spec(0, 10_000))
    impossible = CriteriaSet.objects.create(name="Essays only", spec=_length_spec(5_000, 10_000))
    for criteria in (lenient, impossible):
        criteria.skills.add(skill)
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.trigger_run(preset="tiny")
    run.refresh_from_db()
    assert run.status == PipelineRun.Status.SUCCEEDED, run.log
    assert run.stages["generation"]["done"] == run.stages["generation"]["parts"] == 2

    accepting = GenerationRun.objects.get(pipeline_run=run, criteria=lenient)
    bootstrap = accepting.model_version
    assert bootstrap.pipeline_run == run and bootstrap.parent is None
    accepted = Item.objects.filter(generation_run=accepting)
    assert accepted.count() == accepting.stats["accepted"] > 0
    assert all(i.status == Item.Status.ACCEPTED and i.model_version == bootstrap for i in accepted)
    assert all(list(i.skills.all()) == [skill] and i.criteria == lenient for i in accepted)

    rejecting = GenerationRun.objects.get(pipeline_run=run, criteria=impossible)
    assert rejecting.rejected.count() == rejecting.stats["proposals"] > 0
    assert all("words" in " ".join(candidate.reasons) for candidate in rejecting.rejected.all())

    finetuned = ModelVersion.objects.get(kind=Kind.GENERATOR, parent=bootstrap)
    assert finetuned.data_window["accepted_samples"] == accepted.count()


def test_generated_text_with_nul_bytes_is_stored_without_them(monkeypatch, model_dir):
    from types import SimpleNamespace

    from edursft.criteria import Candidate
    from tests.factories import SkillFactory
    from tutoring.models import CriteriaSet, GenerationRun, Item

    registry.promote(_version(Kind.GENERATOR, held_out_perplexity=10.0), TINY)
    skill = SkillFactory()
    generation_run = GenerationRun.objects.create(criteria=CriteriaSet.objects.create(name="c", spec={}))

    def decision(text: str, accepted: bool) -> SimpleNamespace:
        candidate = Candidate(text=text, answer="4\x00", skill=skill.name, kind="exercise")
        outcomes = {"length": SimpleNamespace(score=1.0 if accepted else 0.0)}
        reasons = [] if accepted else ["hard: length (\x00)"]
        return SimpleNamespace(
            candidate=candidate,
            accepted=accepted,
            outcomes=outcomes,
            reasons=reasons,
            reward=0.0,
            acceptance_prob=1.0,
        )

    sampled = SimpleNamespace(
        decisions=[decision("What is 2\x00+2?", True), decision("\x00", False)],
        stats=lambda: {"proposals": 2},
    )
    monkeypatch.setattr(generation, "_sample", lambda *args: sampled)
    generation.sample_for_skill(generation_run.pk, skill.pk, TINY)
    item = Item.objects.get(generation_run=generation_run)
    assert (item.text, item.answer) == ("What is 2+2?", "4")
    assert RejectedCandidate.objects.get(run=generation_run).reasons == ["hard: length ()"]


def test_stage_whose_worker_was_lost_too_often_fails_the_run_with_that_reason(eager_celery):
    from tutoring import tasks

    run = runs.trigger_run(preset="tiny", **NO_ENQUEUE)
    for _ in range(TINY.max_deliveries):  # deliveries that started and never finished
        runs.begin_stage(run.pk, "student_model", worker="gone", pid=1)
    tasks.train_student_model.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.status == PipelineRun.Status.FAILED
    assert f"lost {TINY.max_deliveries} times" in run.error
    assert not ModelVersion.objects.exists()


def test_generator_fine_tuning_keeps_at_most_the_cap_of_one_phrasing_per_skill():
    word_problems, area = SkillFactory(name="Word problems"), SkillFactory(name="Area of a rectangle")
    template = "Sam has {} apples and buys {} more bags of {} apples each. How many apples does Sam have now?"
    for n in range(4):  # one phrasing, other numbers: only the cap's worth may teach the generator
        ItemFactory(
            text=template.format(3 + n, 2 + n, 5 + n),
            answer=str(3 + n + (2 + n) * (5 + n)),
            source=Item.Source.GENERATED,
            status=Item.Status.ACCEPTED,
            skills=[word_problems],
        )
    ItemFactory(
        text="A rectangle is 4 cm wide and 9 cm long. What is its area in square centimetres?",
        answer="36",
        source=Item.Source.GENERATED,
        status=Item.Status.ACCEPTED,
        skills=[area],
    )

    capped, _ = _accepted_examples(0, max_per_phrasing=2)
    uncapped, _ = _accepted_examples(0, max_per_phrasing=0)

    assert sum("Sam has" in e.completion for e in capped) == 2
    assert sum("rectangle" in e.completion for e in capped) == 1
    assert len(uncapped) == 5
