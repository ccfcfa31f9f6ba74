"""Plotly figures for the dashboards, each drawn from a small pandas frame.

Figures are rendered as a ``<div>`` plus an inline script; plotly.js itself is
served from the project's static files (analytics/staticfiles.py), never from
a CDN, so the pages work without internet access.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

# Colour-blind-safe pair (Okabe & Ito) for "at risk" against everyone else.
AT_RISK_COLOUR = "#D55E00"
OTHER_COLOUR = "#0072B2"
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def _layout(fig: go.Figure, *, x: str, y: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 60, "r": 20, "t": 30, "b": 60},
        xaxis_title=x,
        yaxis_title=y,
        legend={"orientation": "h", "y": -0.2},
        template="plotly_white",
    )
    return fig


def to_html(fig: go.Figure) -> str:
    """The figure as an HTML fragment that expects plotly.js to be loaded by the page."""
    return fig.to_html(full_html=False, include_plotlyjs=False, config=PLOT_CONFIG)


def mastery_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Students (rows) by skills (columns), coloured by mastery from 0 to 1."""
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(dtype=float),
            x=list(matrix.columns),
            y=list(matrix.index),
            zmin=0,
            zmax=1,
            colorscale="Viridis",
            colorbar={"title": {"text": "Mastery"}},
            hovertemplate="%{y}<br>%{x}<br>mastery %{z:.2f}<extra></extra>",
        )
    )
    height = min(1200, max(320, 18 * len(matrix.index) + 160))
    fig = _layout(fig, x="Skill", y="Student", height=height)
    fig.update_yaxes(autorange="reversed")
    return fig


def lines_over_time(wide: pd.DataFrame, *, x: str, y: str) -> go.Figure:
    """One line per column of ``wide`` (its index is the time axis)."""
    fig = go.Figure(
        [
            go.Scatter(
                x=list(wide.index), y=wide[column].to_numpy(dtype=float), mode="lines+markers", name=column
            )
            for column in wide.columns
        ]
    )
    fig = _layout(fig, x=x, y=y)
    fig.update_yaxes(range=[0, 1])
    return fig


def bars(
    frame: pd.DataFrame, *, label: str, columns: list[str], y: str, unit_range: bool = True
) -> go.Figure:
    """Grouped bars: one group per row of ``frame[label]``, one bar per column."""
    fig = go.Figure(
        [
            go.Bar(x=frame[label].astype(str).tolist(), y=frame[column].to_numpy(dtype=float), name=column)
            for column in columns
        ]
    )
    fig = _layout(fig, x=label, y=y)
    fig.update_layout(barmode="group")
    if unit_range:
        fig.update_yaxes(range=[min(0.0, float(frame[columns].min().min() or 0)), 1])
    return fig


def risk_scatter(frame: pd.DataFrame, *, x: str, y: str) -> go.Figure:
    """Each student as a point; those at risk in a contrasting colour and marker."""
    fig = go.Figure()
    for at_risk, name, colour, symbol in [
        (False, "Not at risk", OTHER_COLOUR, "circle"),
        (True, "At risk", AT_RISK_COLOUR, "x"),
    ]:
        part = frame[frame["At risk"] == at_risk]
        fig.add_trace(
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
    fig = _layout(fig, x=x, y=y)
    fig.update_yaxes(range=[0, 1])
    return fig
