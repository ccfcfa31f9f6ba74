"""Serve the installed plotly package's plotly.min.js as the static file vendor/plotly.min.js.

The 5 MiB bundle ships inside the ``plotly`` Python package, so it is neither
committed to git nor fetched from a CDN: this finder exposes it to runserver,
whitenoise and ``collectstatic`` like any other static file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PACKAGE_DATA = Path(plotly.__file__).resolve().parent / "package_data"
FILENAME = "plotly.min.js"
PREFIX = "vendor"
STATIC_PATH = f"{PREFIX}/{FILENAME}"


class PlotlyFinder(BaseFinder):
    """Finds exactly one file: ``vendor/plotly.min.js``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(PACKAGE_DATA))
        # collectstatic prepends a storage's prefix to the paths list() yields.
        self.storage.prefix = PREFIX

    def check(self, **kwargs) -> list:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs) -> str | list[str]:
        if path != STATIC_PATH:
            return []
        found = str(PACKAGE_DATA / FILENAME)
        return [found] if find_all or kwargs.get("all") else found

    def list(self, ignore_patterns: list[str] | None) -> Iterator[tuple[str, FileSystemStorage]]:
        yield FILENAME, self.storage
