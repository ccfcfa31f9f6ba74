"""Generation quality: acceptance and per-criterion pass rates per run and round, approval in review."""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.db.models import QuerySet

from analytics import figures, selectors
from analytics.dashboards.panel import Panel, weighted_mean
from tutoring.models import GenerationRun


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


def generation_quality(runs: QuerySet[GenerationRun]) -> list[Panel]:
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
        criteria = weighted_mean(rates, ["Round", "Criterion"], "Pass rate", "w").unstack("Criterion")
        criteria.columns = [f"Pass rate: {name}" for name in criteria.columns]
        per_round = per_round.join(criteria)
        series += list(criteria.columns)
    table = per_round.rename_axis("Round").reset_index()
    table = table[[*columns, "Approval rate", *series[2:]]].round(3)
    wide = table.set_index("Round")[series]
    figure = figures.lines_over_time(wide, x="Round", y="Rate")
    return Panel("rounds", "Generation quality per round", table, note=note, figure=figure)
