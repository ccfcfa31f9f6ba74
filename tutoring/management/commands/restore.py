"""python manage.py restore ARCHIVE --yes  -> the database and model artefacts as they were in ARCHIVE."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tutoring.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Replace the database and EDURSFT_MODEL_DIR with a backup archive's (checksums verified first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive")
        parser.add_argument("--yes", action="store_true", help="Confirm: current data is replaced.")

    def handle(self, *args, **options) -> None:
        if not options["yes"]:
            raise CommandError("restore replaces the current database and models; add --yes to confirm")
        try:
            manifest = restore_backup(options["archive"])
        except BackupError as problem:
            raise CommandError(str(problem)) from problem
        self.stdout.write(json.dumps({"restored": options["archive"], **manifest["counts"]}))
