"""The engine is framework-free: importing it never loads Django or Celery."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import edursft

DJANGO_PROJECT_MODULES = {"settings", "urls", "celery", "wsgi", "asgi"}


def engine_modules() -> list[str]:
    root = Path(edursft.__file__).parent
    return [
        info.name
        for info in pkgutil.walk_packages([str(root)], prefix="edursft.")
        if info.name.split(".")[1] not in DJANGO_PROJECT_MODULES and info.name != "edursft.__main__"
    ]


def test_engine_imports_neither_django_nor_celery():
    modules = engine_modules()
    assert "edursft.datasets.dkvmn" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "banned = ('django', 'celery', 'tutoring', 'analytics')\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in banned)\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
