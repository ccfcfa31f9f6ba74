"""The numbers on the dashboards: normalised gain, value added, engagement, feedback
effectiveness, students at risk, and the generation statistics, on hand-checked data."""

from __future__ import annotations

import math

import pytest

from analytics import dashboards
from analytics.models import Assessment
from analytics.selectors import Scope
from tests import factories
from tests.fixtures.dashboards import sampler_stats
from tutoring.models import GenerationRun, Item, LearningRecord, Mastery, MasterySnapshot, Recommendation


def _panel(panels, key):
    return next(panel for panel in panels if panel.key == key)


def _row(table, column, value):
    rows = table[table[column] == value].to_dict("records")
    assert len(rows) == 1, rows
    return rows[0]


def _scope(school, **kwargs) -> Scope:
    return Scope((school.room_a.pk,), **kwargs)


def test_normalised_gain_is_hakes_g_on_class_averages_of_the_tests(dashboard_school):
    gain = _panel(dashboards.learning_outcomes(_scope(dashboard_school)), "gain")
    row = _row(gain.table, "Skill", "Fractions")
    # pre (0.2 + 0.6) / 2 = 0.4, post (0.8 + 0.6) / 2 = 0.7: g = 0.3 / 0.6.
    assert (row["Pre"], row["Post"], row["Normalised gain"]) == (0.4, 0.7, 0.5)
    assert "pre- and post-test results" in gain.note


def test_without_tests_gain_compares_each_students_early_and_late_attempts(dashboard_school):
    Assessment.objects.all().delete()
    gain = _panel(dashboards.learning_outcomes(_scope(dashboard_school)), "gain")
    fractions = _row(gain.table, "Skill", "Fractions")
    # Halves of each student's attempts: pupil0 2/3 -> 1, pupil1 1/2 -> 1/2, and pupil3's
    # nine split five (one right: 1/5) and four (none right).
    pre, post = (2 / 3 + 0.5 + 0.2) / 3, (1 + 0.5 + 0) / 3
    assert fractions["Students"] == 3
    assert fractions["Pre"] == pytest.approx(pre, abs=0.005)
    assert fractions["Normalised gain"] == pytest.approx((post - pre) / (1 - pre), abs=0.005)
    # pupil2 got both early Decimals attempts right: the gain is undefined, not infinite.
    assert math.isnan(_row(gain.table, "Skill", "Decimals")["Normalised gain"])
    assert "no pre/post tests" in gain.note


def test_the_heatmap_shows_mastery_estimates_and_falls_back_to_success_rates(dashboard_school):
    heatmap = _panel(dashboards.learning_outcomes(_scope(dashboard_school)), "heatmap")
    assert _row(heatmap.table, "Student", "Pupil 0")["Fractions"] == 0.9
    assert "mastery estimates" in heatmap.note

    Mastery.objects.all().delete()
    heatmap = _panel(dashboards.learning_outcomes(_scope(dashboard_school)), "heatmap")
    assert _row(heatmap.table, "Student", "Pupil 0")["Fractions"] == 0.83
    assert "success rates" in heatmap.note


def test_mastery_over_time_averages_the_snapshots_of_each_week(dashboard_school):
    over_time = _panel(dashboards.learning_outcomes(_scope(dashboard_school)), "over-time")
    assert over_time.table.to_dict("list") == {
        "Week starting": ["2026-09-07", "2026-09-14"],
        "Fractions": [0.3, 0.6],
    }


def test_untimed_records_give_a_running_success_rate_by_attempt_number(db):
    pupil, skill = factories.student(), factories.SkillFactory()
    room = factories.ClassroomFactory()
    room.students.add(pupil)
    LearningRecord.objects.bulk_create(
        LearningRecord(student=pupil, skill=skill, correct=position >= 20, position=position)
        for position in range(40)
    )
    over_time = _panel(dashboards.learning_outcomes(Scope((room.pk,))), "over-time")
    assert over_time.table.to_dict("list") == {"From attempt number": [1, 21], skill.name: [0.0, 0.5]}
    assert "attempt number" in over_time.note


def test_a_student_with_low_mastery_and_falling_activity_is_at_risk(dashboard_school):
    at_risk = _panel(dashboards.learning_outcomes(_scope(dashboard_school)), "at-risk")
    assert at_risk.table["Student"].tolist() == ["Pupil 3"]
    assert _row(at_risk.table, "Student", "Pupil 3")["Change"] == -5
    assert "1 of 4 students flagged" in at_risk.note


