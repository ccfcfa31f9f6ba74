"""Learning outcomes: class mastery heatmap, mastery over time, normalised gain, students at risk."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from analytics import figures, selectors
from analytics.dashboards.panel import Panel, hake_gain, started, weighted_mean
from analytics.selectors import Scope

# A heatmap beyond this many skills is unreadable; the teacher picks one skill to see others.
MAX_HEATMAP_SKILLS = 30
MAX_TIME_LINES = 8
# Below this mean mastery a student whose activity is falling is flagged as at risk.
RISK_MASTERY = 0.5
ACTIVITY_WINDOW_DAYS = 14


def learning_outcomes(scope: Scope) -> list[Panel]:
    # The two reads of every record of the classes (the window for the gain, the
    # activity counts) start first, the snapshots once the skills drawn are known;
    # each is awaited only when its panel is drawn.
    gain_inputs = started(selectors.gain_inputs, scope)
    activity = started(selectors.activity_by_student, scope, ACTIVITY_WINDOW_DAYS)
    mastery, source = selectors.mastery_by_student_skill(scope)
    # Skills ranked by practice: the heatmap and the lines over time show the top ones.
    practice = mastery.groupby("skill_id")["attempts"].sum().sort_values(ascending=False)
    shown = list(practice.index[:MAX_TIME_LINES])
    over_time_inputs = started(selectors.mastery_over_time, scope, shown)
    students = selectors.student_names(scope)
    heatmap = _heatmap(mastery, source, practice, students)
    at_risk = _at_risk(scope, *activity(), students)
    over_time = _over_time(*over_time_inputs(), shown, practice)
    return [heatmap, over_time, _gain(*gain_inputs()), at_risk]


def _heatmap(frame: pd.DataFrame, source: str, attempts: pd.Series, students: dict[int, str]) -> Panel:
    title = "Class mastery by student and skill"
    if frame.empty:
        return Panel("heatmap", title, pd.DataFrame(columns=["Student"]), note=f"Shows {source}.")
    shown = attempts.index[:MAX_HEATMAP_SKILLS]
    skills = selectors.skill_names(shown)
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


def _over_time(frame: pd.DataFrame, source: str, shown: list[int], practice: pd.Series) -> Panel:
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


def _gain(frame: pd.DataFrame, source: str) -> Panel:
    title = "Normalised gain per skill (Hake's g)"
    columns = ["Skill", "Students", "Pre", "Post", "Normalised gain"]
    note = f"Computed from {source}. g = (post - pre) / (1 - pre) on class averages."
    if frame.empty:
        return Panel("gain", title, pd.DataFrame(columns=columns), note=note)
    per_skill = pd.DataFrame(
        {
            "Students": frame.groupby("skill_id")["students"].sum(),
            "Pre": weighted_mean(frame, "skill_id", "pre", "students"),
            "Post": weighted_mean(frame, "skill_id", "post", "students"),
        }
    )
    per_skill["Normalised gain"] = hake_gain(per_skill["Pre"], per_skill["Post"])
    names = selectors.skill_names(per_skill.index)
    per_skill.insert(0, "Skill", [names[s] for s in per_skill.index])
    table = per_skill.sort_values("Normalised gain", ascending=False).round(2).reset_index(drop=True)
    figure = figures.bars(table, label="Skill", columns=["Normalised gain"], y="Normalised gain g")
    return Panel("gain", title, table[columns], note=note, figure=figure)


def _at_risk(
    scope: Scope, frame: pd.DataFrame, reference: datetime | None, students: dict[int, str]
) -> Panel:
    stored = selectors.mean_mastery_by_student(scope)
    title = "Students at risk"
    columns = ["Student", "Mastery", "Attempts", "Previous window", "Last window", "Change"]
    if frame.empty:
        return Panel("at-risk", title, pd.DataFrame(columns=columns), note="No graded attempts.")
    mastery_source = "mean mastery estimate" if stored else "success rate"
    frame["Mastery"] = (
        frame["student_id"].map(stored).fillna(frame["success"]) if stored else frame["success"]
    )
    frame["Student"] = frame["student_id"].map(students)
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
