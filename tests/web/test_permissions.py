"""Each role is kept to its own pages and objects.

A wrong role for a page is 403; an object outside the user's reach is 404 (its
existence is not revealed). The last tests sweep every route of the site, so a
page added later without a permission check fails here.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tutoring.models import Item

pytestmark = pytest.mark.django_db


def _status(client, user, url, method="get"):
    client.force_login(user)
    return getattr(client, method)(url).status_code


# Object pages of the teachers' area: tina (class A) must get 404 for class B's objects.
def _teacher_objects(school):
    a, b = school, school
    return {
        "classroom": (
            reverse("teacher-classroom", args=[a.class_a.pk]),
            reverse("teacher-classroom", args=[b.class_b.pk]),
        ),
        "student": (
            reverse("teacher-student", args=[a.class_a.pk, a.sam.pk]),
            reverse("teacher-student", args=[b.class_b.pk, b.bea.pk]),
        ),
        "criteria": (
            reverse("teacher-criteria-edit", args=[a.criteria_a.pk]),
            reverse("teacher-criteria-edit", args=[b.criteria_b.pk]),
        ),
        "review item": (
            reverse("teacher-review-item", args=[a.pending.pk]),
            reverse("teacher-review-item", args=[b.pending_b.pk]),
        ),
    }


@pytest.mark.parametrize("page", ["classroom", "student", "criteria", "review item"])
def test_a_teacher_sees_their_own_class_objects(client, school, page):
    own, _ = _teacher_objects(school)[page]
    assert _status(client, school.tina, own) == 200


@pytest.mark.parametrize("page", ["classroom", "student", "criteria", "review item"])
def test_a_teacher_gets_404_for_another_class_objects(client, school, page):
    _, other = _teacher_objects(school)[page]
    assert _status(client, school.tina, other) == 404


@pytest.mark.parametrize("page", ["classroom", "student", "criteria", "review item"])
def test_a_student_gets_403_on_teacher_object_pages(client, school, page):
    own, other = _teacher_objects(school)[page]
    assert _status(client, school.sam, own) == 403
    assert _status(client, school.sam, other) == 403


@pytest.mark.parametrize("page", ["classroom", "student", "criteria", "review item"])
def test_a_school_admin_reaches_every_class_objects(client, school, page):
    own, other = _teacher_objects(school)[page]
    assert _status(client, school.admin, own) == 200
    assert _status(client, school.admin, other) == 200


def test_a_student_of_the_class_is_404_when_asked_through_another_class(client, school):
    url = reverse("teacher-student", args=[school.class_a.pk, school.bea.pk])
    assert _status(client, school.tina, url) == 404


def test_a_teacher_cannot_edit_another_teachers_item(client, school):
    theirs = Item.objects.create(kind=Item.Kind.READING, text="Tom's notes", created_by=school.tom)
    assert _status(client, school.tina, reverse("teacher-item-edit", args=[theirs.pk])) == 404
    assert _status(client, school.tina, reverse("teacher-item-edit", args=[school.reading.pk])) == 200


def test_a_teacher_cannot_decide_on_another_class_item(client, school):
    client.force_login(school.tina)
    url = reverse("teacher-review-decide", args=[school.pending_b.pk])
    assert client.post(url, {"action": "approve"}).status_code == 404
    school.pending_b.refresh_from_db()
    assert school.pending_b.status == Item.Status.ACCEPTED


def test_a_bulk_decision_ignores_items_outside_the_teachers_queue(client, school):
    client.force_login(school.tina)
    response = client.post(reverse("teacher-review"), {"action": "approve", "items": [school.pending_b.pk]})
    assert response.status_code == 200  # the form rejects the foreign id as an invalid choice
    school.pending_b.refresh_from_db()
    assert school.pending_b.status == Item.Status.ACCEPTED


def test_students_get_404_for_items_not_approved(client, school):
    for item in (school.pending, school.feedback):
        assert _status(client, school.sam, reverse("student-item", args=[item.pk])) == 404
    assert _status(client, school.sam, reverse("student-item", args=[school.exercise.pk])) == 200


def test_teachers_get_403_on_student_pages(client, school):
    assert _status(client, school.tina, reverse("student-item", args=[school.exercise.pk])) == 403
    assert _status(client, school.tina, reverse("student-progress")) == 403


def test_a_student_sees_only_their_own_progress(client, school):
    from tutoring.learning import record_attempt

    record_attempt(school.sue, school.exercise, "wrong")
    client.force_login(school.sam)
    page = client.get(reverse("student-progress")).content.decode()
    assert "Equivalent Fractions" not in page


def _routes(resolver=None, prefix=""):
    """Every route of the site as (pattern text, name), admin and the xAPI API aside."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if text.startswith(("admin/", "xapi/")):
                continue
            yield from _routes(entry, text)
        elif isinstance(entry, URLPattern):
            yield text, entry.name


PUBLIC = {"login", "logout", "health", "openapi"}
STUDENT_PAGES = {"home", "student-item", "student-progress"}


def _url(pattern: str, pk: int) -> str:
    path = re.sub(r"<(?:int:)?[^>]+>", str(pk), pattern.lstrip("^").rstrip("$"))
    return "/" + path


def test_every_staff_route_refuses_a_student(client, school):
    client.force_login(school.sam)
    checked = 0
    for pattern, name in _routes():
        if name in PUBLIC | STUDENT_PAGES or "<str:" in pattern or "<slug:" in pattern:
            continue
        # Redirects are followed: a page that only forwards elsewhere is judged by where it lands.
        status = client.get(_url(pattern, school.pending_b.pk), follow=True).status_code
        assert status in (403, 404, 405), f"{pattern} ({name}) answered {status} to a student"
        checked += 1
    assert checked >= 10


def test_every_route_but_sign_in_needs_an_account(client, school):
    for pattern, name in _routes():
        if name in PUBLIC or "<str:" in pattern or "<slug:" in pattern:
            continue
        status = client.get(_url(pattern, school.exercise.pk)).status_code
        assert status in (302, 401, 403, 404, 405), f"{pattern} ({name}) answered {status} anonymously"


def test_refusals_are_site_pages_that_lead_home(client, school):
    client.force_login(school.sam)
    refused = client.get(reverse("teacher-classes"))
    missing = client.get(reverse("student-item", args=[school.pending.pk]))
    assert (refused.status_code, missing.status_code) == (403, 404)
    for response in (refused, missing):
        assert 'href="/"' in response.content.decode() and "Skip to content" in response.content.decode()
