"""python manage.py seed_demo: a demo school, and how to sign in as each role."""

from django.core.management.base import BaseCommand, CommandParser

from tutoring import demo


class Command(BaseCommand):
    help = "Create the demo school (admin, teacher, a class of ASSISTments 2009 students, seed items)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--per-template", type=int, default=2, help="exercises per seed template and level"
        )

    def handle(self, *args, **options) -> None:
        summary = demo.seed_demo(per_template=options["per_template"])
        first, last = (summary.students[0], summary.students[-1]) if summary.students else ("(none)", "")
        self.stdout.write(
            f"Demo school ready: {summary.items_created} items and "
            f"{summary.criteria_created} criteria sets added (0 when already seeded).\n"
            "Sign in at /accounts/login/ as:\n"
            f"  school admin: {summary.admin} / {demo.ADMIN[1]}\n"
            f"  teacher:      {summary.teacher} / {demo.TEACHER[1]}"
            f"  ({demo.CLASS_NAME}, {len(summary.students)} students)\n"
            f"  student:      {first} / {demo.STUDENT_PASSWORD}"
            f"  (every student of the class, {first} to {last}, has this password)\n"
        )
