"""Student-model stages: train the first model or warm-start the active one on new
records, measure candidates against the active version, promote through the gate.

Each function is idempotent for its run: versions a dead worker left in
``training`` are failed and their staging files removed before starting again,
and a stage that already produced its candidate returns it. Engine calls go
through ``edursft``; nothing here reimplements a model.
"""

from __future__ import annotations

import numpy as np

from edursft.studentmodel.artifacts import load_student_model, save_student_model
from edursft.studentmodel.evaluate import evaluate_histories
from edursft.studentmodel.train import KTConfig, WarmStartConfig, train_histories, warm_start
from tutoring.models import ModelVersion, PipelineRun
from tutoring.pipeline import registry
from tutoring.pipeline.config import PipelineConfig
from tutoring.pipeline.records import is_test_student, student_histories

Kind = ModelVersion.Kind
Status = ModelVersion.Status


def produced(kind: str, run: PipelineRun) -> ModelVersion | None:
    """The version this run already made of ``kind`` (a repeated delivery finds it)."""
    return (
        ModelVersion.objects.filter(kind=kind, pipeline_run=run)
        .exclude(status__in=[Status.TRAINING, Status.FAILED])
        .first()
    )


def _kt_config(config: PipelineConfig) -> KTConfig:
    return KTConfig(
        train_file="",
        test_file=None,
        out_dir="",
        window=config.student_window,
        context=config.student_context,
        embed_dim=config.student_embed_dim,
        hidden_dim=config.student_hidden_dim,
        head_dim=config.student_head_dim,
        max_epochs=config.student_max_epochs,
        patience=config.student_patience,
        time_budget_s=config.student_time_budget_s,
        seed=config.seed,
    )


def train_student_model(run: PipelineRun, config: PipelineConfig) -> ModelVersion | None:
    """Warm-start the active student model on new records, or train the first one; None when no new records.

    Held-out test students are never trained on.
    """
    already = produced(Kind.STUDENT_MODEL, run)
    if already:
        return already
    registry.abandon_unfinished(Kind.STUDENT_MODEL, run)
    active = registry.active_version(Kind.STUDENT_MODEL)
    since = int(active.data_window.get("last_record_id", 0)) if active else None
    histories = student_histories(students_with_records_after=since)
    train = histories.subset(~is_test_student(np.array(histories.student_ids), config.test_fraction))
    if not train.histories or histories.last_record_id == since:
        return None
    version = registry.start_version(
        Kind.STUDENT_MODEL,
        run=run,
        parent=active,
        config={"warm_start": active is not None, **config.as_json()},
        data_window={
            "after_record_id": since or 0,
            "last_record_id": histories.last_record_id,
            "students": len(train.histories),
            "attempts": train.attempts,
        },
    )
    with registry.write_artefact(version) as out:
        if active is None:
            model = train_histories(train.histories, _kt_config(config))
            save_student_model(model, out)
            metrics = model.metrics
        else:
            warm = WarmStartConfig(max_epochs=config.warm_start_epochs, seed=config.seed)
            metrics = warm_start(registry.verified_path(active), train.histories, out, warm)
    return registry.mark_candidate(version, {k: v for k, v in metrics.items() if k != "epochs"})


def _test_auc(path, histories) -> float | None:
    try:
        return evaluate_histories(load_student_model(path), histories)["auc"]
    except ValueError:  # the held-out students' answers are all right or all wrong
        return None


def has_candidate(run: PipelineRun, kind: str) -> bool:
    return ModelVersion.objects.filter(pipeline_run=run, kind=kind, status=Status.CANDIDATE).exists()


def evaluate_student_candidate(run: PipelineRun, config: PipelineConfig) -> list[str]:
    """Measure this run's student-model candidate and the active version on the same held-out students."""
    notes = []
    student = ModelVersion.objects.filter(
        pipeline_run=run, kind=Kind.STUDENT_MODEL, status=Status.CANDIDATE
    ).first()
    if student is not None:
        histories = student_histories()
        test = histories.subset(is_test_student(np.array(histories.student_ids), config.test_fraction))
        active = registry.active_version(Kind.STUDENT_MODEL)
        metrics = {
            "test_auc": _test_auc(registry.verified_path(student), test.histories)
            if test.histories
            else None,
            "test_students": len(test.histories),
            "test_attempts": test.attempts,
        }
        if active is not None and test.histories:
            metrics["active_test_auc"] = _test_auc(registry.verified_path(active), test.histories)
        registry.mark_candidate(student, metrics)
        notes.append(f"student model {student.label}: test AUC {metrics['test_auc']}")
    return notes


def promote_candidates(run: PipelineRun, config: PipelineConfig) -> list[str]:
    """Put every candidate of this run through its gate; returns what happened to each."""
    notes = []
    for candidate in ModelVersion.objects.filter(pipeline_run=run, status=Status.CANDIDATE):
        result = registry.promote(candidate, config)
        verdict = "promoted" if result.passed else "kept out"
        notes.append(f"{candidate.get_kind_display()} {candidate.label} {verdict}: {result.reason}")
    return notes