def test_without_times_mastery_alone_decides_who_is_at_risk_and_the_page_says_so(db):
    room = factories.ClassroomFactory()
    strong, weak = factories.student(display_name="Strong"), factories.student(display_name="Weak")
    room.students.add(strong, weak)
    skill = factories.SkillFactory()
    for pupil, correct in [(strong, True), (weak, False)]:
        LearningRecord.objects.create(student=pupil, skill=skill, correct=correct)
    at_risk = _panel(dashboards.learning_outcomes(Scope((room.pk,))), "at-risk")
    assert at_risk.table["Student"].tolist() == ["Weak"]
    assert "mastery alone decides" in at_risk.note


def _value_added_class():
    """One student (2 of 4 right on one item) and, outside the class, a school base rate of 2/8."""
    skill = factories.SkillFactory(name="Ratios")
    item = factories.ItemFactory(skills=[skill])
    pupil, other = factories.student(), factories.student()
    room = factories.ClassroomFactory(name="Ratios class")
    room.teachers.add(factories.teacher())
    room.students.add(pupil)
    for correct in [True, True, False, False]:
        LearningRecord.objects.create(student=pupil, skill=skill, item=item, correct=correct)
        LearningRecord.objects.create(student=other, skill=skill, correct=False)
    return room, pupil, item


def test_value_added_is_observed_minus_the_skills_base_rate_without_predictions(db):
    room, _, _ = _value_added_class()
    outcomes = _panel(dashboards.teaching_quality(Scope((room.pk,))), "class-outcomes")
    row = _row(outcomes.table, "Class", "Ratios class")
    assert (row["Observed success"], row["Expected success"], row["Value added"]) == (0.5, 0.25, 0.25)
    assert "base rate" in outcomes.note and "stored prediction" not in outcomes.note


def test_value_added_uses_the_student_models_stored_prediction_when_there_is_one(db):
    room, pupil, item = _value_added_class()
    Recommendation.objects.create(
        student=pupil, item=item, rank=1, score=1, predicted_success=0.75, reason="r"
    )
    outcomes = _panel(dashboards.teaching_quality(Scope((room.pk,))), "class-outcomes")
    row = _row(outcomes.table, "Class", "Ratios class")
    assert (row["Expected success"], row["Value added"]) == (0.75, -0.25)
    assert "stored prediction for the attempt's student and item for 100% of attempts" in outcomes.note


def test_engagement_counts_active_students_and_attempts_per_student_per_week(dashboard_school):
    engagement = _panel(dashboards.teaching_quality(_scope(dashboard_school)), "engagement")
    row = _row(engagement.table, "Class", "Class A")
    assert (row["Students"], row["Active students"], row["Attempts"]) == (4, 4, 23)
    # 23 attempts by 4 students over the 20 days (20/7 weeks) from the first to the last.
    assert row["Attempts per active student per week"] == round(23 / 4 / (20 / 7), 2)


def test_feedback_effectiveness_is_success_on_the_next_attempt_after_each_kind(dashboard_school):
    feedback = _panel(dashboards.teaching_quality(_scope(dashboard_school)), "feedback")
    generated = _row(feedback.table, "Feedback", "Generated feedback")
    assert (generated["Wrong answers followed up"], generated["Success on next attempt"]) == (3, 1.0)
    none = _row(feedback.table, "Feedback", "No feedback item (hint at most)")
    # pupil3: one recovery in seven retried mistakes; pupil2: one in one.
    assert (none["Wrong answers followed up"], none["Success on next attempt"]) == (8, 0.25)


def test_each_teacher_sees_their_classes_pooled(dashboard_school):
    scope = Scope((dashboard_school.room_a.pk, dashboard_school.room_b.pk))
    teachers = _panel(dashboards.teaching_quality(scope), "teachers")
    assert _row(teachers.table, "Teacher", "ann")["Students"] == 4
    assert _row(teachers.table, "Teacher", "bob")["Students"] == 1
    assert _row(teachers.table, "Teacher", "ann")["Average normalised gain"] == 0.5


