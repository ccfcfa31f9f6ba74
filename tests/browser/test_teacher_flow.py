"""A teacher, in a real Chromium: criteria with field messages and a preview, then the review queue."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.browser import sign_in
from tutoring.models import AuditEvent, CriteriaSet, Item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _set_spec(page, spec: dict) -> None:
    page.get_by_label("Criteria specification (JSON)").fill(json.dumps(spec, indent=2))


def test_a_teacher_edits_criteria_sees_field_messages_and_previews(page, school, valid_spec, invalid_spec):
    sign_in(page, "tina", school.password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Criteria").click()
    page.get_by_role("link", name="Tina's fractions").click()

    bad, field = invalid_spec
    _set_spec(page, bad)
    page.get_by_role("button", name="Save").click()
    summary = page.get_by_role("alert")
    assert field in summary.locator(".field-name").first.inner_text()

    _set_spec(page, valid_spec)
    page.get_by_role("button", name="Preview on a few candidates").click()
    rows = page.locator("#preview tbody tr")
    rows.first.wait_for()
    assert rows.count() >= 1
    assert page.locator("#preview .outcomes li").count() >= rows.count()

    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved criteria").wait_for()
    assert CriteriaSet.objects.get(pk=school.criteria_a.pk).spec == valid_spec


def test_a_teacher_approves_an_item_in_the_review_queue(page, school):
    sign_in(page, "tina", school.password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    assert page.get_by_text("What is 10% of 50?").count() == 0  # another class's item
    page.get_by_label("Exercise: What is 1/2 + 1/4?").check()
    page.get_by_label("Decision").select_option("approve")
    page.get_by_role("button", name="Apply to selected").click()
    page.get_by_text("Approved 1 item(s)").wait_for()
    assert Item.objects.get(pk=school.pending.pk).status == Item.Status.APPROVED
    assert AuditEvent.objects.filter(action="item.approve", actor=school.tina).count() == 1


def test_a_rejection_from_the_item_page_asks_for_a_reason(page, school):
    sign_in(page, "tina", school.password)
    page.goto(f"/teach/review/{school.pending.pk}/")
    page.get_by_label("Decision").select_option("reject")
    page.get_by_role("button", name="Apply decision").click()
    assert "Say why the item is rejected" in page.content()
    page.get_by_label("Reason (required to reject)").fill("Answer format unclear")
    page.get_by_role("button", name="Apply decision").click()
    page.get_by_text("Rejected.").wait_for()
    assert Item.objects.get(pk=school.pending.pk).review_note == "Answer format unclear"


def test_a_teacher_rejects_every_item_on_the_page_at_once(page, school):
    Item.objects.create(
        text="What is 2/3 of 9?",
        answer="6",
        status=Item.Status.ACCEPTED,
        source=Item.Source.GENERATED,
        criteria=school.criteria_a,
    )
    sign_in(page, "tina", school.password)
    page.goto("/teach/review/")
    page.get_by_label("Select every item on this page").check()
    page.get_by_label("Decision").select_option("reject")
    page.get_by_label("Reason (required to reject)").fill("Off the syllabus")
    page.get_by_role("button", name="Apply to selected").click()
    page.get_by_text("Rejected 2 item(s)").wait_for()
    assert not Item.objects.filter(criteria=school.criteria_a, status=Item.Status.ACCEPTED).exists()
