"""Data tables beneath the charts (their text alternative) and their CSV downloads.

Rendered by hand rather than by a template loop: a class heatmap is a
thousand rows by thirty skills, and string joining keeps that to milliseconds.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
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


def _cells(column: pd.Series) -> list[str]:
    """A column's cells as escaped text, each distinct value formatted once.

    A heatmap table is a thousand students by thirty skills of rounded
    mastery values: a few hundred distinct numbers, so formatting by value
    instead of by cell keeps the table to a few milliseconds.
    """
    if column.dtype.kind == "f":
        values = column.to_numpy()
        present = ~np.isnan(values)
        distinct, where = np.unique(values[present], return_inverse=True)
        cells = np.full(len(values), MISSING, dtype=object)
        cells[present] = np.array([_cell(float(value)) for value in distinct], dtype=object)[where]
        return cells.tolist()
    formatted: dict = {}
    cells = []
    for value in column.tolist():
        if isinstance(value, float) and math.isnan(value):  # never equal to itself, so never found
            cells.append(MISSING)
            continue
        key = (value.__class__, value)  # True and 1 are equal keys, but not the same cell
        try:
            cell = formatted.get(key)
        except TypeError:  # an unhashable value: format it each time
            cells.append(_cell(value))
            continue
        if cell is None:
            cell = formatted[key] = _cell(value)
        cells.append(cell)
    return cells


def html_table(frame: pd.DataFrame, *, caption: str, table_id: str) -> SafeString:
    """An accessible table: a caption, column headers, and the first column as row headers."""
    head = "".join(f'<th scope="col">{escape(str(column))}</th>' for column in frame.columns)
    columns = [_cells(frame.iloc[:, position]) for position in range(frame.shape[1])]
    if len(columns) > 1:
        rows = zip(columns[0], map("</td><td>".join, zip(*columns[1:], strict=True)), strict=True)
        body = "".join(f'<tr><th scope="row">{first}</th><td>{rest}</td></tr>' for first, rest in rows)
    else:
        body = "".join(f'<tr><th scope="row">{first}</th></tr>' for first in (columns or [[]])[0])
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<table id="{escape(table_id)}" class="data"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: object) -> object:
    """Text a spreadsheet would run as a formula, with a leading apostrophe so it stays text."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def csv_text(frame: pd.DataFrame) -> str:
    """The table as CSV, with the same columns as on the page.

    Names come from people and tools (a learner's name is whatever an xAPI tool
    sent), so no text cell or header may reach a teacher's spreadsheet as a formula;
    numbers, negative ones included, stay numbers.
    """
    safe = frame.copy()
    safe.columns = [_inert(column) for column in frame.columns]
    for position in range(safe.shape[1]):
        if not pd.api.types.is_numeric_dtype(safe.dtypes.iloc[position]):
            safe.isetitem(position, safe.iloc[:, position].map(_inert))
    return safe.to_csv(index=False, float_format="%.4g")
