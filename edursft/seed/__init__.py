"""EduRSFT's own seed content: skill-tagged exercises and feedback for common mistakes.

The templates in :mod:`edursft.seed.templates` expand into many concrete
exercises with computed answers, so a fresh install has authored material to
pre-train the bootstrap generator on and held-out items to measure it with.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from edursft.seed.skills import SKILL_DESCRIPTIONS, SKILL_NAMES
from edursft.seed.templates import TEMPLATES, Mistake, Template

LEVELS: tuple[int, ...] = (1, 2, 3)


@dataclass(frozen=True)
class SeedExercise:
    """One concrete exercise; ``level`` is the target difficulty 1 (easy) to 3 (hard)."""

    skill_id: int
    skill: str
    level: int
    problem: str
    solution: str
    answer: str
    hint: str
    mistakes: tuple[Mistake, ...]


@dataclass(frozen=True)
class FeedbackExample:
    """Feedback a teacher gives for one wrong answer to one exercise."""

    exercise: SeedExercise
    wrong_answer: str
    feedback: str


def expand_seed(
    per_template: int = 20, seed: int = 0, templates: tuple[Template, ...] = TEMPLATES
) -> list[SeedExercise]:
    """Draw ``per_template`` exercises at every level from every template, reproducibly.

    Each (template, level) pair has its own random stream derived from ``seed``,
    so adding a template does not change the exercises the others produce.
    """
    exercises: list[SeedExercise] = []
    for template in templates:
        for level in LEVELS:
            rng = random.Random(f"{seed}/{template.skill_id}/{template.build.__name__}/{level}")
            for _ in range(per_template):
                draft = template.build(rng, level)
                exercises.append(
                    SeedExercise(
                        skill_id=template.skill_id,
                        skill=SKILL_NAMES[template.skill_id],
                        level=level,
                        problem=draft.problem,
                        solution=draft.solution,
                        answer=draft.answer,
                        hint=draft.hint,
                        mistakes=tuple(m for m in draft.mistakes if m.wrong_answer != draft.answer),
                    )
                )
    return exercises


def feedback_examples(exercises: list[SeedExercise]) -> list[FeedbackExample]:
    """Every authored mistake of every exercise, as a feedback example."""
    return [FeedbackExample(ex, m.wrong_answer, m.feedback) for ex in exercises for m in ex.mistakes]


def seed_skills() -> dict[int, str]:
    """ASSISTments 2009 skill ids covered by the seed templates, with their names."""
    return {t.skill_id: SKILL_NAMES[t.skill_id] for t in TEMPLATES}


def seed_skill_descriptions() -> dict[str, str]:
    """What each seed skill practises, by skill name: the description a teacher would write,
    which the skill-relevance criterion reads beside the name."""
    return {SKILL_NAMES[skill_id]: SKILL_DESCRIPTIONS[skill_id] for skill_id in seed_skills()}


__all__ = [
    "LEVELS",
    "FeedbackExample",
    "Mistake",
    "SeedExercise",
    "Template",
    "expand_seed",
    "feedback_examples",
    "seed_skill_descriptions",
    "seed_skills",
]
