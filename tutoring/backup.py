"""Backup and restore of everything the school would lose with the server:
the database and the model artefacts (EDURSFT_MODEL_DIR).

A backup is one .tar.gz holding ``database.dump`` (pg_dump custom format) or
``database.sqlite3`` (SQLite's online backup), ``models.tar`` and a
``manifest.json`` with SHA-256 sums and row counts. Restore checks the sums
before touching anything, restores the database in one transaction
(pg_restore --single-transaction) and swaps the model directory in with a
rename, so a failed restore leaves the current state in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from tutoring.models import LearningRecord, ModelVersion, Statement

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class BackupError(Exception):
    """A backup could not be written, or an archive cannot be restored (and nothing was changed)."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    database: str
    counts: dict[str, int]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _counts() -> dict[str, int]:
    return {
        "statements": Statement.objects.count(),
        "learning_records": LearningRecord.objects.count(),
        "model_versions": ModelVersion.objects.count(),
    }


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db.get("HOST") or "127.0.0.1", "PGPORT": str(db.get("PORT") or 5432)}
    if db.get("USER"):
        env["PGUSER"] = db["USER"]
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(command: list[str]) -> None:
    result = subprocess.run(command, env=_pg_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _dump_database(folder: Path) -> str:
    if connection.vendor == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={folder / 'database.dump'}",
              connection.settings_dict["NAME"]])  # fmt: skip
        return "database.dump"
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(folder / "database.sqlite3") as target:
            connection.connection.backup(target)  # consistent even while the site writes
        return "database.sqlite3"
    raise BackupError(f"no backup method for the {connection.vendor} database")


def create_backup(out_dir: str | Path | None = None) -> BackupSummary:
    """Write a backup archive of the database and model artefacts; returns where it is."""
    out_dir = Path(out_dir or Path(settings.VAR_DIR) / "backups")
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory(dir=out_dir) as work:
        folder = Path(work)
        counts = _counts()
        database_file = _dump_database(folder)
        models = Path(settings.EDURSFT_MODEL_DIR)
        with tarfile.open(folder / "models.tar", "w") as tar:
            if models.is_dir():
                tar.add(models, arcname="models")
        files = [database_file, "models.tar"]
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "database": connection.vendor,
            "counts": counts,
            "sha256": {name: _sha256(folder / name) for name in files},
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = out_dir / f".edursft-{stamp}.tar.gz.part"
        with tarfile.open(partial, "w:gz") as archive:
            for name in [*files, MANIFEST]:
                archive.add(folder / name, arcname=name)
        final = out_dir / f"edursft-{stamp}.tar.gz"
        os.replace(partial, final)  # a half-written archive never carries the final name
    return BackupSummary(path=final, database=connection.vendor, counts=counts)


def _unpack(archive: Path, folder: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(folder, filter="data")
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, tarfile.TarError, ValueError) as problem:
        raise BackupError(f"{archive} is not a readable EduRSFT backup: {problem}") from problem
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{archive} has backup format {manifest.get('format')}, expected {FORMAT_VERSION}")
    for name, expected in manifest["sha256"].items():
        if not (folder / name).is_file() or _sha256(folder / name) != expected:
            raise BackupError(f"{archive}: {name} is missing or damaged (checksum mismatch)")
    if manifest["database"] != connection.vendor:
        raise BackupError(
            f"{archive} holds a {manifest['database']} database; this site uses {connection.vendor}"
        )
    return manifest


def _restore_database(folder: Path) -> None:
    if connection.vendor == "postgresql":
        connection.close()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={connection.settings_dict['NAME']}", str(folder / "database.dump")])  # fmt: skip
        return
    connection.ensure_connection()
    with sqlite3.connect(folder / "database.sqlite3") as source:
        source.backup(connection.connection)


def _restore_models(folder: Path) -> None:
    models = Path(settings.EDURSFT_MODEL_DIR)
    models.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=models.parent))
    try:
        with tarfile.open(folder / "models.tar") as tar:
            tar.extractall(staging, filter="data")
        restored = staging / "models"
        restored.mkdir(exist_ok=True)
        old = staging / "previous"
        if models.exists():
            os.replace(models, old)
        os.replace(restored, models)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def restore_backup(archive: str | Path) -> dict:
    """Replace the database and model artefacts with an archive's; returns its manifest."""
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        manifest = _unpack(Path(archive), folder)
        _restore_database(folder)
        _restore_models(folder)
    return manifest
