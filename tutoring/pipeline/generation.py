"""The generation stage: propose exercises per skill, rejection-sample them against a
teacher's criteria, and store what was accepted and why the rest was rejected.

One call handles one (generation run, skill) pair, so the stage fans out over
skills and several workers share it. A repeated delivery first removes what an
interrupted attempt stored for its pair, then does the pair again.
"""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tutoring.models import (
    CriteriaSet,
    GenerationRun,
    Item,
    ModelVersion,
    PipelineRun,
    RejectedCandidate,
    Skill,
)
from tutoring.pipeline import registry
from tutoring.pipeline.config import PipelineConfig


def plan_generation(run: PipelineRun) -> list[tuple[int, int]]:
    """One generation run per active criteria set; returns the (generation run, skill) pairs to do."""
    pairs = []
    for criteria in CriteriaSet.objects.filter(is_active=True).prefetch_related("skills"):
        skills = [s.pk for s in criteria.skills.all()]
        if not skills:
            continue
        generation, _ = GenerationRun.objects.get_or_create(criteria=criteria, pipeline_run=run)
        pairs += [(generation.pk, skill) for skill in skills]
    return pairs


def _sample(generator_path, criteria: CriteriaSet, skill: Skill, config: PipelineConfig, seed: int):
    """The engine's proposals for ``skill`` through the criteria's rejection sampler (one SamplingRun)."""
    # Imported here, in the worker that samples: the web process enqueuing the
    # stage never needs transformers or the embedding model.
    from edursft.criteria import CriteriaContext, load_spec
    from edursft.generation.prompts import Request
    from edursft.generation.sampling import SamplingConfig, propose
    from edursft.generation.store import load_generator
    from edursft.sampling import run_sampling

    generator = load_generator(generator_path)
    spec = load_spec(criteria.spec)
    requests = [Request("exercise", skill.name, level) for level in config.levels]
    prompts = math.ceil(config.proposals_per_skill / config.samples_per_prompt)
    sampling = SamplingConfig(
        samples_per_prompt=config.samples_per_prompt, max_new_tokens=config.max_new_tokens, seed=seed
    )
    proposals = propose(generator, itertools.islice(itertools.cycle(requests), prompts), sampling)
    existing = list(skill.items.filter(kind=Item.Kind.EXERCISE).values_list("text", flat=True)[:500])
    context = CriteriaContext(
        skill_descriptions={skill.name: skill.description or skill.name}, existing_texts=existing
    )
    return run_sampling(proposals, spec, context=context, n_accept=config.accept_per_skill, seed=seed)


def _text(value: str | None) -> str:
    """Text as the database accepts it: byte-level models can emit NUL, which PostgreSQL refuses."""
    return (value or "").replace("\x00", "")


def sample_for_skill(generation_id: int, skill_id: int, config: PipelineConfig) -> dict:
    """Generate and rejection-sample one skill's candidates; returns the sampler's statistics."""
    generation = GenerationRun.objects.select_related("criteria").get(pk=generation_id)
    key = str(skill_id)
    if key in generation.stats.get("skills", {}):
        return generation.stats["skills"][key]
    skill = Skill.objects.get(pk=skill_id)
    version = registry.active_version(ModelVersion.Kind.GENERATOR)
    if version is None:
        raise registry.ArtefactError("no active generator to sample from")
    result = _sample(
        registry.verified_path(version), generation.criteria, skill, config, config.seed + skill_id
    )
    stats = result.stats()
    with transaction.atomic():
        generation = GenerationRun.objects.select_for_update().get(pk=generation_id)
        # An interrupted earlier delivery may have stored part of this skill: start clean.
        Item.objects.filter(generation_run=generation, skills=skill).delete()
        RejectedCandidate.objects.filter(run=generation, skill=skill).delete()
        for decision in result.decisions:
            candidate = decision.candidate
            scores = {label: outcome.score for label, outcome in decision.outcomes.items()}
            if decision.accepted:
                item = Item.objects.create(
                    kind=Item.Kind.EXERCISE,
                    title=_text(candidate.text)[:80],
                    text=_text(candidate.text),
                    answer=_text(candidate.answer),
                    hints=[_text(candidate.hint)] if candidate.hint else [],
                    solution=_text(candidate.solution),
                    source=Item.Source.GENERATED,
                    status=Item.Status.ACCEPTED,
                    model_version=version,
                    criteria=generation.criteria,
                    generation_run=generation,
                    generation_scores={
                        "scores": scores,
                        "reward": decision.reward,
                        "acceptance_prob": decision.acceptance_prob,
                        "level": candidate.context.get("level"),
                        "log_q": candidate.log_q,
                    },
                )
                item.skills.add(skill)
            else:
                RejectedCandidate.objects.create(
                    run=generation,
                    skill=skill,
                    text=_text(candidate.text),
                    answer=_text(candidate.answer),
                    reasons=[_text(reason) for reason in decision.reasons],
                    scores=scores,
                )
        generation.model_version = version
        generation.status = GenerationRun.Status.RUNNING
        generation.stats = {**generation.stats, "skills": {**generation.stats.get("skills", {}), key: stats}}
        generation.save(update_fields=["model_version", "status", "stats"])
    return stats


def close_generation(run: PipelineRun) -> dict:
    """Total each generation run of the pipeline run and close it; returns the totals."""
    totals = {"generation_runs": 0, "accepted": 0, "rejected": 0}
    for generation in GenerationRun.objects.filter(pipeline_run=run):
        accepted = generation.items.count()
        rejected = generation.rejected.count()
        proposals = accepted + rejected
        generation.stats = {
            **generation.stats,
            "proposals": proposals,
            "accepted": accepted,
            "acceptance_rate": accepted / proposals if proposals else 0.0,
        }
        generation.status = GenerationRun.Status.SUCCEEDED
        generation.finished_at = timezone.now()
        generation.save(update_fields=["stats", "status", "finished_at"])
        totals["generation_runs"] += 1
        totals["accepted"] += accepted
        totals["rejected"] += rejected
    return totals


def purge_rejected(now: datetime | None = None) -> int:
    """Delete rejected candidates older than EDURSFT_REJECTED_RETENTION_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EDURSFT_REJECTED_RETENTION_DAYS)
    deleted, _ = RejectedCandidate.objects.filter(created_at__lt=cutoff).delete()
    return deleted
