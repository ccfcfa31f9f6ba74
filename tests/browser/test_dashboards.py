"""A teacher opens each dashboard in a real Chromium: plotly draws every chart offline,
the data table sits beneath it, and the filters work from the keyboard."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.fixtures.browser import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = {"outcomes": 4, "teaching": 4, "generation": 3}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


def test_a_teacher_opens_each_dashboard_with_its_charts_drawn(page, dashboard_school):
    offline = []
    page.on(
        "request", lambda request: request.url.startswith("http://localhost") or offline.append(request.url)
    )
    sign_in(page, "ann", dashboard_school.password)
    for name, charts in CHARTS.items():
        page.goto(f"/dashboards/{name}/?classroom={dashboard_school.room_a.pk}")
        svgs = page.locator(".chart .js-plotly-plot .main-svg")
        svgs.nth(charts - 1).wait_for()
        assert page.locator(".chart .js-plotly-plot").count() == charts
        assert page.locator("section.panel table.data").count() == charts
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)
    # Every request stayed on the test server: plotly.js came from the project's static files.
    assert offline == []


def test_the_filters_are_usable_with_the_keyboard_alone(page, dashboard_school):
    sign_in(page, "ann", dashboard_school.password)
    page.goto("/dashboards/outcomes/")
    page.get_by_label("Skill", exact=True).focus()
    page.keyboard.press("ArrowDown")  # first skill after "All skills"
    chosen = page.get_by_label("Skill", exact=True).evaluate(
        "select => select.options[select.selectedIndex].text"
    )
    page.get_by_role("button", name="Show").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboards/outcomes/?*skill=*")
    page.locator("#panel-gain").wait_for()
    assert page.locator("#table-gain tbody th").all_inner_texts() == [chosen]
