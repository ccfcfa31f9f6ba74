"""python manage.py import_dkvmn PATH --skills MAP"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from edursft.datasets.dkvmn import DkvmnFormatError
from tutoring.record_import import import_dkvmn


class Command(BaseCommand):
    help = "Import a DKVMN-format file (count, skill ids, responses per student) as students and records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--skills", help="skill id<TAB>name map")
        parser.add_argument("--dataset", help="dataset name used in ids (default: the file's folder name)")
        parser.add_argument("--classroom", help="add the imported students to this class (created if needed)")

    def handle(self, *args, **options) -> None:
        try:
            summary = import_dkvmn(
                options["path"], options["skills"], dataset=options["dataset"], classroom=options["classroom"]
            )
        except (DkvmnFormatError, OSError) as problem:
            raise CommandError(f"nothing imported: {problem}") from problem
        self.stdout.write(
            f"students created {summary.students_created}, already present {summary.students_skipped}; "
            f"records created {summary.records_created}; skills created {summary.skills_created}"
        )
