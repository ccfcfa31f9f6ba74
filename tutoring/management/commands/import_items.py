"""python manage.py import_items --format oatutor|gsm8k PATH"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tutoring.item_import import FORMATS, ItemImportError, import_items


class Command(BaseCommand):
    help = "Load an exercise corpus (OATutor items.jsonl.gz or a GSM8K .jsonl file) into the item bank."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")

    def handle(self, *args, **options) -> None:
        try:
            summary = import_items(options["path"], options["fmt"])
        except (ItemImportError, OSError) as problem:
            raise CommandError(f"nothing imported: {problem}") from problem
        self.stdout.write(
            f"items created {summary.created}, already present {summary.skipped}; "
            f"skills created {summary.skills_created}"
        )
