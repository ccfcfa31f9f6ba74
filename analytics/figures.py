"""Plotly figures for the dashboards, each drawn from a small pandas frame.

A figure is a plain plotly JSON dict (``{"data": [...], "layout": {...}}``),
not a ``plotly.graph_objects.Figure``: building and validating graph objects
(property by property, with deep copies, then encoding arrays) cost more than
the queries behind the small charts. The traces use only documented plotly.js
attributes, and numbers are handed over as rounded lists (None for a gap), so
the JSON encoder takes its fast path.

Figures are rendered as a ``<div>`` plus an inline script; plotly.js itself is
served from the project's static files (analytics/staticfiles.py), never from
a CDN, so the pages work without internet access.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np
import pandas as pd
import plotly.io as pio
from numpy.typing import ArrayLike

# Colour-blind-safe palette (Okabe & Ito, "Color Universal Design", 2008).
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
AT_RISK_COLOUR = "#D55E00"
OTHER_COLOUR = "#0072B2"
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
# Digits kept in the figures' data: the tables beneath show two or three.
DIGITS = 4


@cache
def _template() -> dict:
    """Plotly's default template as JSON, once per process (a graph-objects figure embeds it too)."""
    return pio.templates[pio.templates.default].to_plotly_json()


def _layout(*, x: str, y: str, height: int = 420, **extra) -> dict:
    """The shared look: plotly's default template with our palette, axes titles and margins."""
    xaxis, yaxis = extra.pop("xaxis", {}), extra.pop("yaxis", {})
    return {
        "template": _template(),
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 60},
        "xaxis": {"title": {"text": x}, "gridcolor": "#e5e5e5", **xaxis},
        "yaxis": {"title": {"text": y}, "gridcolor": "#e5e5e5", **yaxis},
        "legend": {"orientation": "h", "y": -0.2},
        "colorway": OKABE_ITO,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        **extra,
    }


def numbers(values: ArrayLike) -> list:
    """Values as a JSON-ready list: floats rounded to ``DIGITS``, None where a value is missing.

    Works on any shape (a heatmap's matrix gives a list of lists). Missing
    values become None rather than NaN, which JSON cannot hold and which would
    send plotly's encoder through a slow second pass.
    """
    array = np.asarray(values, dtype=float).round(DIGITS)
    return np.where(np.isnan(array), None, array).tolist()


def labels(values: Iterable[object]) -> list[str]:
    """Axis categories as strings (plotly would read numeric labels as a numeric axis)."""
    return [str(value) for value in values]


def to_html(fig: dict) -> str:
    """The figure as an HTML fragment that expects plotly.js to be loaded by the page."""
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, config=PLOT_CONFIG, validate=False)


def mastery_heatmap(matrix: pd.DataFrame) -> dict:
    """Students (rows) by skills (columns), coloured by mastery from 0 to 1."""
    height = min(1200, max(320, 18 * len(matrix.index) + 160))
    trace = {
        "type": "heatmap",
        "z": numbers(matrix.to_numpy(dtype=float)),
        "x": labels(matrix.columns),
        "y": labels(matrix.index),
        "zmin": 0,
        "zmax": 1,
        "colorscale": "Viridis",
        "colorbar": {"title": {"text": "Mastery"}},
        "hovertemplate": "%{y}<br>%{x}<br>mastery %{z:.2f}<extra></extra>",
    }
    return {
        "data": [trace],
        "layout": _layout(x="Skill", y="Student", height=height, yaxis={"autorange": "reversed"}),
    }


def lines_over_time(wide: pd.DataFrame, *, x: str, y: str) -> dict:
    """One line per column of ``wide`` (its index is the time axis)."""
    xs = wide.index.tolist()
    traces = [
        {"type": "scatter", "x": xs, "y": numbers(wide[column]), "mode": "lines+markers", "name": str(column)}
        for column in wide.columns
    ]
    return {"data": traces, "layout": _layout(x=x, y=y, yaxis={"range": [0, 1]})}


def bars(frame: pd.DataFrame, *, label: str, columns: list[str], y: str, unit_range: bool = True) -> dict:
    """Grouped bars: one group per row of ``frame[label]``, one bar per column."""
    axis = {}
    if unit_range:
        axis = {"range": [min(0.0, float(frame[columns].min().min() or 0)), 1]}
    groups = labels(frame[label])
    traces = [
        {"type": "bar", "x": groups, "y": numbers(frame[column]), "name": str(column)} for column in columns
    ]
    return {"data": traces, "layout": _layout(x=label, y=y, yaxis=axis, barmode="group")}


def risk_scatter(frame: pd.DataFrame, *, x: str, y: str) -> dict:
    """Each student as a point; those at risk in a contrasting colour and marker."""
    traces = []
    for at_risk, name, colour, symbol in [
        (False, "Not at risk", OTHER_COLOUR, "circle"),
        (True, "At risk", AT_RISK_COLOUR, "x"),
    ]:
        part = frame[frame["At risk"] == at_risk]
        traces.append(
            {
                "type": "scatter",
                "x": numbers(part[x]),
                "y": numbers(part[y]),
                "text": labels(part["Student"]),
                "mode": "markers",
                "name": name,
                "marker": {"color": colour, "symbol": symbol, "size": 8},
                "hovertemplate": "%{text}<br>" + x + " %{x}<br>" + y + " %{y:.2f}<extra></extra>",
            }
        )
    return {"data": traces, "layout": _layout(x=x, y=y, yaxis={"range": [0, 1]})}
