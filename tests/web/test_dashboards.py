"""The dashboards as pages: who may open them, what each shows, and the CSV of every table."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache

DASHBOARDS = ["outcomes", "teaching", "generation"]
PANELS = {
    "outcomes": ["heatmap", "over-time", "gain", "at-risk"],
    "teaching": ["class-outcomes", "engagement", "teachers", "feedback"],
    "generation": ["runs", "criteria", "rounds"],
}


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test sees its own data, not panels cached by an earlier test."""
    cache.clear()
    yield
    cache.clear()


def _url(name: str, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/dashboards/{name}/" + (f"?{query}" if query else "")


@pytest.mark.parametrize("name", DASHBOARDS)
def test_a_student_is_refused_every_dashboard(client, dashboard_school, name):
    client.force_login(dashboard_school.pupils[0])
    assert client.get(_url(name)).status_code == 403


@pytest.mark.parametrize("name", DASHBOARDS)
def test_signing_in_comes_before_any_dashboard(client, dashboard_school, name):
    response = client.get(_url(name))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", DASHBOARDS)
def test_another_teachers_class_is_not_found(client, dashboard_school, name):
    client.force_login(dashboard_school.ann)
    assert client.get(_url(name, classroom=dashboard_school.room_b.pk)).status_code == 404
    assert (
        client.get(_url(name, classroom=dashboard_school.room_b.pk, download=PANELS[name][0])).status_code
        == 404
    )


def test_a_class_id_that_is_not_a_number_is_not_found(client, dashboard_school):
    client.force_login(dashboard_school.ann)
    assert client.get(_url("outcomes", classroom="abc")).status_code == 404


def test_a_teacher_can_choose_only_their_own_classes(client, dashboard_school):
    client.force_login(dashboard_school.ann)
    page = client.get(_url("outcomes")).content.decode()
    assert "Class A" in page
    assert "Class B" not in page
    assert "Pupil 3" in page
    assert "outsider" not in page


@pytest.mark.parametrize("name", DASHBOARDS)
def test_an_admin_opens_any_class(client, dashboard_school, name):
    client.force_login(dashboard_school.admin)
    assert client.get(_url(name, classroom=dashboard_school.room_b.pk)).status_code == 200
    assert client.get(_url(name, classroom=dashboard_school.room_a.pk)).status_code == 200


def test_the_generation_dashboard_shows_only_runs_of_the_teachers_criteria(client, dashboard_school):
    client.force_login(dashboard_school.ann)
    page = client.get(_url("generation")).content.decode()
    assert "Short fraction drills" in page
    assert "Bob&#x27;s drills" not in page and "Bob's drills" not in page


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_chart_has_its_data_table_beneath(client, dashboard_school, name):
    client.force_login(dashboard_school.ann)
    page = client.get(_url(name, classroom=dashboard_school.room_a.pk)).content.decode()
    for key in PANELS[name]:
        section = page.split(f'id="panel-{key}"', 1)[1].split("</section>", 1)[0]
        chart = section.index("plotly-graph-div")
        table = section.index(f'<table id="table-{key}"')
        assert chart < table
        assert f'aria-describedby="table-{key}"' in section


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_filter_field_has_a_label(client, dashboard_school, name):
    client.force_login(dashboard_school.ann)
    page = client.get(_url(name)).content.decode()
    form = page.split('class="filters"', 1)[1].split("</form>", 1)[0]
    ids = re.findall(r'<(?:select|input)[^>]*\bid="([^"]+)"', form)
    assert sorted(ids) == ["id_classroom", "id_end", "id_skill", "id_start"]
    for field_id in ids:
        assert f'<label for="{field_id}">' in form


def test_pages_load_plotly_from_the_projects_static_files(client, dashboard_school):
    client.force_login(dashboard_school.ann)
    page = client.get(_url("outcomes")).content.decode()
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert "/static/vendor/plotly.min.js" in scripts
    assert not [src for src in scripts if src.startswith(("http:", "https:", "//"))]
    found = finders.find("vendor/plotly.min.js")
    assert found and found.endswith("plotly.min.js")


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_table_downloads_as_csv_with_the_same_columns(client, dashboard_school, name):
    client.force_login(dashboard_school.ann)
    page = client.get(_url(name, classroom=dashboard_school.room_a.pk)).content.decode()
    for key in PANELS[name]:
        assert f"download={key}" in page
        response = client.get(_url(name, classroom=dashboard_school.room_a.pk, download=key))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert f"{name}-{key}.csv" in response["Content-Disposition"]
        header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
        table = page.split(f'<table id="table-{key}"', 1)[1].split("</thead>", 1)[0]
        assert header == re.findall(r'<th scope="col">([^<]*)</th>', table)
        assert rows


def test_an_unknown_table_is_not_found(client, dashboard_school):
    client.force_login(dashboard_school.ann)
    assert client.get(_url("outcomes", download="nothing")).status_code == 404


def test_an_end_date_before_the_start_is_a_field_error(client, dashboard_school):
    client.force_login(dashboard_school.ann)
    page = client.get(_url("outcomes", start="2026-10-01", end="2026-09-01")).content.decode()
    assert "The end date must be on or after the start date." in page
    assert 'id="panel-heatmap"' not in page


def test_filtering_by_skill_leaves_out_the_other_skills(client, dashboard_school):
    client.force_login(dashboard_school.ann)
    response = client.get(
        _url(
            "outcomes",
            classroom=dashboard_school.room_a.pk,
            skill=dashboard_school.decimals.pk,
            download="gain",
        )
    )
    skills = [row[0] for row in csv.reader(io.StringIO(response.content.decode()))][1:]
    assert skills == ["Decimals"]


def test_a_date_range_keeps_only_attempts_inside_it(client, dashboard_school):
    client.force_login(dashboard_school.ann)
    response = client.get(
        _url(
            "outcomes",
            classroom=dashboard_school.room_a.pk,
            start="2026-09-20",
            end="2026-09-30",
            download="heatmap",
        )
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    # Only pupil3's single attempt on 27 September (wrong) lies in the range.
    assert rows == [{"Student": "Pupil 3", "Fractions": "0"}]


def test_a_name_that_a_spreadsheet_would_run_as_a_formula_downloads_as_text(client, dashboard_school):
    from tutoring.models import Profile

    # A learner's name is whatever the xAPI tool sent.
    Profile.objects.filter(display_name="Pupil 3").update(display_name='=HYPERLINK("http://x.example","?")')
    client.force_login(dashboard_school.ann)
    url = _url("outcomes", classroom=dashboard_school.room_a.pk, start="2026-09-20", end="2026-09-30")
    response = client.get(url + "&download=heatmap")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows == [{"Student": '\'=HYPERLINK("http://x.example","?")', "Fractions": "0"}]


def test_a_teacher_without_classes_is_told_so(client, dashboard_school):
    from tests import factories

    client.force_login(factories.teacher(user__username="newcomer"))
    page = client.get(_url("outcomes")).content.decode()
    assert "You have no classes yet." in page


@pytest.mark.parametrize("name", DASHBOARDS)
def test_a_class_without_students_or_records_shows_no_data_rather_than_failing(
    client, dashboard_school, name
):
    from tests import factories

    empty = factories.ClassroomFactory(name="Empty")
    empty.teachers.add(dashboard_school.ann)
    client.force_login(dashboard_school.ann)
    page = client.get(_url(name, classroom=empty.pk)).content.decode()
    assert "No data for this selection." in page


def test_ungraded_attempts_count_nowhere(client, dashboard_school):
    from tutoring.models import LearningRecord

    LearningRecord.objects.filter(student__classrooms=dashboard_school.room_a).update(correct=None)
    client.force_login(dashboard_school.ann)
    response = client.get(_url("teaching", classroom=dashboard_school.room_a.pk, download="engagement"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["Active students"] == "0"


def test_chosen_dates_stay_in_the_date_fields_after_filtering(client, dashboard_school):
    client.force_login(dashboard_school.ann)
    page = client.get(_url("outcomes", start="2026-09-01", end="2026-09-30")).content.decode()
    assert 'value="2026-09-01"' in page and 'value="2026-09-30"' in page
