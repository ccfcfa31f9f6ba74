"""Which items and resources to offer a student next, and why.

The policy reads the student model's mastery and predicted success and ranks
candidates by rules a teacher can check: work on skills not yet mastered,
prerequisites before what builds on them, items in the productive-difficulty
band (neither trivial nor hopeless: the "desirable difficulties" of Bjork 1994,
operationalised as a predicted success band the teacher sets), variety across
skills, and within those, the item the model expects to raise mastery most.
Inputs are plain data so the site and the pipeline can call it with what they load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from edursft.studentmodel.artifacts import StudentModel
from edursft.studentmodel.mastery import MasteryState, expected_mastery_gain


@dataclass(frozen=True)
class Item:
    """A candidate: an exercise (predicted success matters) or a resource (lesson, video)."""

    item_id: str
    skills: tuple[int, ...]
    kind: str = "exercise"
    embedding: np.ndarray | None = field(default=None, compare=False)
    title: str = ""


@dataclass(frozen=True)
class Recommendation:
    """One ranked suggestion with the figures behind it and a sentence for the student."""

    item_id: str
    score: float
    reason: str
    skill_id: int
    mastery: float
    predicted_success: float | None
    kind: str


@dataclass
class PolicyConfig:
    """The teacher's settings."""

    mastery_threshold: float = 0.95
    band_low: float = 0.6
    band_high: float = 0.85
    limit: int = 10
    max_per_skill: int = 2  # variety: at most this many suggestions per target skill
    resources: bool = True  # also rank resources, not only exercises


def band_fit(success: np.ndarray, low: float, high: float) -> np.ndarray:
    """1 inside the band, falling linearly to 0 at 0.25 outside it."""
    distance = np.maximum(low - success, 0) + np.maximum(success - high, 0)
    return np.clip(1 - distance / 0.25, 0, 1)


def _skill_name(skill: int, names: Mapping[int, str] | None) -> str:
    return names.get(skill, f"skill {skill}") if names else f"skill {skill}"


def recommend(
    model: StudentModel,
    state: MasteryState,
    items: Sequence[Item],
    config: PolicyConfig | None = None,
    skill_names: Mapping[int, str] | None = None,
    prerequisites: Mapping[int, Sequence[int]] | None = None,
) -> list[Recommendation]:
    """Ranked recommendations for the student whose mastery state is given.

    ``prerequisites`` maps a skill to the skills that should be mastered before it.
    """
    config = config or PolicyConfig()
    candidates = [i for i in items if config.resources or i.kind == "exercise"]
    exercises = [i for i in candidates if i.kind == "exercise"]
    success: dict[str, float] = {}
    gains: dict[str, float] = {}
    if exercises:
        vectors = None
        if any(i.embedding is not None for i in exercises):
            dim = model.network.shape.text_dim
            vectors = np.stack(
                [np.zeros(dim, np.float32) if i.embedding is None else i.embedding for i in exercises]
            )
        predicted, expected = expected_mastery_gain(model, state, [i.skills for i in exercises], vectors)
        success = {i.item_id: float(p) for i, p in zip(exercises, predicted, strict=True)}
        gains = {i.item_id: float(g) for i, g in zip(exercises, expected, strict=True)}
    skills = {s for i in candidates for s in i.skills}
    skills |= {p for s in skills for p in (prerequisites or {}).get(s, ())}
    mastery = {s: state.mastery_of(s) for s in skills}
    return rank_items(candidates, mastery, success, config, skill_names, prerequisites, gains)


def rank_items(
    items: Sequence[Item],
    mastery: Mapping[int, float],
    success: Mapping[str, float],
    config: PolicyConfig | None = None,
    skill_names: Mapping[int, str] | None = None,
    prerequisites: Mapping[int, Sequence[int]] | None = None,
    gains: Mapping[str, float] | None = None,
) -> list[Recommendation]:
    """The policy's rules on plain numbers: mastery per skill, predicted success per exercise.

    ``gains`` (optional) is each exercise's expected mastery gain; resources (no
    predicted success) are ranked on mastery alone.
    """
    config = config or PolicyConfig()
    prerequisites = prerequisites or {}
    gains = gains or {}
    # Expected gains enter relative to the largest one, so they order items within the band.
    gain_scale = max((abs(g) for g in gains.values()), default=0.0) or 1.0
    scored: list[tuple[float, Item, int, float, str]] = []
    for item in items:
        if not (config.resources or item.kind == "exercise"):
            continue
        open_skills = [s for s in item.skills if mastery[s] < config.mastery_threshold]
        if not open_skills:
            continue
        target = min(open_skills, key=mastery.__getitem__)
        blocked = [
            p for s in open_skills for p in prerequisites.get(s, ()) if mastery[p] < config.mastery_threshold
        ]
        # The band comes first (weight 2), then the expected gain (weight 1), then the
        # weakest skill; unmet prerequisites push an item below all that could be done first.
        score = 0.5 * (1.0 - mastery[target]) + gains.get(item.item_id, 0.0) / gain_scale
        score -= 4.0 if blocked else 0.0
        mastery_text = f"your mastery of {_skill_name(target, skill_names)} is {mastery[target]:.2f}"
        if item.item_id in success:
            p = success[item.item_id]
            score += 2.0 * float(band_fit(np.array(p), config.band_low, config.band_high))
            detail = f"this item is at {round(100 * p)}% predicted success"
        else:
            score += 1.0
            detail = "this resource explains it"
        if blocked:
            first = _skill_name(blocked[0], skill_names)
            detail += f"; practise {first} first (a prerequisite, mastery {mastery[blocked[0]]:.2f})"
        scored.append((score, item, target, mastery[target], f"{mastery_text}; {detail}"))

    # Variety: every skill's best item comes before any skill's second-best.
    scored.sort(key=lambda entry: -entry[0])
    rank_in_skill: dict[int, int] = {}
    ranked = []
    for entry in scored:
        rank = rank_in_skill.get(entry[2], 0)
        rank_in_skill[entry[2]] = rank + 1
        if rank < config.max_per_skill:
            ranked.append((rank, entry))
    ranked.sort(key=lambda pair: (pair[0], -pair[1][0]))
    return [
        Recommendation(
            item_id=item.item_id,
            score=round(score, 4),
            reason=reason,
            skill_id=target,
            mastery=mastery_value,
            predicted_success=success.get(item.item_id),
            kind=item.kind,
        )
        for _, (score, item, target, mastery_value, reason) in ranked[: config.limit]
    ]
