"""Backup and restore of the database and the model artefacts, for real:
pg_dump/pg_restore on PostgreSQL, SQLite's online backup otherwise."""

from __future__ import annotations

import io
import tarfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import ItemFactory
from tests.fixtures.reliability import answer_statement
from tutoring.backup import BackupError, create_backup, restore_backup
from tutoring.models import LearningRecord, ModelVersion, Statement
from tutoring.pipeline import registry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def school(post_statements, settings, tmp_path):
    """Statements, records and an active model version with its files."""
    settings.EDURSFT_MODEL_DIR = tmp_path / "models"
    item = ItemFactory()
    statements = [answer_statement(item.pk, f"pupil{n}@example.org") for n in range(5)]
    assert post_statements(statements).status_code == 200
    version = registry.start_version(ModelVersion.Kind.STUDENT_MODEL)
    with registry.write_artefact(version) as out:
        out.mkdir()
        (out / "weights.bin").write_bytes(bytes(range(256)) * 64)
    return version


def test_restore_brings_back_statements_records_and_model_files(school, tmp_path):
    archive = create_backup(tmp_path / "backups").path
    Statement.objects.all().delete()
    (registry.verified_path(school) / "weights.bin").write_bytes(b"overwritten")

    restore_backup(archive)

    assert Statement.objects.count() == 5
    assert LearningRecord.objects.count() == 5
    restored = ModelVersion.objects.get(pk=school.pk)
    assert registry.verified_path(restored).joinpath("weights.bin").read_bytes() == bytes(range(256)) * 64


def test_a_damaged_archive_is_refused_before_anything_changes(school, tmp_path):
    archive = create_backup(tmp_path / "backups").path
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "models.tar":
                data = data[:-1024] + b"\0" * 1024 + b"!"
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    Statement.objects.all().delete()
    with pytest.raises(BackupError, match="damaged"):
        restore_backup(damaged)
    assert Statement.objects.count() == 0


def test_restore_command_needs_explicit_confirmation(school, tmp_path):
    archive = create_backup(tmp_path / "backups").path
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive))
    assert Statement.objects.count() == 5
