"""Students' pages: recommendations with reasons, answering with feedback, progress."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tutoring import learning, recommendations, review
from tutoring.models import Item, LearningRecord, Mastery, MasterySnapshot, ModelVersion, Recommendation
from tutoring.recommendations import refresh_recommendations

pytestmark = pytest.mark.django_db


def _answer(client, item, response):
    return client.post(reverse("student-item", args=[item.pk]), {"response": response})


def test_a_right_answer_written_differently_is_marked_correct(client, school):
    client.force_login(school.sam)
    response = _answer(client, school.exercise, "0.875")
    assert "Correct!" in response.content.decode()
    assert LearningRecord.objects.get(student=school.sam).correct is True


def test_a_latex_answer_is_checked_by_parsing_it(school):
    item = factories.ItemFactory(answer="$$\\frac{7}{8}$$", skills=[school.fractions])
    assert learning.is_correct(item, "7/8")
    assert not learning.is_correct(item, "8/7")


def test_a_known_mistake_gets_the_approved_feedback_for_it(client, school):
    client.force_login(school.sam)
    page = _answer(client, school.exercise, "4/12").content.decode()
    assert "keep the common denominator 8" in page
    assert LearningRecord.objects.get(student=school.sam).feedback_item == school.feedback


def test_feedback_not_yet_approved_is_never_shown(client, school):
    school.feedback.status = Item.Status.ACCEPTED
    school.feedback.save()
    client.force_login(school.sam)
    page = _answer(client, school.exercise, "4/12").content.decode()
    assert "keep the common denominator" not in page
    assert "Write both fractions with denominator 8." in page


def test_other_wrong_answers_get_the_hints_in_order(client, school):
    client.force_login(school.sam)
    first = _answer(client, school.exercise, "1").content.decode()
    second = _answer(client, school.exercise, "2").content.decode()
    assert "Hint: Write both fractions with denominator 8." in first
    assert "Hint: Add the numerators." in second


def test_every_attempt_is_a_learning_record_and_moves_mastery_at_once(client, school):
    client.force_login(school.sam)
    _answer(client, school.exercise, "1")
    after_wrong = Mastery.objects.get(student=school.sam, skill=school.fractions).value
    _answer(client, school.exercise, "7/8")
    after_right = Mastery.objects.get(student=school.sam, skill=school.fractions).value
    assert LearningRecord.objects.filter(student=school.sam, item=school.exercise).count() == 2
    assert after_right > after_wrong
    assert MasterySnapshot.objects.filter(student=school.sam, skill=school.fractions).count() == 2


def test_an_attempt_updates_every_skill_of_the_item_with_the_student_model(school, student_model):
    both = factories.ItemFactory(answer="5", skills=[school.fractions, school.percents])
    result = learning.record_attempt(school.sam, both, "5")
    assert set(result.mastery) == {school.fractions.pk, school.percents.pk}
    assert Mastery.objects.filter(student=school.sam).count() == 2


def test_live_mastery_equals_a_replay_of_the_history(school, student_model):
    from tutoring import mastery

    for response in ["1", "7/8", "2", "7/8"]:
        learning.record_attempt(school.sam, school.exercise, response)
    live = Mastery.objects.get(student=school.sam, skill=school.fractions).value
    mastery._states.clear()
    _, replayed = mastery.student_state(school.sam.pk)
    assert live == pytest.approx(replayed.mastery_of(13), abs=1e-5)


def test_a_student_past_the_first_window_answers_one_and_two_skill_items(client, school, student_model):
    from tutoring import mastery

    # The model predicts with windows of 20 re-seeded every 15 attempts: attempt 35 re-seeds
    # its state from attempts 30 to 34, two imported one-skill records and three answers below.
    LearningRecord.objects.bulk_create(
        LearningRecord(
            student=school.sam,
            skill=school.fractions,
            correct=i % 3 > 0,
            position=i,
            source=LearningRecord.Source.IMPORT,
        )
        for i in range(32)
    )
    both = factories.ItemFactory(answer="5", skills=[school.fractions, school.percents])
    client.force_login(school.sam)
    for response in ["5", "4", "5", "5"]:
        assert _answer(client, both, response).status_code == 200
    live = Mastery.objects.get(student=school.sam, skill=school.percents).value
    mastery._states.clear()
    _, rebuilt = mastery.student_state(school.sam.pk)
    assert rebuilt.n_attempts == 36
    assert live == pytest.approx(rebuilt.mastery_of(35), abs=1e-5)


def test_home_lists_recommendations_with_their_reasons(client, school):
    client.force_login(school.sam)
    page = client.get(reverse("home")).content.decode()
    assert "Adding fractions" in page
    assert "Why:" in page and "mastery of Equivalent Fractions" in page


def test_recommendations_from_the_policy_carry_predicted_success(school, student_model):
    refresh_recommendations([school.sam.pk])
    exercise = Recommendation.objects.get(student=school.sam, item=school.exercise)
    assert exercise.predicted_success is not None
    assert "predicted success" in exercise.reason
    assert exercise.model_version == student_model


def test_only_approved_items_are_recommended(school):
    refresh_recommendations([school.sam.pk])
    shown = set(Recommendation.objects.filter(student=school.sam).values_list("item_id", flat=True))
    assert school.exercise.pk in shown
    assert school.pending.pk not in shown and school.feedback.pk not in shown


def test_an_imported_item_shows_its_source_and_license_to_students(client, school):
    client.force_login(school.sam)
    page = client.get(reverse("student-item", args=[school.exercise.pk])).content.decode()
    assert "CC BY 4.0" in page and "Adapted from OpenStax" in page


def test_progress_shows_the_chart_and_its_data_table(client, school):
    client.force_login(school.sam)
    _answer(client, school.exercise, "7/8")
    page = client.get(reverse("student-progress")).content.decode()
    assert 'id="mastery-chart"' in page and "vendor/plotly.min.js" in page
    assert 'id="mastery-history"' in page and "Equivalent Fractions" in page


def test_every_form_field_on_the_exercise_page_has_a_label(client, school):
    client.force_login(school.sam)
    page = client.get(reverse("student-item", args=[school.exercise.pk])).content.decode()
    assert '<label for="id_response">' in page


def test_answering_makes_the_home_page_recompute_the_recommendations(client, school):
    refresh_recommendations([school.sam.pk])
    before = set(Recommendation.objects.filter(student=school.sam).values_list("pk", flat=True))
    client.force_login(school.sam)
    client.get(reverse("home"))
    assert set(Recommendation.objects.filter(student=school.sam).values_list("pk", flat=True)) == before
    _answer(client, school.exercise, "7/8")
    client.get(reverse("home"))
    assert not set(Recommendation.objects.filter(student=school.sam).values_list("pk", flat=True)) & before


def test_a_multiple_choice_exercise_offers_labelled_choices_and_checks_the_chosen_one(client, school):
    item = factories.ItemFactory(
        answer="Tuesday", answer_type="choice", choices=["Monday", "Tuesday"], skills=[school.fractions]
    )
    client.force_login(school.sam)
    page = client.get(reverse("student-item", args=[item.pk])).content.decode()
    assert '<label for="choice-2">Tuesday</label>' in page
    assert "Correct!" in _answer(client, item, "Tuesday").content.decode()


def test_the_answer_page_says_how_mastery_of_each_skill_moved(client, school):
    client.force_login(school.sam)
    page = _answer(client, school.exercise, "7/8").content.decode()
    assert "Your mastery now: Equivalent Fractions 0.67." in page


def test_a_student_who_mastered_every_practised_skill_is_told_so_not_that_the_bank_is_empty(client, school):
    for skill in (school.fractions, school.percents):
        Mastery.objects.create(student=school.sam, skill=skill, value=0.99)
    client.force_login(school.sam)
    page = client.get(reverse("home")).content.decode()
    assert "skills you have already mastered" in page
    assert "no approved items" not in page


def test_a_student_is_told_when_the_bank_has_nothing_to_practise_yet(client, school):
    Item.objects.update(status=Item.Status.REJECTED)
    client.force_login(school.sam)
    page = client.get(reverse("home")).content.decode()
    assert "there are no approved items to practise with" in page


@pytest.fixture
def bank_loads(monkeypatch) -> list[int]:
    """One entry per time recommendations read the whole approved bank (the cost of a recompute)."""
    calls: list[int] = []
    load = recommendations._bank

    def counted():
        calls.append(1)
        return load()

    monkeypatch.setattr(recommendations, "_bank", counted)
    return calls


def _master_every_skill(school) -> None:
    for skill in (school.fractions, school.percents):
        Mastery.objects.create(student=school.sam, skill=skill, value=0.99)


def test_an_empty_list_computed_recently_is_not_recomputed_on_every_visit(client, school, bank_loads):
    _master_every_skill(school)
    client.force_login(school.sam)
    for _ in range(3):
        client.get(reverse("home"))
    assert not Recommendation.objects.filter(student=school.sam).exists()
    assert len(bank_loads) == 1


def test_an_empty_list_is_recomputed_once_the_student_answers(client, school, bank_loads):
    _master_every_skill(school)
    client.force_login(school.sam)
    client.get(reverse("home"))
    _answer(client, school.exercise, "1")
    client.get(reverse("home"))
    client.get(reverse("home"))
    assert len(bank_loads) == 2


def test_a_newly_approved_item_reaches_a_student_whose_list_was_empty(client, school, bank_loads):
    _master_every_skill(school)
    new_skill = factories.SkillFactory(name="Ratios")
    ratios = factories.ItemFactory(title="Ratios", status=Item.Status.ACCEPTED, skills=[new_skill])
    client.force_login(school.sam)
    client.get(reverse("home"))
    review.approve(school.tina, Item.objects.filter(pk=ratios.pk))
    page = client.get(reverse("home")).content.decode()
    client.get(reverse("home"))
    assert "Ratios" in page
    assert len(bank_loads) == 2


def test_a_newly_activated_student_model_makes_an_empty_list_stale(client, school, student_model, bank_loads):
    _master_every_skill(school)
    ModelVersion.objects.filter(pk=student_model.pk).update(status=ModelVersion.Status.CANDIDATE)
    client.force_login(school.sam)
    client.get(reverse("home"))
    ModelVersion.objects.filter(pk=student_model.pk).update(status=ModelVersion.Status.ACTIVE)
    client.get(reverse("home"))
    client.get(reverse("home"))
    assert len(bank_loads) == 2
