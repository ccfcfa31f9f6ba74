"""The three teacher dashboards as lists of panels: a figure, the table behind it, and a note.

Each builder calls the selectors (the database does the counting), derives the
few ratios a dashboard shows with pandas on those small results, and returns
panels the view renders (or streams one of as CSV). The table beneath a figure
holds the figure's numbers: it is the chart's text alternative.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from django.core.cache import cache
from django.utils import timezone

from analytics import figures, selectors, tables
from analytics.selectors import Scope

# A heatmap beyond this many skills is unreadable; the teacher picks one skill to see others.
MAX_HEATMAP_SKILLS = 30
MAX_TIME_LINES = 8
# Below this mean mastery a student whose activity is falling is flagged as at risk.
RISK_MASTERY = 0.5
ACTIVITY_WINDOW_DAYS = 14
# How old a dashboard's figures may be: one build per selection per minute at most.
CACHE_SECONDS = 60


@dataclass
class Panel:
    """One chart with its data table (the chart's text alternative) and where the numbers come from."""

    key: str
    title: str
    table: pd.DataFrame
    note: str = ""
    figure: go.Figure | None = None

    @cached_property
    def figure_html(self) -> str:
        return figures.to_html(self.figure) if self.figure is not None else ""

    @cached_property
    def table_html(self) -> str:
        return tables.html_table(self.table, caption=self.title, table_id=f"table-{self.key}")

    def render(self) -> None:
        """Draw the figure and table to HTML once, and drop the figure object.

        A cached panel then holds only strings and a small frame (for its CSV),
        so a cache hit neither redraws nor unpickles a plotly figure.
        """
        self.figure_html, self.table_html  # noqa: B018
        self.figure = None

    @property
    def is_empty(self) -> bool:
        return self.table.empty


def _hake_gain(pre: pd.Series, post: pd.Series) -> pd.Series:
    """Hake's normalised gain g = (post - pre) / (1 - pre) on fractions of the maximum score.

    R. R. Hake, "Interactive-engagement versus traditional methods", Am. J. Phys.
    66 (1998) 64-74, eq. 1, computed on class averages; undefined when pre = 1.
    """
    headroom = (1.0 - pre).where(pre < 1.0)
    return (post - pre) / headroom


def _weighted(frame: pd.DataFrame, by: str | list[str], value: str, weight: str) -> pd.Series:
    weighted = frame.assign(_w=frame[value] * frame[weight], _n=frame[weight].where(frame[value].notna()))
    sums = weighted.groupby(by)[["_w", "_n"]].sum()
    return sums["_w"] / sums["_n"].replace(0, np.nan)


def cached(key: str, build: Callable[[], list[Panel]]) -> tuple[list[Panel], datetime]:
    """Panels for a selection, built at most once per ``CACHE_SECONDS``, and when they were built.

    Keyed by the selection, not by the data: during lessons new attempts arrive
    every few seconds, and a key that changed with each of them would rebuild
    on every view. The page says how old the figures are.
    """
    cache_key = "analytics:dashboard:" + hashlib.sha256(key.encode()).hexdigest()
    entry = cache.get(cache_key)
    if entry is None:
        panels = build()
        for panel in panels:
            panel.render()
        entry = (panels, timezone.now())
        cache.set(cache_key, entry, CACHE_SECONDS)
    return entry


# --- Learning outcomes -------------------------------------------------------------------------


def learning_outcomes(scope: Scope) -> list[Panel]:
    mastery, source = selectors.mastery_by_student_skill(scope)
    # Skills ranked by practice: the heatmap and the lines over time show the top ones.
    practice = mastery.groupby("skill_id")["attempts"].sum().sort_values(ascending=False)
    return [_heatmap(mastery, source, practice), _over_time(scope, practice), _gain(scope), _at_risk(scope)]


def _heatmap(frame: pd.DataFrame, source: str, attempts: pd.Series) -> Panel:
    title = "Class mastery by student and skill"
    if frame.empty:
        return Panel("heatmap", title, pd.DataFrame(columns=["Student"]), note=f"Shows {source}.")
    shown = attempts.index[:MAX_HEATMAP_SKILLS]
    skills = selectors.skill_names(shown)
    students = selectors.user_names(frame["student_id"].unique())
    matrix = frame[frame["skill_id"].isin(shown)].pivot_table(
        index="student_id", columns="skill_id", values="mastery", aggfunc="mean"
    )
    matrix = matrix[[s for s in shown if s in matrix.columns]]
    matrix.columns = [skills[s] for s in matrix.columns]
    matrix.index = [students.get(s, str(s)) for s in matrix.index]
    matrix = matrix.sort_index()
    note = f"Shows {source}."
    if len(attempts) > len(shown):
        note += (
            f" The {len(shown)} most practised of {len(attempts)} skills; choose a skill to see any other."
        )
    table = matrix.round(2).rename_axis("Student").reset_index()
    return Panel("heatmap", title, table, note=note, figure=figures.mastery_heatmap(matrix))


def _over_time(scope: Scope, practice: pd.Series) -> Panel:
    shown = list(practice.index[:MAX_TIME_LINES])
    frame, source = selectors.mastery_over_time(scope, shown)
    title = "Mastery over time"
    if frame.empty:
        return Panel("over-time", title, pd.DataFrame(columns=["Period"]), note=f"Shows {source}.")
    skills = selectors.skill_names(shown)
    wide = frame[frame["skill_id"].isin(shown)].pivot_table(
        index="period", columns="skill_id", values="value"
    )
    wide = wide[[s for s in shown if s in wide.columns]]
    wide.columns = [skills[s] for s in wide.columns]
    by_position = source == selectors.RUNNING_BY_POSITION
    axis = "From attempt number" if by_position else "Week starting"
    if not by_position:
        wide.index = [period.date().isoformat() for period in wide.index]
    note = f"Shows {source}."
    if len(practice) > len(shown):
        note += f" The {len(shown)} most practised of {len(practice)} skills."
    table = wide.round(2).rename_axis(axis).reset_index()
    figure = figures.lines_over_time(wide, x=axis, y="Mastery")
    return Panel("over-time", title, table, note=note, figure=figure)


def _gain(scope: Scope) -> Panel:
    frame, source = selectors.gain_inputs(scope)
    title = "Normalised gain per skill (Hake's g)"
    columns = ["Skill", "Students", "Pre", "Post", "Normalised gain"]
    note = f"Computed from {source}. g = (post - pre) / (1 - pre) on class averages."
    if frame.empty:
        return Panel("gain", title, pd.DataFrame(columns=columns), note=note)
    per_skill = pd.DataFrame(
        {
            "Students": frame.groupby("skill_id")["students"].sum(),
            "Pre": _weighted(frame, "skill_id", "pre", "students"),
            "Post": _weighted(frame, "skill_id", "post", "students"),
        }
    )
    per_skill["Normalised gain"] = _hake_gain(per_skill["Pre"], per_skill["Post"])
    names = selectors.skill_names(per_skill.index)
    per_skill.insert(0, "Skill", [names[s] for s in per_skill.index])
    table = per_skill.sort_values("Normalised gain", ascending=False).round(2).reset_index(drop=True)
    figure = figures.bars(table, label="Skill", columns=["Normalised gain"], y="Normalised gain g")
    return Panel("gain", title, table[columns], note=note, figure=figure)


def _at_risk(scope: Scope) -> Panel:
    frame, reference = selectors.activity_by_student(scope, ACTIVITY_WINDOW_DAYS)
    stored = selectors.mean_mastery_by_student(scope)
    title = "Students at risk"
    columns = ["Student", "Mastery", "Attempts", "Previous window", "Last window", "Change"]
    if frame.empty:
        return Panel("at-risk", title, pd.DataFrame(columns=columns), note="No graded attempts.")
    mastery_source = "mean mastery estimate" if stored else "success rate"
    frame["Mastery"] = (
        frame["student_id"].map(stored).fillna(frame["success"]) if stored else frame["success"]
    )
    frame["Student"] = frame["student_id"].map(selectors.user_names(frame["student_id"]))
    low = frame["Mastery"] < RISK_MASTERY
    if reference is None:
        frame["Change"] = np.nan
        frame["At risk"] = low
        note = (
            f"At risk: {mastery_source} below {RISK_MASTERY}. These records have no times, so falling "
            "activity cannot be judged; mastery alone decides."
        )
        x = "Attempts"
    else:
        frame["Change"] = frame["recent"].astype(float) - frame["previous"].astype(float)
        frame["At risk"] = low & (frame["Change"] < 0)
        note = (
            f"At risk: {mastery_source} below {RISK_MASTERY} and fewer attempts in the "
            f"{ACTIVITY_WINDOW_DAYS} days up to {reference:%Y-%m-%d} than in the "
            f"{ACTIVITY_WINDOW_DAYS} days before."
        )
        x = "Change"
    frame = frame.rename(
        columns={"attempts": "Attempts", "previous": "Previous window", "recent": "Last window"}
    )
    figure = figures.risk_scatter(frame, x=x, y="Mastery")
    flagged = frame[frame["At risk"]].sort_values(["Mastery", "Change"])
    table = flagged[columns].round(2).reset_index(drop=True)
    note += f" {len(flagged)} of {len(frame)} students flagged; the table lists them."
    return Panel("at-risk", title, table, note=note, figure=figure)


# --- Teaching quality --------------------------------------------------------------------------


def teaching_quality(scope: Scope) -> list[Panel]:
    classes = _class_quality(scope)
    return [
        _class_outcomes_panel(classes),
        _engagement_panel(classes),
        _teacher_panel(classes),
        _feedback_panel(scope, classes),
    ]


@dataclass
class _ClassQuality:
    frame: pd.DataFrame
    gain_source: str
    expected_note: str


def _class_quality(scope: Scope) -> _ClassQuality:
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
    gains, gain_source = selectors.gain_inputs(scope)
    if not gains.empty:
        # Hake's course-level <g>: from the class's average pre and post (over skills,
        # weighted by students), so one skill with a near-perfect pre-test cannot swamp it.
        pre = _weighted(gains, "classroom_id", "pre", "students")
        post = _weighted(gains, "classroom_id", "post", "students")
        frame["gain"] = _hake_gain(pre, post)
    else:
        frame["gain"] = np.nan
    value_added, expected_note = _value_added(attempts)
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
            "Value added": _weighted(joined, "teacher", "value_added", "graded"),
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


def _feedback_panel(scope: Scope, classes: _ClassQuality) -> Panel:
    frame = selectors.feedback_followups(scope)
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


# --- Generation quality ------------------------------------------------------------------------


def sampler_figures(stats: dict) -> tuple[float, float, float | None, dict[str, tuple[float, float]]]:
    """Proposals, accepted, mean acceptance probability, and per criterion (pass rate, judged).

    ``stats`` is what the pipeline stores: the rejection sampler's statistics
    (edursft.sampling ``SamplingRun.stats()``) per skill under "skills", or one
    sampler's statistics at the top level. A criterion's pass rate is over the
    proposals it judged ("evaluated": the sampler stops judging a proposal once
    a hard criterion fails), so rates are pooled over skills weighted by that
    count, or by proposals for statistics that do not report it.
    """
    parts = [part for part in (stats.get("skills") or {}).values() if isinstance(part, dict)] or [stats]
    proposals = sum(float(part.get("proposals") or 0) for part in parts)
    accepted = sum(float(part.get("accepted") or 0) for part in parts)
    if not proposals:
        proposals, accepted = float(stats.get("proposals") or 0), float(stats.get("accepted") or 0)
    passed: dict[str, float] = {}
    judged: dict[str, float] = {}
    probability, probability_weight = 0.0, 0.0
    for part in parts:
        weight = float(part.get("proposals") or 0)
        if part.get("mean_acceptance_prob") is not None and weight:
            probability += float(part["mean_acceptance_prob"]) * weight
            probability_weight += weight
        for label, criterion in (part.get("criteria") or {}).items():
            if not isinstance(criterion, dict) or criterion.get("pass_rate") is None:
                continue
            count = float(criterion.get("evaluated", weight) or 0)
            passed[label] = passed.get(label, 0.0) + float(criterion["pass_rate"]) * count
            judged[label] = judged.get(label, 0.0) + count
    mean_probability = probability / probability_weight if probability_weight else None
    rates = {label: (passed[label] / judged[label], judged[label]) for label in passed if judged[label]}
    return proposals, accepted, mean_probability, rates


def generation_quality(runs) -> list[Panel]:
    rows = selectors.generation_run_rows(runs)
    per_run = []
    pass_rates = []
    for row in rows:
        proposals, accepted, mean_probability, rates = sampler_figures(row["stats"] or {})
        reviewed = row["items_approved"] + row["items_rejected"]
        per_run.append(
            {
                "Run": f"#{row['id']}",
                "Criteria": row["criteria__name"],
                "Round": row["round"],
                "Status": row["status"],
                "Proposals": int(proposals),
                "Accepted": int(accepted),
                "Acceptance rate": accepted / proposals if proposals else np.nan,
                "Mean acceptance probability": mean_probability,
                "Approved": row["items_approved"],
                "Rejected in review": row["items_rejected"],
                "Awaiting review": row["items_awaiting"],
                "Approval rate": row["items_approved"] / reviewed if reviewed else np.nan,
            }
        )
        pass_rates.extend(
            {"Run": f"#{row['id']}", "Round": row["round"], "Criterion": name, "Pass rate": rate, "w": count}
            for name, (rate, count) in rates.items()
        )
    runs_frame = pd.DataFrame(per_run, columns=_RUN_COLUMNS)
    rates_frame = pd.DataFrame(pass_rates, columns=["Run", "Round", "Criterion", "Pass rate", "w"])
    return [_runs_panel(runs_frame), _criteria_panel(rates_frame), _rounds_panel(runs_frame, rates_frame)]


_RUN_COLUMNS = [
    "Run",
    "Criteria",
    "Round",
    "Status",
    "Proposals",
    "Accepted",
    "Acceptance rate",
    "Mean acceptance probability",
    "Approved",
    "Rejected in review",
    "Awaiting review",
    "Approval rate",
]


def _runs_panel(frame: pd.DataFrame) -> Panel:
    note = (
        "Acceptance rate = accepted / proposals (never per prompt). Approval rate = approved / (approved + "
        "rejected) among the run's generated items that a teacher has reviewed."
    )
    figure = None
    if not frame.empty:
        figure = figures.bars(frame, label="Run", columns=["Acceptance rate", "Approval rate"], y="Rate")
    return Panel("runs", "Generation runs", frame.round(3), note=note, figure=figure)


def _criteria_panel(rates: pd.DataFrame) -> Panel:
    note = (
        "Share of each run's proposals that passed each criterion, from the rejection sampler's statistics."
    )
    if rates.empty:
        return Panel("criteria", "Pass rate per criterion and run", pd.DataFrame(columns=["Run"]), note=note)
    wide = rates.pivot_table(index="Run", columns="Criterion", values="Pass rate", sort=False)
    table = wide.round(3).reset_index()
    figure = figures.bars(table, label="Run", columns=list(wide.columns), y="Pass rate")
    return Panel("criteria", "Pass rate per criterion and run", table, note=note, figure=figure)


def _rounds_panel(runs: pd.DataFrame, rates: pd.DataFrame) -> Panel:
    columns = ["Round", "Runs", "Proposals", "Accepted", "Acceptance rate", "Approved", "Rejected in review"]
    note = "Runs of one fine-tuning round pooled; pass rates weighted by the proposals each criterion judged."
    if runs.empty:
        return Panel("rounds", "Generation quality per round", pd.DataFrame(columns=columns), note=note)
    grouped = runs.groupby("Round")
    per_round = pd.DataFrame(
        {
            "Runs": grouped["Run"].count(),
            "Proposals": grouped["Proposals"].sum(),
            "Accepted": grouped["Accepted"].sum(),
            "Approved": grouped["Approved"].sum(),
            "Rejected in review": grouped["Rejected in review"].sum(),
        }
    )
    per_round["Acceptance rate"] = per_round["Accepted"] / per_round["Proposals"].replace(0, np.nan)
    reviewed = per_round["Approved"] + per_round["Rejected in review"]
    per_round["Approval rate"] = per_round["Approved"] / reviewed.replace(0, np.nan)
    series = ["Acceptance rate", "Approval rate"]
    if not rates.empty:
        criteria = _weighted(rates, ["Round", "Criterion"], "Pass rate", "w").unstack("Criterion")
        criteria.columns = [f"Pass rate: {name}" for name in criteria.columns]
        per_round = per_round.join(criteria)
        series += list(criteria.columns)
    table = per_round.rename_axis("Round").reset_index()
    table = table[[*columns, "Approval rate", *series[2:]]].round(3)
    wide = table.set_index("Round")[series]
    figure = figures.lines_over_time(wide, x="Round", y="Rate")
    return Panel("rounds", "Generation quality per round", table, note=note, figure=figure)
