"""python manage.py backup [--out DIR]  -> one .tar.gz of the database and model artefacts."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tutoring.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump or SQLite online backup) and EDURSFT_MODEL_DIR into one archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", help="Directory for the archive (default: VAR_DIR/backups).")

    def handle(self, *args, **options) -> None:
        try:
            summary = create_backup(options["out"])
        except BackupError as problem:
            raise CommandError(str(problem)) from problem
        self.stdout.write(
            json.dumps({"archive": str(summary.path), "database": summary.database, **summary.counts})
        )