def test_generation_runs_show_acceptance_pass_and_approval_rates(dashboard_school):
    runs = GenerationRun.objects.filter(pk=dashboard_school.run.pk)
    panels = dashboards.generation_quality(runs)
    row = _row(_panel(panels, "runs").table, "Run", f"#{dashboard_school.run.pk}")
    assert (row["Proposals"], row["Accepted"], row["Acceptance rate"]) == (40, 10, 0.25)
    # Three approved and one rejected of the reviewed; the one awaiting review does not count.
    assert (row["Approval rate"], row["Awaiting review"]) == (0.75, 1)
    criteria = _row(_panel(panels, "criteria").table, "Run", f"#{dashboard_school.run.pk}")
    # Pass rates of the two skills weighted by their proposals: (0.6 * 30 + 0.2 * 10) / 40.
    assert (criteria["answer_verified"], criteria["length"]) == (0.5, 0.9)
    assert row["Mean acceptance probability"] == 0.25


def test_runs_of_a_round_are_pooled_with_pass_rates_weighted_by_proposals_judged(dashboard_school):
    GenerationRun.objects.create(
        criteria=dashboard_school.run.criteria,
        round=1,
        stats=sampler_stats(
            {dashboard_school.fractions.pk: (60, 30, {"answer_verified": 0.8, "length": 1.0})}
        ),
    )
    runs = GenerationRun.objects.filter(criteria=dashboard_school.run.criteria)
    rounds = _panel(dashboards.generation_quality(runs), "rounds").table
    row = _row(rounds, "Round", 1)
    assert (row["Runs"], row["Proposals"], row["Accepted"], row["Acceptance rate"]) == (2, 100, 40, 0.4)
    assert row["Pass rate: answer_verified"] == pytest.approx((0.5 * 40 + 0.8 * 60) / 100)


def test_a_single_samplers_statistics_are_read_too(dashboard_school):
    from analytics.dashboards import sampler_figures

    stats = {
        "proposals": 8,
        "accepted": 2,
        "mean_acceptance_prob": 0.3,
        "criteria": {"length": {"pass_rate": 0.75}},
    }
    assert sampler_figures(stats) == (8, 2, 0.3, {"length": (0.75, 8)})


def test_pass_rates_are_pooled_over_the_proposals_each_criterion_judged(dashboard_school):
    from analytics.dashboards import sampler_figures

    # Skill 1 judged length only on the 10 proposals whose answer checked out; skill 2 on all 20.
    stats = {
        "skills": {
            "1": {
                "proposals": 40,
                "accepted": 5,
                "criteria": {"length": {"pass_rate": 1.0, "evaluated": 10}},
            },
            "2": {
                "proposals": 20,
                "accepted": 5,
                "criteria": {"length": {"pass_rate": 0.4, "evaluated": 20}},
            },
        }
    }
    assert sampler_figures(stats)[3] == {"length": (pytest.approx((1.0 * 10 + 0.4 * 20) / 30), 30)}


def test_approval_rate_counts_only_generated_items(dashboard_school):
    factories.ItemFactory(source=Item.Source.AUTHORED, status="rejected", generation_run=dashboard_school.run)
    runs = GenerationRun.objects.filter(pk=dashboard_school.run.pk)
    row = _panel(dashboards.generation_quality(runs), "runs").table.iloc[0]
    assert row["Approval rate"] == 0.75


def test_snapshots_outside_the_date_range_are_left_out(dashboard_school):
    from datetime import date

    MasterySnapshot.objects.filter(value__gt=0.5).delete()
    scope = _scope(dashboard_school, start=date(2026, 9, 14), end=date(2026, 9, 20))
    over_time = _panel(dashboards.learning_outcomes(scope), "over-time")
    assert over_time.table["Week starting"].tolist() == ["2026-09-14"]


def test_a_class_gain_is_hakes_g_of_its_average_pre_and_post_over_skills(db):
    from datetime import date

    from analytics.models import AssessmentResult

    room, pupil = factories.ClassroomFactory(name="Mixed"), factories.student()
    room.students.add(pupil)
    for skill_name, before, after in [("Near perfect", 0.9, 0.5), ("Weak start", 0.2, 0.6)]:
        skill = factories.SkillFactory(name=skill_name)
        for phase, score in [("pre", before), ("post", after)]:
            test = Assessment.objects.create(
                name=skill_name, classroom=room, skill=skill, phase=phase, given_on=date(2026, 9, 1)
            )
            AssessmentResult.objects.create(assessment=test, student=pupil, score=score)
    outcomes = _panel(dashboards.teaching_quality(Scope((room.pk,))), "class-outcomes")
    # Averages 0.55 before and after: g = 0, where averaging per-skill g (-4 and 0.5) would say -1.75.
    assert _row(outcomes.table, "Class", "Mixed")["Average normalised gain"] == 0


