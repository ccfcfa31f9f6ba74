"""Teaching quality per class and teacher: normalised gain, value added, engagement, feedback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import figures, selectors
from analytics.dashboards.panel import Panel, hake_gain, started, weighted_mean
from analytics.selectors import Scope


def teaching_quality(scope: Scope) -> list[Panel]:
    # The two windows over every record of the classes, started before the rest.
    followups = started(selectors.feedback_followups, scope)
    gains = started(selectors.gain_inputs, scope)
    classes = _class_quality(scope, gains)
    return [
        _class_outcomes_panel(classes),
        _engagement_panel(classes),
        _teacher_panel(classes),
        _feedback_panel(followups(), classes),
    ]


@dataclass
class _ClassQuality:
    frame: pd.DataFrame
    gain_source: str
    expected_note: str


def _class_quality(scope: Scope, gain_inputs: Callable[[], tuple[pd.DataFrame, str]]) -> _ClassQuality:
    """One row per class: enrolment, activity, normalised gain and value added."""
    names = selectors.classroom_names(scope.classroom_ids)
    frame = selectors.enrolment(scope).set_index("classroom_id")
    attempts = selectors.attempts_by_class_and_skill(scope)
    span = attempts.groupby("classroom_id").agg(
        attempts=("n", "sum"), first=("first", "min"), last=("last", "max")
    )
    frame = frame.join(span)
    span_of_times = pd.to_datetime(frame["last"], utc=True) - pd.to_datetime(frame["first"], utc=True)
    weeks = (span_of_times.dt.days / 7.0).clip(lower=1.0)
    frame["per_week"] = frame["attempts"] / frame["active"].replace(0, np.nan) / weeks
    value_added, expected_note = _value_added(attempts)
    gains, gain_source = gain_inputs()
    if not gains.empty:
        # Hake's course-level <g>: from the class's average pre and post (over skills,
        # weighted by students), so one skill with a near-perfect pre-test cannot swamp it.
        pre = weighted_mean(gains, "classroom_id", "pre", "students")
        post = weighted_mean(gains, "classroom_id", "post", "students")
        frame["gain"] = hake_gain(pre, post)
    else:
        frame["gain"] = np.nan
    frame = frame.join(value_added)
    frame["Class"] = [names.get(pk, str(pk)) for pk in frame.index]
    return _ClassQuality(frame.rename_axis("classroom_id").reset_index(), gain_source, expected_note)


def _value_added(attempts: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Observed minus expected success per class, and a note on where expectations came from."""
    columns = ["graded", "observed", "expected", "value_added"]
    if attempts.empty:
        return pd.DataFrame(columns=columns, dtype=float), "No graded attempts on a skill."
    base = selectors.skill_base_rates(attempts["skill_id"].unique())
    expected = attempts["predicted"] + (attempts["n"] - attempts["n_predicted"]) * attempts["skill_id"].map(
        base
    )
    sums = (
        attempts.assign(expected=expected)
        .groupby("classroom_id")[["n", "successes", "expected", "n_predicted"]]
        .sum()
    )
    result = pd.DataFrame(
        {
            "graded": sums["n"],
            "observed": sums["successes"] / sums["n"],
            "expected": sums["expected"] / sums["n"],
        }
    )
    result["value_added"] = result["observed"] - result["expected"]
    share = float(sums["n_predicted"].sum() / sums["n"].sum())
    if share == 0:
        note = f"Expected success is {selectors.EXPECTED_FROM_BASE_RATE}."
    else:
        note = (
            f"Expected success is {selectors.EXPECTED_FROM_PREDICTIONS} for {share:.0%} of attempts, "
            f"else {selectors.EXPECTED_FROM_BASE_RATE}."
        )
    return result, note


def _class_outcomes_panel(classes: _ClassQuality) -> Panel:
    frame = classes.frame.rename(
        columns={
            "gain": "Average normalised gain",
            "observed": "Observed success",
            "expected": "Expected success",
            "value_added": "Value added",
            "graded": "Graded attempts",
        }
    )
    columns = [
        "Class",
        "Average normalised gain",
        "Observed success",
        "Expected success",
        "Value added",
        "Graded attempts",
    ]
    frame = frame.reindex(columns=columns)
    note = (
        f"Normalised gain from {classes.gain_source}, on the class's average pre and post over skills. "
        f"Value added = observed minus expected success. {classes.expected_note}"
    )
    figure = None
    if not frame.empty:
        figure = figures.bars(frame, label="Class", columns=["Average normalised gain", "Value added"], y="")
    return Panel("class-outcomes", "Outcomes per class", frame.round(3), note=note, figure=figure)


