"""Shared test configuration.

Fixtures for one area live in tests/fixtures/<area>.py and are registered here,
so a test in any folder can use them.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

pytest_plugins = [
    "tests.fixtures.browser",
    "tests.fixtures.dashboards",
    "tests.fixtures.site",
    "tests.fixtures.pipeline",
    "tests.fixtures.worker",
    "tests.fixtures.reliability",
    "tests.fixtures.torch_threads",
]
