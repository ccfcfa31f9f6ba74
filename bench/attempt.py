"""Server time of a student's answer: check with sympy, record it, update mastery, render the page.

    .venv/bin/python bench/attempt.py [--history 300] [--attempts 60]

Runs on a fresh, migrated SQLite database under a temporary directory. One student
has ``--history`` imported ASSISTments-style records; a student model of the
default shape (110 skills, the KTConfig sizes, members and windows; untrained,
since latency does not depend on the weights) is the active version. The first
request of the process also pays for importing the site; a cache miss (a web
process that has not seen the student since it started) rebuilds the student's
live state from the records; the rest reuse it.
Ends with one JSON line: median_ms, p95_ms (warm answers, full request),
first_request_ms, cache_miss_ms (an answer that rebuilds the state),
state_build_ms (the rebuild alone, median), mastery_update_ms (the mastery step
alone, median).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=300)
    parser.add_argument("--attempts", type=int, default=60)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-attempt-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        EDURSFT_MODEL_DIR=str(workdir / "models"),
        DJANGO_SETTINGS_MODULE="edursft.settings",
        HF_HUB_OFFLINE="1",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from edursft.studentmodel.artifacts import StudentModel, save_student_model
    from edursft.studentmodel.model import ModelShape, build_network
    from edursft.studentmodel.train import KTConfig
    from tutoring import mastery
    from tutoring.models import Item, LearningRecord, ModelVersion, Profile, Role, Skill

    setup_test_environment()
    call_command("migrate", "--noinput", verbosity=0)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench-student", password="x")
    Profile.objects.create(user=user, role=Role.STUDENT)
    skills = [Skill.objects.create(name=f"Skill {i}", external_id=f"assist2009:{i}") for i in range(1, 111)]
    item = Item.objects.create(text="What is 3/4 + 1/8?", answer="7/8", hints=["Use eighths."])
    item.skills.add(skills[12], skills[34])
    LearningRecord.objects.bulk_create(
        LearningRecord(
            student=user,
            skill=skills[i % 110],
            correct=bool(i % 3),
            position=i,
            source=LearningRecord.Source.IMPORT,
        )
        for i in range(args.history)
    )
    defaults = KTConfig()
    network = build_network(ModelShape(n_skills=110, members=defaults.members))
    network.eval()
    model = StudentModel(
        network=network,
        skill_ids=list(range(1, 111)),
        window=defaults.window,
        context=defaults.context,
        predict_window=defaults.predict_window,
        predict_context=defaults.predict_context,
    )
    save_student_model(model, workdir / "models" / "kt")
    ModelVersion.objects.create(kind="student_model", label="bench", path="kt", status="active")

    client = Client()
    client.force_login(user)
    url = f"/learn/items/{item.pk}/"
    answers = ["7/8", "0.875", "4/12", "1", "$$\\frac{7}{8}$$"]
    started = time.perf_counter()
    client.post(url, {"response": "7/8"})
    first_request_ms = (time.perf_counter() - started) * 1000
    mastery._states.clear()
    started = time.perf_counter()
    client.post(url, {"response": "7/8"})
    cache_miss_ms = (time.perf_counter() - started) * 1000
    build_ms = []
    for _ in range(20):
        mastery._states.clear()
        started = time.perf_counter()
        mastery.student_state(user.pk)
        build_ms.append((time.perf_counter() - started) * 1000)
    request_ms, update_ms = [], []
    for i in range(args.attempts):
        started = time.perf_counter()
        response = client.post(url, {"response": answers[i % len(answers)]})
        request_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    record = LearningRecord.objects.filter(student=user, item=item).latest("id")
    for _ in range(args.attempts):
        record.pk = None
        record.save()
        started = time.perf_counter()
        mastery.record_attempt(record, [skills[12].pk, skills[34].pk])
        update_ms.append((time.perf_counter() - started) * 1000)

    request_ms.sort()
    result = {
        "history": args.history,
        "attempts": args.attempts,
        "median_ms": round(statistics.median(request_ms), 2),
        "p95_ms": round(request_ms[int(0.95 * (len(request_ms) - 1))], 2),
        "first_request_ms": round(first_request_ms, 2),
        "cache_miss_ms": round(cache_miss_ms, 2),
        "state_build_ms": round(statistics.median(build_ms), 2),
        "mastery_update_ms": round(statistics.median(update_ms), 2),
    }
    print(f"Student with {args.history} prior records, active student model (110 skills).")
    print(f"  first request of the process (imports the site): {result['first_request_ms']:.1f} ms")
    print(f"  answer on a cache miss (rebuilds the live state): {result['cache_miss_ms']:.1f} ms")
    print(f"  rebuilding the live state alone, median: {result['state_build_ms']:.1f} ms")
    print(
        f"  answer request, median: {result['median_ms']:.1f} ms, 95th percentile: {result['p95_ms']:.1f} ms"
    )
    print(f"  mastery update alone, median: {result['mastery_update_ms']:.1f} ms")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