def _engagement_panel(classes: _ClassQuality) -> Panel:
    frame = classes.frame.rename(
        columns={
            "students": "Students",
            "active": "Active students",
            "attempts": "Attempts",
            "per_week": "Attempts per active student per week",
        }
    )
    columns = ["Class", "Students", "Active students", "Attempts", "Attempts per active student per week"]
    frame = frame.reindex(columns=columns)
    frame["Active students"] = frame["Active students"].fillna(0).astype(int)
    figure = None
    if not frame.empty:
        figure = figures.bars(
            frame,
            label="Class",
            columns=["Attempts per active student per week"],
            y="Attempts per active student per week",
            unit_range=False,
        )
    note = (
        "Active: at least one graded attempt in the selection. Weeks run from the class's first to its "
        "last timed attempt (at least one); classes whose records have no times show no weekly rate."
    )
    return Panel("engagement", "Engagement per class", frame.round(2), note=note, figure=figure)


def _teacher_panel(classes: _ClassQuality) -> Panel:
    pairs = selectors.teachers_by_classroom(classes.frame["classroom_id"])
    columns = ["Teacher", "Classes", "Students", "Average normalised gain", "Value added"]
    note = (
        "Each teacher's classes pooled: gain averaged over classes, value added weighted by graded attempts."
    )
    if pairs.empty:
        return Panel("teachers", "Teaching quality per teacher", pd.DataFrame(columns=columns), note=note)
    joined = pairs.merge(classes.frame, on="classroom_id")
    joined["graded"] = joined["graded"].fillna(0)
    per_teacher = pd.DataFrame(
        {
            "Classes": joined.groupby("teacher")["classroom_id"].nunique(),
            "Students": joined.groupby("teacher")["students"].sum(),
            "Average normalised gain": joined.groupby("teacher")["gain"].mean(),
            "Value added": weighted_mean(joined, "teacher", "value_added", "graded"),
        }
    )
    table = per_teacher.rename_axis("Teacher").reset_index()[columns].round(3)
    figure = figures.bars(table, label="Teacher", columns=["Average normalised gain", "Value added"], y="")
    return Panel("teachers", "Teaching quality per teacher", table, note=note, figure=figure)


FEEDBACK_KINDS = {
    "generated": "Generated feedback",
    "authored": "Teacher-written feedback",
    "imported": "Imported feedback",
    selectors.NO_FEEDBACK: "No feedback item (hint at most)",
}


def _feedback_panel(frame: pd.DataFrame, classes: _ClassQuality) -> Panel:
    columns = ["Class", "Feedback", "Wrong answers followed up", "Success on next attempt"]
    note = (
        "After each wrong answer, the success rate of the student's next attempt on the same skill "
        "(a retry or the skill's next exercise), by the kind of feedback shown."
    )
    if frame.empty:
        return Panel("feedback", "Feedback effectiveness", pd.DataFrame(columns=columns), note=note)
    names = dict(zip(classes.frame["classroom_id"], classes.frame["Class"], strict=True))
    frame["Class"] = frame["classroom_id"].map(names)
    frame["Feedback"] = frame["kind"].map(FEEDBACK_KINDS).fillna(frame["kind"])
    frame = frame.rename(
        columns={"wrong_answers": "Wrong answers followed up", "next_success": "Success on next attempt"}
    )
    table = frame.sort_values(["Class", "Feedback"])[columns].round(3).reset_index(drop=True)
    wide = table.pivot_table(
        index="Class", columns="Feedback", values="Success on next attempt"
    ).reset_index()
    figure = figures.bars(wide, label="Class", columns=[c for c in wide.columns if c != "Class"], y="Success")
    return Panel("feedback", "Feedback effectiveness", table, note=note, figure=figure)