def test_feedback_kinds_come_from_the_feedback_items_and_a_class_without_any_warns_nothing(db):
    import warnings

    room, pupil = factories.ClassroomFactory(name="Plain"), factories.student()
    room.students.add(pupil)
    skill = factories.SkillFactory()
    # Wrong, right, wrong, wrong, right: three wrong answers followed up, two of them recovered.
    for position, correct in enumerate([False, True, False, False, True]):
        LearningRecord.objects.create(student=pupil, skill=skill, correct=correct, position=position)
    with warnings.catch_warnings():
        # No feedback item at all used to map to an all-NaN column and warn (pandas 3).
        warnings.simplefilter("error")
        feedback = _panel(dashboards.teaching_quality(Scope((room.pk,))), "feedback")
    assert feedback.table[["Feedback", "Wrong answers followed up"]].values.tolist() == [
        ["No feedback item (hint at most)", 3]
    ]
    assert _row(feedback.table, "Class", "Plain")["Success on next attempt"] == round(2 / 3, 3)

    teacher_note = factories.ItemFactory(kind=Item.Kind.FEEDBACK, source=Item.Source.AUTHORED)
    LearningRecord.objects.filter(student=pupil, correct=False).update(feedback_item=teacher_note)
    feedback = _panel(dashboards.teaching_quality(Scope((room.pk,))), "feedback")
    assert feedback.table["Feedback"].tolist() == ["Teacher-written feedback"]


def test_figures_carry_rounded_numbers_with_gaps_and_the_default_template():
    import json

    import numpy as np
    import pandas as pd

    from analytics import figures

    assert figures.numbers([0.123456, np.nan, 1]) == [0.1235, None, 1.0]
    assert figures.numbers(np.array([[0.5, np.nan]])) == [[0.5, None]]
    matrix = pd.DataFrame({"Fractions": [0.25, np.nan]}, index=["Pupil 0", "Pupil 1"])
    html = figures.to_html(figures.mastery_heatmap(matrix))
    assert "NaN" not in html  # not JSON, and a reason for plotly's slow encoding pass
    decoder, call = json.JSONDecoder(), html.split("Plotly.newPlot(", 1)[1].lstrip()
    _, end = decoder.raw_decode(call)  # the div's id
    call = call[end:].lstrip(" ,\n")
    data, end = decoder.raw_decode(call)
    layout, _ = decoder.raw_decode(call[end:].lstrip(" ,\n"))
    assert data[0]["type"] == "heatmap"
    assert data[0]["z"] == [[0.25], [None]]
    assert data[0]["y"] == ["Pupil 0", "Pupil 1"]
    assert layout["template"]["layout"]  # plotly's default look, as a graph-objects figure had


def test_tables_format_equal_values_of_different_types_apart():
    import pandas as pd

    from analytics import tables

    frame = pd.DataFrame(
        {"Row": ["a", "b", "c", "d"], "Value": pd.Series([True, 1, 1.5, None], dtype=object)}
    )
    html = tables.html_table(frame, caption="Mixed", table_id="t")
    cells = [row.split("<td>")[1].split("</td>")[0] for row in html.split("<tr>")[2:]]
    assert cells == ["True", "1", "1.5", "n/a"]


@pytest.mark.django_db(transaction=True)
def test_a_started_selector_returns_what_it_would_inline_and_raises_its_errors():
    # Outside a transaction on PostgreSQL this runs on a pool thread's own connection.
    import threading

    from django.db import connection
    from django.utils import timezone

    from analytics.dashboards import started
    from analytics.selectors import feedback_followups

    room, pupil = factories.ClassroomFactory(), factories.student()
    room.students.add(pupil)
    skill = factories.SkillFactory()
    for position, correct in enumerate([False, True, False, True]):
        LearningRecord.objects.create(student=pupil, skill=skill, correct=correct, position=position)
    scope = Scope((room.pk,))
    assert started(feedback_followups, scope)().to_dict("records") == feedback_followups(scope).to_dict(
        "records"
    )

    def thread_name(_scope):
        return threading.current_thread().name

    expected = "dashboard-query" if connection.vendor == "postgresql" else threading.current_thread().name
    assert started(thread_name, scope)().startswith(expected)

    def zone(_scope):
        return timezone.get_current_timezone_name()

    with timezone.override("Pacific/Auckland"):  # weeks start at the request's midnight
        assert started(zone, scope)() == "Pacific/Auckland"

    def failing(_scope):
        raise LookupError("no such selection")

    with pytest.raises(LookupError, match="no such selection"):
        started(failing, scope)()
