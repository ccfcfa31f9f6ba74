"""Every form control on the students' and teachers' pages has a label; charts have data tables."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tutoring.learning import record_attempt

pytestmark = pytest.mark.django_db


class _Controls(HTMLParser):
    """Collects form controls and the ids that labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "label" and found.get("for"):
            self.labelled.add(found["for"])
        if tag in ("input", "select", "textarea") and found.get("type") not in ("hidden", "submit", "button"):
            self.controls.append(found)

    def unlabelled(self) -> list[str]:
        return [
            c.get("name", "?")
            for c in self.controls
            if c.get("id") not in self.labelled and not c.get("aria-label") and not c.get("aria-labelledby")
        ]


class _Ids(HTMLParser):
    """Collects element ids and the ids that aria-describedby attributes point at."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.described_by: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"])
        self.described_by += (found.get("aria-describedby") or "").split()

    def problems(self) -> list[str]:
        duplicated = sorted({i for i in self.ids if self.ids.count(i) > 1})
        dangling = [i for i in self.described_by if i not in self.ids]
        return [f"duplicate id {i}" for i in duplicated] + [f"describedby {i} is missing" for i in dangling]


def _pages(school):
    return {
        school.sam: [
            reverse("home"),
            reverse("student-item", args=[school.exercise.pk]),
            reverse("student-progress"),
        ],
        school.tina: [
            reverse("home"),
            reverse("teacher-classes"),
            reverse("teacher-classroom", args=[school.class_a.pk]),
            reverse("teacher-student", args=[school.class_a.pk, school.sam.pk]),
            reverse("teacher-items"),
            reverse("teacher-item-new"),
            reverse("teacher-item-edit", args=[school.reading.pk]),
            reverse("teacher-criteria"),
            reverse("teacher-criteria-new"),
            reverse("teacher-criteria-edit", args=[school.criteria_a.pk]),
            reverse("teacher-review"),
            reverse("teacher-review-item", args=[school.pending.pk]),
        ],
    }


def test_every_form_control_has_a_label(client, school):
    for user, urls in _pages(school).items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            parser = _Controls()
            parser.feed(response.content.decode())
            assert parser.unlabelled() == [], url


def test_every_chart_has_its_data_table_beneath(client, school):
    record_attempt(school.sam, school.exercise, "1")
    for user, url in (
        (school.sam, reverse("student-progress")),
        (school.tina, reverse("teacher-student", args=[school.class_a.pk, school.sam.pk])),
    ):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert page.index('id="mastery-chart"') < page.index('id="mastery-history"'), url


def test_field_errors_are_one_element_each_that_the_field_points_at(client, school):
    """Screen readers read a field's errors through aria-describedby; the ids must exist once."""
    client.force_login(school.tina)
    item_form = client.post(
        reverse("teacher-item-new"),
        {"kind": "video", "title": "V", "text": "Watch", "url": "not a url", "answer_type": "math"},
    )
    dashboard = client.get("/dashboards/outcomes/", {"start": "2026-10-01", "end": "2026-09-01"})
    for response in (item_form, dashboard):
        parser = _Ids()
        parser.feed(response.content.decode())
        assert parser.described_by, response.request["PATH_INFO"]
        assert parser.problems() == [], response.request["PATH_INFO"]
