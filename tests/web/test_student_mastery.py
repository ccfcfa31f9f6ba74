"""Mastery in the database: live updates, the batch recompute, and the rule before any model."""

from __future__ import annotations

import pytest

from tests import factories
from tutoring import mastery
from tutoring.models import LearningRecord, Mastery, Recommendation
from tutoring.recommendations import refresh_recommendations

pytestmark = pytest.mark.django_db


def _imported(student, skill, outcomes):
    LearningRecord.objects.bulk_create(
        LearningRecord(
            student=student, skill=skill, correct=o, position=i, source=LearningRecord.Source.IMPORT
        )
        for i, o in enumerate(outcomes)
    )


def test_model_skill_ids_follow_the_data_set_numbering(school):
    assert mastery.model_skill_id(school.fractions) == 13
    local = factories.SkillFactory(name="Local skill")
    assert mastery.model_skill_id(local) == mastery.LOCAL_SKILL_OFFSET + local.pk


def test_without_a_model_mastery_is_the_smoothed_success_rate(school):
    _imported(school.sam, school.fractions, [True, True, False])
    mastery.recompute_all([school.sam.pk])
    row = Mastery.objects.get(student=school.sam, skill=school.fractions)
    assert row.value == pytest.approx(3 / 5) and row.attempts == 3


def test_the_batch_recompute_matches_the_live_replay(school, student_model):
    _imported(school.sam, school.fractions, [True, False, True, True])
    _imported(school.sue, school.percents, [False, False])
    assert mastery.recompute_all() == 2
    batch = Mastery.objects.get(student=school.sam, skill=school.fractions).value
    mastery._states.clear()
    _, live = mastery.student_state(school.sam.pk)
    assert batch == pytest.approx(live.mastery_of(13), abs=1e-5)
    assert Mastery.objects.get(student=school.sue, skill=school.percents).attempts == 2


def test_refreshing_replaces_a_students_list_whole(school):
    refresh_recommendations([school.sam.pk])
    first = list(Recommendation.objects.filter(student=school.sam).values_list("pk", flat=True))
    refresh_recommendations([school.sam.pk])
    second = list(Recommendation.objects.filter(student=school.sam).values_list("pk", flat=True))
    assert first and second and not set(first) & set(second)


def test_mastered_skills_are_not_recommended_without_a_model(school):
    Mastery.objects.create(student=school.sam, skill=school.fractions, value=0.99, attempts=20)
    refresh_recommendations([school.sam.pk])
    items = set(Recommendation.objects.filter(student=school.sam).values_list("item_id", flat=True))
    assert school.exercise.pk not in items and school.reading.pk in items
