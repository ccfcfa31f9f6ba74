"""Generator stages: pre-train the bootstrap generator on a fresh install, fine-tune
the active one on accepted samples, and measure a candidate's held-out perplexity
against the active version's.

Each function is idempotent for its run, like the student-model stages. The
tasks import this module only when they run, so the web process that enqueues
them never loads transformers.
"""

from __future__ import annotations

from edursft.criteria.candidate import Candidate
from edursft.generation.corpus import Example
from edursft.generation.evaluate import perplexity
from edursft.generation.finetune import FinetuneConfig, finetune
from edursft.generation.pretrain import held_out_examples, preset_config, pretrain
from edursft.generation.prompts import Request, build_prompt, exercise_completion
from edursft.generation.rounds import FRESH_ORIGINAL_OFFSET, RsftConfig, curate, rehearsal_documents
from edursft.generation.store import load_generator, read_metadata
from tutoring.models import Item, ModelVersion, PipelineRun
from tutoring.pipeline import registry
from tutoring.pipeline.config import PipelineConfig
from tutoring.pipeline.training import produced

Kind = ModelVersion.Kind
Status = ModelVersion.Status
HELD_OUT_PER_TEMPLATE = 1  # authored items per template and level for the perplexity


def bootstrap_generator(run: PipelineRun, config: PipelineConfig) -> ModelVersion | None:
    """On a fresh install, pre-train the bootstrap generator from the seed content and activate it.

    Returns None when a generator is already active.
    """
    if registry.active_version(Kind.GENERATOR) or produced(Kind.GENERATOR, run):
        return None
    registry.abandon_unfinished(Kind.GENERATOR, run)
    pretrain_config = preset_config(config.generator_preset, seed=config.seed)
    version = registry.start_version(
        Kind.GENERATOR,
        run=run,
        config={"bootstrap_preset": config.generator_preset, "seed": config.seed},
        data_window={"source": "seed templates", "per_template": pretrain_config.seed_per_template},
    )
    with registry.write_artefact(version) as out:
        pretrain(preset_config(config.generator_preset, seed=config.seed, out=out))
    metrics = read_metadata(version.path).get("metrics", {})
    registry.mark_candidate(version, metrics)
    registry.promote(version, config)
    return version


def _accepted_examples(after_item_id: int, max_per_phrasing: int) -> tuple[list[Example], int]:
    """Accepted or approved generated exercises (all rounds pooled) as training documents,
    curated as RSFT rounds are: near-duplicates and over-used phrasings dropped, oldest kept.

    Pooling all rounds, not only the last, follows Llama 2's finding that
    training on the latest samples alone regressed (Touvron et al. 2023, 3.2.3).
    """
    items = (
        Item.objects.filter(
            source=Item.Source.GENERATED,
            kind=Item.Kind.EXERCISE,
            status__in=[Item.Status.ACCEPTED, Item.Status.APPROVED],
        )
        .prefetch_related("skills")
        .order_by("id")
    )
    if not items.filter(id__gt=after_item_id).exists():
        return [], after_item_id
    pool = [
        (
            Candidate(
                text=item.text, answer=item.answer, skill=item.skills.all()[0].name, prompt_id=str(item.pk)
            ),
            item,
        )
        for item in items
        if item.skills.all()
    ]
    kept = {id(c) for c in curate([c for c, _ in pool], 1, RsftConfig.near_duplicate, max_per_phrasing)}
    examples = [
        Example(
            build_prompt(Request("exercise", candidate.skill, int(item.generation_scores.get("level", 2)))),
            exercise_completion(item.text, item.solution, item.answer, (item.hints or [""])[0]),
            "accepted",
        )
        for candidate, item in pool
        if id(candidate) in kept
    ]
    return examples, items.last().pk


def finetune_generator(run: PipelineRun, config: PipelineConfig) -> ModelVersion | None:
    """Fine-tune the active generator on accepted samples into a candidate; None when nothing is new."""
    done = ModelVersion.objects.filter(kind=Kind.GENERATOR, pipeline_run=run, parent__isnull=False)
    if done.exclude(status__in=[Status.TRAINING, Status.FAILED]).exists():
        return done.first()
    active = registry.active_version(Kind.GENERATOR)
    if active is None:
        return None
    examples, last_item = _accepted_examples(
        int(active.data_window.get("last_item_id", 0)), config.finetune_max_per_phrasing
    )
    if not examples:
        return None
    registry.abandon_unfinished(Kind.GENERATOR, run)
    settings = FinetuneConfig(
        epochs=config.finetune_epochs, max_minutes=config.finetune_max_minutes, seed=config.seed
    )
    version = registry.start_version(
        Kind.GENERATOR,
        run=run,
        parent=active,
        config={"finetune": settings.__dict__},
        data_window={"accepted_samples": len(examples), "last_item_id": last_item},
    )
    base = registry.verified_path(active)
    # New draws of the templates for every run (new numbers), as many as the mix asks for:
    # the pre-training draw carries no gradient and lets the accepted items set the numbers.
    wanted = settings.originals_for(len(examples))
    original = rehearsal_documents("exercise", wanted, FRESH_ORIGINAL_OFFSET + config.seed + run.pk)
    with registry.write_artefact(version) as out:
        metrics = finetune(base, examples, out, settings, original=original, metadata=read_metadata(base))
    return registry.mark_candidate(version, metrics)


def evaluate_generator_candidate(run: PipelineRun) -> list[str]:
    """Held-out perplexity of this run's generator candidate and of the active generator."""
    notes = []
    candidates = ModelVersion.objects.filter(pipeline_run=run, status=Status.CANDIDATE)
    generator = candidates.filter(kind=Kind.GENERATOR).first()
    if generator is not None:
        held_out = held_out_examples(HELD_OUT_PER_TEMPLATE)
        metrics = {
            "held_out_perplexity": perplexity(load_generator(registry.verified_path(generator)), held_out)
        }
        active = registry.active_version(Kind.GENERATOR)
        if active is not None:
            metrics["active_held_out_perplexity"] = perplexity(
                load_generator(registry.verified_path(active)), held_out
            )
        registry.mark_candidate(generator, metrics)
        notes.append(f"generator {generator.label}: held-out perplexity {metrics['held_out_perplexity']:.2f}")
    return notes
