"""Teachers' criteria: validated by the engine field by field, previewed on a few candidates.

The preview draws candidates from the active generator when there is one (else
from the project's seed templates for the chosen skills) and runs the engine's
rejection sampler over them, so the teacher sees which criteria each candidate
passed or failed before the specification drives a real generation run. The
generator is loaded once per web process per version (a local checkpoint may be
far larger than the bootstrap) and sampled with one torch thread.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from edursft.criteria import REGISTRY, Candidate, CriteriaContext, SpecError, load_spec
from edursft.sampling import run_sampling
from edursft.seed import expand_seed, seed_skills
from edursft.seed.templates import TEMPLATES
from tutoring.audit import record_event
from tutoring.models import CriteriaSet, Item, ModelVersion, Skill
from tutoring.torch_threads import one_torch_thread

if TYPE_CHECKING:  # transformers loads only when a preview first samples, not at web start-up
    from edursft.generation.store import Generator

PREVIEW_SIZE = 6
EXISTING_TEXTS = 2000  # most recent exercises of the skills, for the novelty criterion

_generator_lock = threading.Lock()
_generator: tuple[str, Generator] | None = None


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass(frozen=True)
class CriterionOutcome:
    name: str
    passed: bool
    score: float | None
    detail: str


@dataclass(frozen=True)
class PreviewRow:
    text: str
    answer: str
    skill: str
    accepted: bool
    outcomes: list[CriterionOutcome]


@dataclass(frozen=True)
class CriterionHelp:
    name: str
    summary: str
    kinds: str
    params: str  # "min_words=8, max_words=150"


def available_criteria() -> list[CriterionHelp]:
    """Every registered criterion with its parameters and defaults, for the editor's reference list."""
    found = []
    for name, criterion in sorted(REGISTRY.items()):
        params = []
        for f in fields(criterion):
            if not f.init or f.name.startswith("_"):
                continue
            has_default = f.default is not MISSING or f.default_factory is not MISSING
            default = f.default if f.default is not MISSING else "…"
            params.append(f"{f.name}={default!r}" if has_default else f"{f.name} (required)")
        summary = " ".join((criterion.__doc__ or "").strip().split("\n\n")[0].split()).replace("``", "")
        found.append(CriterionHelp(name, summary, ", ".join(criterion.kinds), ", ".join(params)))
    return found


def validate(spec: dict) -> list[FieldError]:
    """The engine's verdict on a specification: empty when valid, else the problem and its field path."""
    try:
        load_spec(spec)
    except SpecError as error:
        return [FieldError(error.field or "(whole specification)", error.message)]
    return []


def save(
    actor: AbstractBaseUser, criteria_set: CriteriaSet, spec: dict, skills: Iterable[Skill]
) -> CriteriaSet:
    """Store a validated specification; the author owns a new set; the change is audited."""
    with transaction.atomic():
        criteria_set.spec = spec
        if criteria_set.owner_id is None:
            criteria_set.owner = actor
        created = criteria_set.pk is None
        criteria_set.save()
        criteria_set.skills.set(skills)
        record_event(
            actor,
            "criteria.create" if created else "criteria.edit",
            criteria_set,
            criteria_id=criteria_set.pk,
        )
    return criteria_set


def preview(spec: dict, skills: list[Skill], size: int = PREVIEW_SIZE, seed: int = 0) -> list[PreviewRow]:
    """Sample ``size`` candidates for the skills and report each criterion's outcome on each."""
    loaded = load_spec(spec)
    chosen = skills or list(Skill.objects.filter(name__in=seed_skills().values()))
    context = CriteriaContext(
        skill_descriptions={s.name: s.description or s.name for s in chosen},
        existing_texts=list(
            Item.objects.filter(kind=Item.Kind.EXERCISE, skills__in=chosen)
            .order_by("-id")
            .values_list("text", flat=True)[:EXISTING_TEXTS]
        ),
    )
    run = run_sampling(_proposals(skills, size, seed), loaded, context=context, n_accept=size, seed=seed)
    return [
        PreviewRow(
            text=decision.candidate.text,
            answer=decision.candidate.answer or "",
            skill=decision.candidate.skill or "",
            accepted=decision.accepted,
            outcomes=[
                CriterionOutcome(label, outcome.passed, outcome.score, outcome.reason or "")
                for label, outcome in decision.outcomes.items()
            ],
        )
        for decision in run.decisions
    ]


def _proposals(skills: list[Skill], size: int, seed: int) -> list:
    """Candidates from the active generator, else from the seed templates of the chosen skills."""
    names = [s.name for s in skills] or list(seed_skills().values())
    version = ModelVersion.objects.filter(
        kind=ModelVersion.Kind.GENERATOR, status=ModelVersion.Status.ACTIVE
    ).first()
    if version is not None and version.path:
        from edursft.generation.prompts import Request
        from edursft.generation.sampling import SamplingConfig, propose

        generator = _loaded_generator(_model_path(version.path))
        requests = [Request(kind="exercise", skill=names[i % len(names)], level=2) for i in range(size)]
        config = SamplingConfig(samples_per_prompt=1, prompts_per_batch=size, seed=seed, max_new_tokens=160)
        with one_torch_thread():
            return list(propose(generator, requests, config))
    chosen = tuple(t for t in TEMPLATES if seed_skills()[t.skill_id] in names) or TEMPLATES
    exercises = expand_seed(per_template=1, seed=seed, templates=chosen)
    random.Random(seed).shuffle(exercises)
    return [
        Candidate(
            text=ex.problem,
            answer=ex.answer,
            skill=ex.skill,
            kind="exercise",
            hint=ex.hint,
            solution=ex.solution,
            log_q=0.0,
            prompt_id=f"seed|{ex.skill}|{ex.level}",
            context={"level": ex.level, "target_difficulty": (ex.level - 1) / 2, "well_formed": True},
        )
        for ex in exercises[:size]
    ]


def _loaded_generator(path: Path) -> Generator:
    """The generator at ``path``, kept loaded until another version becomes the active one."""
    from edursft.generation.store import load_generator

    global _generator
    with _generator_lock:
        if _generator is None or _generator[0] != str(path):
            _generator = (str(path), load_generator(path))
        return _generator[1]


def _model_path(path: str) -> Path:
    found = Path(path)
    return found if found.is_absolute() else Path(settings.EDURSFT_MODEL_DIR) / found
