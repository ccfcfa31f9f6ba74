"""Data tables beneath the charts (their text alternative) and their CSV downloads.

Rendered by hand rather than by a template loop: a class heatmap is a
thousand rows by thirty skills, and string joining keeps that to milliseconds.
"""

from __future__ import annotations

import math
from html import escape

import pandas as pd
from django.utils.safestring import SafeString, mark_safe

MISSING = "n/a"


def _cell(value) -> str:
    if value is None or value is pd.NA:
        return MISSING
    if isinstance(value, float):
        if math.isnan(value):
            return MISSING
        return f"{value:.3f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:.0f}"
    return escape(str(value))


def html_table(frame: pd.DataFrame, *, caption: str, table_id: str) -> SafeString:
    """An accessible table: a caption, column headers, and the first column as row headers."""
    head = "".join(f'<th scope="col">{escape(str(column))}</th>' for column in frame.columns)
    body = []
    for row in frame.itertuples(index=False, name=None):
        first, *rest = row
        cells = "".join(f"<td>{_cell(value)}</td>" for value in rest)
        body.append(f'<tr><th scope="row">{_cell(first)}</th>{cells}</tr>')
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<table id="{escape(table_id)}" class="data"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def csv_text(frame: pd.DataFrame) -> str:
    """The table as CSV, with the same columns as on the page."""
    return frame.to_csv(index=False, float_format="%.4g")
