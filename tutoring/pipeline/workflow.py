"""The pipeline as one Celery canvas: a chain of stages with the generation stage
fanned out by skill as a chord, so several workers share one run.

    mastery -> bootstrap -> chord(sample per skill...) -> collect -> finetune generator
            -> student model -> evaluate -> promote -> recommendations -> finish

The whole canvas is built when the run is triggered and travels with the first
message, so any worker on the right queue can pick up any stage.
"""

from __future__ import annotations

from celery import chain, chord
from celery.canvas import Signature

from tutoring import tasks
from tutoring.models import PipelineRun
from tutoring.pipeline import runs
from tutoring.pipeline.generation import plan_generation


def build_workflow(run_id: int) -> Signature:
    """The canvas of one run; generation runs are created here, one per active criteria set."""
    run = PipelineRun.objects.get(pk=run_id)
    pairs = plan_generation(run) if runs.run_config(run_id).generator else []
    runs.plan_parts(run_id, "generation", len(pairs))
    collect = tasks.collect_generation.si(run_id)
    fan_out = (
        chord([tasks.sample_candidates.si(run_id, g, s) for g, s in pairs], collect) if pairs else collect
    )
    return chain(
        tasks.refresh_mastery.si(run_id),
        tasks.train_bootstrap_generator.si(run_id),
        fan_out,
        tasks.finetune_generator.si(run_id),
        tasks.train_student_model.si(run_id),
        tasks.evaluate_candidates.si(run_id),
        tasks.promote_candidates.si(run_id),
        tasks.refresh_recommendations.si(run_id),
        tasks.finish_pipeline.si(run_id),
    )


def enqueue_run(run_id: int) -> str:
    """Send the run's canvas to the broker; returns the id of its final task."""
    return build_workflow(run_id).apply_async().id
