"""A dashboard panel (figure, data table, note), the one-minute cache of rendered panels,
the dashboards' background queries, and the two measures several dashboards share."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TypeVar

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import connection
from django.utils import timezone, translation

from analytics import figures, tables

# How old a dashboard's figures may be: one build per selection per minute at most.
CACHE_SECONDS = 60

T = TypeVar("T")
# Threads that wait on PostgreSQL for the window queries; created on first use.
_BACKGROUND = ThreadPoolExecutor(max_workers=3, thread_name_prefix="dashboard-query")


def started(select: Callable[..., T], *args) -> Callable[[], T]:
    """Start a read-only selector on a connection of its own; call the returned function for its result.

    A window over every record of a class is most of a dashboard's database
    time; started first, it runs in PostgreSQL while this thread runs the
    other queries and draws the other panels, so the page waits for the
    longest query rather than for their sum. Inside a transaction (tests,
    ATOMIC_REQUESTS) another connection would not see its uncommitted rows,
    and SQLite has one connection per file worth sharing, so there the
    selector simply runs now.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        result = select(*args)
        return lambda: result
    # The request's time zone (week boundaries) and language go with the query.
    context = (timezone.get_current_timezone(), translation.get_language())
    return _BACKGROUND.submit(_on_own_connection, context, select, *args).result


def _on_own_connection(context: tuple, select: Callable[..., T], *args) -> T:
    zone, language = context
    try:
        with timezone.override(zone), translation.override(language):
            return select(*args)
    finally:
        # Closed at once: CONN_MAX_AGE is enforced on request signals, which a
        # pool thread never sees, and an idle connection would linger (and block
        # dropping a test database).
        connection.close()


@dataclass
class Panel:
    """One chart with its data table (the chart's text alternative) and where the numbers come from."""

    key: str
    title: str
    table: pd.DataFrame
    note: str = ""
    figure: dict | None = None

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


def hake_gain(pre: pd.Series, post: pd.Series) -> pd.Series:
    """Hake's normalised gain g = (post - pre) / (1 - pre) on fractions of the maximum score.

    R. R. Hake, "Interactive-engagement versus traditional methods", Am. J. Phys.
    66 (1998) 64-74, eq. 1, computed on class averages; undefined when pre = 1.
    """
    headroom = (1.0 - pre).where(pre < 1.0)
    return (post - pre) / headroom


def weighted_mean(frame: pd.DataFrame, by: str | list[str], value: str, weight: str) -> pd.Series:
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
