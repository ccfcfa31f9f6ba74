"""Students' recommended items, computed by the engine's policy and stored with reasons.

``refresh_recommendations`` loads the approved bank and each student's mastery
state from the database, asks edursft.recommender.policy.recommend for a ranked
list, and replaces the student's rows in one transaction, so a page never shows
half of an old list and half of a new one. Before the first student model is
trained, items are ranked by the student's lowest stored mastery (the policy's
first rule, "work on what is not yet mastered", without predicted success).

The same transaction marks the list computed (``RecommendationList``: when, with
which student model), so an empty list counts as computed too; see
``tutoring.selectors.recommendations_stale`` for what makes it stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from edursft.recommender.policy import Item as PolicyItem
from edursft.recommender.policy import PolicyConfig, recommend
from tutoring import mastery
from tutoring.models import Item, Mastery, Profile, Recommendation, RecommendationList, Role, Skill
from tutoring.permissions import visible_to_students

NEW_SKILL_MASTERY = 0.5  # prior for a skill the student never met, used only without a model


@dataclass(frozen=True)
class _BankItem:
    pk: int
    kind: str
    title: str


@dataclass(frozen=True)
class _Bank:
    items: list[_BankItem]
    item_skills: dict[int, list[int]]  # item pk -> skill pks
    skills: dict[int, Skill]
    prerequisites: dict[int, list[int]]  # skill pk -> prerequisite skill pks


def _bank() -> _Bank:
    """The approved bank as plain rows (thousands of items: no model instances, two queries)."""
    approved = visible_to_students()
    item_skills: dict[int, list[int]] = {}
    links = Item.skills.through.objects.filter(item__in=approved).order_by("item_id", "skill_id")
    for item_id, skill_id in links.values_list("item_id", "skill_id"):
        item_skills.setdefault(item_id, []).append(skill_id)
    items = [
        _BankItem(pk, kind, title)
        for pk, kind, title in approved.filter(pk__in=item_skills)
        .order_by("pk")
        .values_list("pk", "kind", "title")
    ]
    skills = {
        s.pk: s for s in Skill.objects.filter(pk__in={pk for pks in item_skills.values() for pk in pks})
    }
    prerequisites: dict[int, list[int]] = {}
    for skill_id, required_id in Skill.prerequisites.through.objects.filter(
        from_skill_id__in=skills
    ).values_list("from_skill_id", "to_skill_id"):
        prerequisites.setdefault(skill_id, []).append(required_id)
    missing = {p for pks in prerequisites.values() for p in pks} - set(skills)
    skills.update({s.pk: s for s in Skill.objects.filter(pk__in=missing)})
    return _Bank(items, item_skills, skills, prerequisites)


def _by_policy(
    student_id: int, bank: _Bank, config: PolicyConfig
) -> list[tuple[int, float, float | None, str]]:
    model, state = mastery.student_state(student_id)
    to_model = {pk: mastery.model_skill_id(skill) for pk, skill in bank.skills.items()}
    candidates = [
        PolicyItem(
            item_id=str(item.pk),
            skills=tuple(to_model[s] for s in bank.item_skills[item.pk]),
            kind=item.kind,
            title=item.title,
        )
        for item in bank.items
    ]
    ranked = recommend(
        model,
        state,
        candidates,
        config,
        skill_names={to_model[pk]: s.name for pk, s in bank.skills.items()},
        prerequisites={to_model[k]: [to_model[p] for p in v] for k, v in bank.prerequisites.items()},
    )
    return [(int(r.item_id), r.score, r.predicted_success, r.reason) for r in ranked]


def _by_mastery(
    student_id: int, bank: _Bank, config: PolicyConfig
) -> list[tuple[int, float, float | None, str]]:
    known = dict(Mastery.objects.filter(student_id=student_id).values_list("skill_id", "value"))
    scored = []
    for item in bank.items:
        masteries = {pk: known.get(pk, NEW_SKILL_MASTERY) for pk in bank.item_skills[item.pk]}
        open_skills = [pk for pk, value in masteries.items() if value < config.mastery_threshold]
        if not open_skills:
            continue
        target = min(open_skills, key=masteries.get)
        practised = "" if target in known else " (not practised yet)"
        reason = f"your mastery of {bank.skills[target].name} is {masteries[target]:.2f}{practised}"
        scored.append((1.0 - masteries[target], item.pk, target, reason))
    scored.sort(key=lambda entry: (-entry[0], entry[1]))
    per_skill: dict[int, int] = {}
    chosen = []
    for score, item_pk, target, reason in scored:
        per_skill[target] = per_skill.get(target, 0) + 1
        if per_skill[target] <= config.max_per_skill:
            chosen.append((item_pk, round(score, 4), None, reason))
    return chosen[: config.limit]


def refresh_recommendations(
    student_ids: Sequence[int] | None = None, *, config: PolicyConfig | None = None
) -> int:
    """Recompute and store the recommendations of these students (every student by default).

    Returns the number of students refreshed. Each student's list is replaced atomically.
    """
    config = config or PolicyConfig()
    if student_ids is None:
        student_ids = list(Profile.objects.filter(role=Role.STUDENT).values_list("user_id", flat=True))
    # Taken before reading anything: a record or approval arriving meanwhile makes the list stale.
    started = timezone.now()
    bank = _bank()
    loaded = mastery.active_student_model()
    version_id = loaded[0] if loaded else None
    rank_items = _by_policy if loaded else _by_mastery
    for student_id in student_ids:
        ranked = rank_items(student_id, bank, config) if bank.items else []
        rows = [
            Recommendation(
                student_id=student_id,
                item_id=item_pk,
                rank=rank,
                score=score,
                predicted_success=success,
                reason=reason[:1].upper() + reason[1:],
                model_version_id=version_id,
            )
            for rank, (item_pk, score, success, reason) in enumerate(ranked, start=1)
        ]
        with transaction.atomic():
            Recommendation.objects.filter(student_id=student_id).delete()
            Recommendation.objects.bulk_create(rows)
            RecommendationList.objects.update_or_create(
                student_id=student_id, defaults={"computed_at": started, "model_version_id": version_id}
            )
    return len(student_ids)
