"""python manage.py retrain: start a retraining from the command line.

By default it enqueues the run for the workers and returns; ``--wait`` follows
the run's progress until it ends (exit status 1 if it failed).
"""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tutoring.models import PipelineRun
from tutoring.pipeline import runs, selectors
from tutoring.pipeline.config import PRESETS


class Command(BaseCommand):
    help = "Queue a retraining of the generator and the student model (one at a time)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--preset", choices=sorted(PRESETS), default="demo", help="model sizes")
        parser.add_argument(
            "--set", action="append", default=[], metavar="KEY=JSON", help="override one setting of this run"
        )
        parser.add_argument("--wait", action="store_true", help="follow the run until it ends")
        parser.add_argument("--timeout", type=float, default=3 * 3600, help="seconds to wait with --wait")

    def handle(self, *args, **options) -> None:
        overrides = {}
        for item in options["set"]:
            key, _, value = item.partition("=")
            try:
                overrides[key] = json.loads(value)
            except json.JSONDecodeError:
                overrides[key] = value
        try:
            run = runs.trigger_run(trigger="command line", overrides=overrides, preset=options["preset"])
        except runs.PipelineAlreadyRunning as busy:
            raise CommandError(f"not started: {busy}") from None
        except ValueError as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(f"retraining #{run.pk} queued")
        if options["wait"]:
            self._follow(run.pk, options["timeout"])

    def _follow(self, run_id: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            progress = selectors.run_progress(PipelineRun.objects.get(pk=run_id))
            line = " | ".join(f"{s['name']} {s['percent']}%" for s in progress["stages"])
            if line != shown:
                self.stdout.write(f"{progress['status']}: {line}")
                shown = line
            if not progress["open"]:
                if progress["status"] != PipelineRun.Status.SUCCEEDED:
                    raise CommandError(f"retraining #{run_id} failed: {progress['error']}")
                self.stdout.write(self.style.SUCCESS(f"retraining #{run_id} succeeded"))
                return
            time.sleep(2)
        raise CommandError(f"retraining #{run_id} still running after {timeout:.0f} s")
