"""A student, in a real Chromium: recommendation, wrong answer, feedback, right answer, progress."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import sign_in
from tutoring.recommendations import refresh_recommendations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_answers_a_recommendation_and_sees_progress_move(page, school):
    refresh_recommendations([school.sam.pk])
    sign_in(page, "sam", school.password)

    page.get_by_role("heading", name="Recommended for you").wait_for()
    assert page.locator(".reason").first.inner_text().startswith("Why:")
    page.get_by_role("link", name="Adding fractions").click()

    page.get_by_label("Your answer").fill("4/12")
    page.get_by_label("Your answer").press("Enter")  # the keyboard submits the form
    result = page.locator("#result")
    assert "Not quite" in result.inner_text()
    assert "keep the common denominator 8" in result.inner_text()

    page.get_by_label("Your answer").fill("0.875")
    page.get_by_role("button", name="Check my answer").click()
    assert "Correct!" in page.locator("#result").inner_text()

    page.get_by_role("link", name="My progress").click()
    page.locator("#mastery-chart .main-svg").first.wait_for()
    values = [float(v) for v in page.locator("#mastery-history tbody tr td:nth-child(3)").all_inner_texts()]
    assert len(values) == 2 and values[1] > values[0]


def test_the_exercise_page_is_usable_with_the_keyboard_alone(page, school):
    sign_in(page, "sam", school.password)
    page.goto(f"/learn/items/{school.exercise.pk}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_response":
            break
    assert page.evaluate("document.activeElement.id") == "id_response"
