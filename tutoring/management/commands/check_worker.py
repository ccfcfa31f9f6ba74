"""python manage.py check_worker: round-trip a trivial task through the broker and a worker."""

import time

from celery.exceptions import TimeoutError as CeleryTimeout
from django.core.management.base import BaseCommand, CommandError, CommandParser

from edursft.celery import ping


class Command(BaseCommand):
    help = "Send a trivial task to the broker and wait for a worker to answer it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=60.0)

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        try:
            answer = ping.delay().get(timeout=options["timeout"])
        except CeleryTimeout as problem:
            raise CommandError(f"no worker answered within {options['timeout']:.0f} s") from problem
        self.stdout.write(f"worker answered {answer!r} in {time.monotonic() - started:.2f} s")
