"""End-to-end wall time of one retraining, per stage, on the ASSISTments 2009 import.

    .venv/bin/python bench/pipeline.py [--preset demo] [--skills 4] [--keep]

A fresh install in a temporary directory (SQLite, kombu's filesystem broker: the
demo's embedded setup) imports the ASSIST2009 training split, gets one criteria
set over ``--skills`` seed skills, and starts a real `celery -A edursft worker`
on all queues. One retraining is then triggered and followed to the end: on a
fresh install it bootstraps the generator and trains the first student model,
so this is the time a new school waits for working models. Stage times come from
the run's own stage records (start to finish, as the run page shows them).
Ends with one JSON line: total_s, stages (seconds per stage), import_s, status,
records, students, and the promoted versions' metrics.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EDURSFT_DATA_DIR", ROOT.parent / "shared" / "data")) / "assist2009"
SPEC = {
    "kind": "exercise",
    "mode": "exact",
    "beta": 0.5,
    "budget": 200,
    "criteria": [
        {"name": "answer_verified", "hard": True},
        {"name": "length", "hard": True, "params": {"min_words": 5, "max_words": 120}},
        {"name": "skill_relevance", "weight": 1.0},
    ],
}


def _seconds(entry: dict) -> float | None:
    if not entry.get("started_at") or not entry.get("finished_at"):
        return None
    started = datetime.fromisoformat(entry["started_at"])
    return round((datetime.fromisoformat(entry["finished_at"]) - started).total_seconds(), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo", help="pipeline preset (demo or tiny)")
    parser.add_argument("--skills", type=int, default=4, help="seed skills in the criteria set")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    os.environ.update(
        EDURSFT_VAR_DIR=str(workdir),
        EDURSFT_MODEL_DIR=str(workdir / "models"),
        CELERY_BROKER_URL="filesystem://",
        DJANGO_SETTINGS_MODULE="edursft.settings",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from edursft.seed import seed_skills
    from tutoring.models import CriteriaSet, LearningRecord, PipelineRun, Profile, Skill
    from tutoring.pipeline import registry, runs
    from tutoring.record_import import import_dkvmn

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    summary = import_dkvmn(
        DATA / "assist2009_updated_train.csv", DATA / "assist2009_updated_skill_mapping.txt"
    )
    import_s = time.perf_counter() - started
    print(f"imported {summary.records_created} records of {summary.students_created} students", end=" ")
    print(f"in {import_s:.1f} s")
    seeded = [f"assist2009:{i}" for i in sorted(seed_skills())]
    skills = list(Skill.objects.filter(external_id__in=seeded).order_by("pk")[: args.skills])
    criteria = CriteriaSet.objects.create(name="Verified, relevant exercises", spec=SPEC)
    criteria.skills.add(*skills)
    print(f"criteria set over {len(skills)} skills: {', '.join(s.name for s in skills)}")

    log = workdir / "worker.log"
    with log.open("wb") as handle:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "edursft", "worker", "--queues",
             "default,generation,training", "--concurrency", "1", "--loglevel", "INFO"],
            cwd=ROOT, env=os.environ.copy(), stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        run = runs.trigger_run(trigger="benchmark", preset=args.preset)
        print(f"retraining #{run.pk} queued ({args.preset} preset); worker log: {log}")
        shown = ""
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            run = PipelineRun.objects.get(pk=run.pk)
            line = " | ".join(
                f"{n} {e.get('status', '?')[:4]} {e.get('progress', 0):.0%}" for n, e in run.stages.items()
            )
            if line != shown:
                print(f"  {time.strftime('%H:%M:%S')} {line}", flush=True)
                shown = line
            if run.status not in runs.OPEN:
                break
            if worker.poll() is not None:
                raise SystemExit(f"the worker exited:\n{log.read_text()[-3000:]}")
            time.sleep(1)
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    stages = {name: _seconds(run.stages.get(name, {})) for name in runs.STAGE_NAMES}
    total = (run.finished_at - run.created_at).total_seconds() if run.finished_at else None
    print(f"\nretraining #{run.pk}: {run.status}{' - ' + run.error if run.error else ''}")
    for name, label in runs.STAGES:
        entry = run.stages.get(name, {})
        print(
            f"  {label:32s} {stages[name] or 0:8.1f} s  {entry.get('status', '')}: {entry.get('message', '')}"
        )
    print(f"  {'total (queued to finished)':32s} {total or 0:8.1f} s")
    versions = {}
    for kind in ("generator", "student_model"):
        active = registry.active_version(kind)
        if active is not None:
            keep = ("test_auc", "valid_auc", "held_out_perplexity", "test_students")
            versions[kind] = {k: active.metrics[k] for k in keep if k in active.metrics}
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        json.dumps(
            {
                "total_s": round(total, 1) if total else None,
                "stages": stages,
                "import_s": round(import_s, 1),
                "status": run.status,
                "preset": args.preset,
                "records": LearningRecord.objects.count(),
                "students": Profile.objects.count(),
                "criteria_skills": len(skills),
                "active_versions": versions,
            }
        )
    )


if __name__ == "__main__":
    main()
