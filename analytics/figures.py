"""Plotly figures for the dashboards, each drawn from a small pandas frame.

Figures are rendered as a ``<div>`` plus an inline script; plotly.js itself is
served from the project's static files (analytics/staticfiles.py), never from
a CDN, so the pages work without internet access.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

# Colour-blind-safe palette (Okabe & Ito, "Color Universal Design", 2008).
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
AT_RISK_COLOUR = "#D55E00"
OTHER_COLOUR = "#0072B2"
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def _layout(*, x: str, y: str, height: int = 420, **extra) -> dict:
    """The shared look, as a plain dict handed to the Figure constructor.

    Passing it at construction (not with ``update_layout`` or a named template,
    which plotly validates and deep-copies) keeps a figure to a few milliseconds.
    """
    xaxis, yaxis = extra.pop("xaxis", {}), extra.pop("yaxis", {})
    return {
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


def to_html(fig: go.Figure) -> str:
    """The figure as an HTML fragment that expects plotly.js to be loaded by the page."""
    return fig.to_html(full_html=False, include_plotlyjs=False, config=PLOT_CONFIG)


def mastery_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Students (rows) by skills (columns), coloured by mastery from 0 to 1."""
    height = min(1200, max(320, 18 * len(matrix.index) + 160))
    return go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(dtype=float),
            x=list(matrix.columns),
            y=list(matrix.index),
            zmin=0,
            zmax=1,
            colorscale="Viridis",
            colorbar={"title": {"text": "Mastery"}},
            hovertemplate="%{y}<br>%{x}<br>mastery %{z:.2f}<extra></extra>",
        ),
        layout=_layout(x="Skill", y="Student", height=height, yaxis={"autorange": "reversed"}),
    )


def lines_over_time(wide: pd.DataFrame, *, x: str, y: str) -> go.Figure:
    """One line per column of ``wide`` (its index is the time axis)."""
    return go.Figure(
        [
            go.Scatter(
                x=list(wide.index), y=wide[column].to_numpy(dtype=float), mode="lines+markers", name=column
            )
            for column in wide.columns
        ],
        layout=_layout(x=x, y=y, yaxis={"range": [0, 1]}),
    )


def bars(
    frame: pd.DataFrame, *, label: str, columns: list[str], y: str, unit_range: bool = True
) -> go.Figure:
    """Grouped bars: one group per row of ``frame[label]``, one bar per column."""
    axis = {}
    if unit_range:
        axis = {"range": [min(0.0, float(frame[columns].min().min() or 0)), 1]}
    return go.Figure(
        [
            go.Bar(x=frame[label].astype(str).tolist(), y=frame[column].to_numpy(dtype=float), name=column)
            for column in columns
        ],
        layout=_layout(x=label, y=y, yaxis=axis, barmode="group"),
    )


def risk_scatter(frame: pd.DataFrame, *, x: str, y: str) -> go.Figure:
    """Each student as a point; those at risk in a contrasting colour and marker."""
    traces = []
    for at_risk, name, colour, symbol in [
        (False, "Not at risk", OTHER_COLOUR, "circle"),
        (True, "At risk", AT_RISK_COLOUR, "x"),
    ]:
        part = frame[frame["At risk"] == at_risk]
        traces.append(
            go.Scatter(
                x=part[x].to_numpy(dtype=float),
                y=part[y].to_numpy(dtype=float),
                text=part["Student"].tolist(),
                mode="markers",
                name=name,
                marker={"color": colour, "symbol": symbol, "size": 8},
                hovertemplate="%{text}<br>" + x + " %{x}<br>" + y + " %{y:.2f}<extra></extra>",
            )
        )
    return go.Figure(traces, layout=_layout(x=x, y=y, yaxis={"range": [0, 1]}))
