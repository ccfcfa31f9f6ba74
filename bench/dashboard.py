"""Server time of the teacher dashboards for a class of 1,000 students and 200,000 records.

Usage (PostgreSQL; the database is created and migrated when missing, the
class is built once and reused on later runs):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/edursft_bench .venv/bin/python bench/dashboard.py

Each dashboard is requested through Django's test Client as the class's
teacher (in process: routing, permission checks, queries, pandas, plotly and
template rendering; no network). Two series: uncached requests, which empty
the cache first so every query runs and every figure is drawn (a teacher
opening a dashboard after new records arrived: the figure that counts), and
repeated requests, served from the dashboards' one-minute cache after the
first (a teacher reloading or switching between dashboards). Target: median
under 300 ms and 95th percentile under 800 ms, uncached.

Before measuring, the bench tables are vacuumed and analysed, as autovacuum
keeps a live database: a freshly bulk-loaded table has an empty visibility
map, and every index-only scan would then visit the heap too.

Prints readable figures with the load average (other jobs on the machine slow
every figure) and ends with one JSON line: ``median_ms`` and ``p95_ms`` of the
uncached requests, ``cpu_ms`` (this process's CPU per uncached request, the
part of the time that does not include PostgreSQL), ``cached_median_ms`` and
``cached_p95_ms``, and the figures per dashboard.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

BENCH_URL = "postgres://postgres@127.0.0.1:5432/edursft_bench"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DATABASE_URL", BENCH_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edursft.settings")

CLASS_NAME = "Bench class (1,000 students)"
STUDENTS = 1000
RECORDS_PER_STUDENT = 200
SKILLS = 50
ITEMS_PER_SKILL = 5
SKILLS_PER_STUDENT = 20
DAYS = 140
RUNS = 20
DASHBOARDS = ["outcomes", "teaching", "generation"]


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` when it does not exist."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return
    with psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


def build_class(seed: int = 7) -> int:
    """Create the bench class with its records, mastery, snapshots, recommendations and runs."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from tutoring.models import (
        Classroom,
        CriteriaSet,
        GenerationRun,
        Item,
        LearningRecord,
        Mastery,
        MasterySnapshot,
        Profile,
        Recommendation,
        Role,
        Skill,
    )

    rng = random.Random(seed)
    User = get_user_model()
    unusable = make_password(None)
    end = timezone.make_aware(datetime(2026, 11, 1, 18, 0))
    with transaction.atomic():
        teacher = User.objects.create(username="bench-teacher", password=make_password("bench-password"))
        Profile.objects.create(user=teacher, role=Role.TEACHER, display_name="Bench teacher")
        room = Classroom.objects.create(name=CLASS_NAME)
        room.teachers.add(teacher)
        skills = Skill.objects.bulk_create([Skill(name=f"Bench skill {i:02d}") for i in range(SKILLS)])
        items = {
            skill.pk: Item.objects.bulk_create(
                [
                    Item(title=f"{skill.name} exercise {j}", text="x", answer="1")
                    for j in range(ITEMS_PER_SKILL)
                ]
            )
            for skill in skills
        }
        for skill in skills:
            skill.items.add(*items[skill.pk])
        feedback = {
            skill.pk: Item.objects.create(
                kind=Item.Kind.FEEDBACK,
                source=Item.Source.GENERATED,
                text="Check the sign.",
                target_item=items[skill.pk][0],
            )
            for skill in skills
        }
        users = User.objects.bulk_create(
            [User(username=f"bench-student-{i:04d}", password=unusable) for i in range(STUDENTS)],
            batch_size=1000,
        )
        Profile.objects.bulk_create(
            [
                Profile(user=u, role=Role.STUDENT, display_name=f"Student {i:04d}")
                for i, u in enumerate(users)
            ],
            batch_size=1000,
        )
        room.students.add(*users)
        difficulty = {skill.pk: rng.uniform(-1.0, 1.0) for skill in skills}
        records, masteries, snapshots, recommendations = [], [], [], []
        for user in users:
            ability = rng.gauss(0.0, 1.0)
            practised = rng.sample(skills, SKILLS_PER_STUDENT)
            # Some students slow down towards the end, which the at-risk panel should notice.
            fading = rng.random() < 0.2
            seen: dict[int, int] = {}
            for position in range(RECORDS_PER_STUDENT):
                skill = rng.choice(practised)
                seen[skill.pk] = seen.get(skill.pk, 0) + 1
                logit = ability - difficulty[skill.pk] + 0.08 * seen[skill.pk]
                correct = rng.random() < 1.0 / (1.0 + 2.718281828**-logit)
                fraction = position / RECORDS_PER_STUDENT
                day = DAYS * (fraction**2.5 if fading else fraction)
                at = end - timedelta(days=DAYS - day, minutes=rng.randint(0, 600))
                item = rng.choice(items[skill.pk])
                records.append(
                    LearningRecord(
                        student=user,
                        skill=skill,
                        item=item,
                        correct=correct,
                        score=float(correct),
                        finished_at=at,
                        started_at=at - timedelta(minutes=2),
                        attempt=seen[skill.pk],
                        position=position,
                        feedback_item=feedback[skill.pk] if not correct and rng.random() < 0.4 else None,
                    )
                )
                snapshots.append(
                    MasterySnapshot(
                        student=user, skill=skill, value=min(0.99, 0.2 + 0.05 * seen[skill.pk]), at=at
                    )
                )
            for skill in practised:
                n = seen.get(skill.pk, 0)
                masteries.append(
                    Mastery(
                        student=user,
                        skill=skill,
                        value=min(0.99, 1 / (1 + 2.718281828 ** -(ability - difficulty[skill.pk] + 0.1 * n))),
                        attempts=n,
                    )
                )
            for rank, skill in enumerate(practised[:10], start=1):
                recommendations.append(
                    Recommendation(
                        student=user,
                        item=items[skill.pk][0],
                        rank=rank,
                        score=1.0 / rank,
                        predicted_success=rng.uniform(0.5, 0.9),
                        reason="bench",
                    )
                )
        LearningRecord.objects.bulk_create(records, batch_size=5000)
        MasterySnapshot.objects.bulk_create(snapshots, batch_size=5000)
        Mastery.objects.bulk_create(masteries, batch_size=5000)
        Recommendation.objects.bulk_create(recommendations, batch_size=5000)
        criteria = CriteriaSet.objects.create(name="Bench criteria", owner=teacher, classroom=room, spec={})
        for i in range(RUNS):
            # As the pipeline stores them: the sampler's statistics per skill, plus totals.
            per_skill = {}
            for skill in rng.sample(skills, 5):
                proposals = rng.randint(40, 80)
                accepted = proposals // 4
                per_skill[str(skill.pk)] = {
                    "proposals": proposals,
                    "accepted": accepted,
                    "acceptance_rate": accepted / proposals,
                    "mean_acceptance_prob": rng.uniform(0.2, 0.4),
                    "criteria": {
                        "answer_verified": {
                            "pass_rate": rng.uniform(0.4, 0.8),
                            "evaluated": proposals,
                            "hard": True,
                        },
                        "length": {"pass_rate": rng.uniform(0.8, 1.0), "evaluated": proposals, "hard": True},
                        "skill_relevance": {
                            "pass_rate": rng.uniform(0.5, 0.9),
                            "evaluated": proposals,
                            "hard": False,
                        },
                    },
                }
            proposals = sum(part["proposals"] for part in per_skill.values())
            accepted = sum(part["accepted"] for part in per_skill.values())
            run = GenerationRun.objects.create(
                criteria=criteria,
                round=i // 5,
                status=GenerationRun.Status.SUCCEEDED,
                stats={"skills": per_skill, "proposals": proposals, "accepted": accepted},
            )
            Item.objects.bulk_create(
                [
                    Item(
                        text=f"generated {i}-{j}",
                        source=Item.Source.GENERATED,
                        status=rng.choice(["approved", "rejected", "accepted"]),
                        generation_run=run,
                        criteria=criteria,
                    )
                    for j in range(25)
                ]
            )
    return room.pk


def measure(
    classroom_id: int, repeats: int, warmup: int, *, cold: bool
) -> tuple[dict[str, list[float]], list[float]]:
    """Milliseconds per request for each dashboard, after warm-up requests, and CPU ms per request.

    ``cold`` empties the dashboards' cache before every request, so each one
    runs every query and renders every figure; otherwise repeated requests
    within the cache's minute are served from it, as a teacher reloading or
    switching tabs would be.
    """
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-teacher"))
    timings: dict[str, list[float]] = {}
    cpu: list[float] = []
    for name in DASHBOARDS:
        url = f"/dashboards/{name}/?classroom={classroom_id}"
        for _ in range(warmup):
            assert client.get(url).status_code == 200
        timings[name] = []
        for _ in range(repeats):
            if cold:
                cache.clear()
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings[name].append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 200, response.status_code
    return timings, cpu


def summarise(label: str, timings: dict[str, list[float]], cpu: list[float]) -> dict:
    everything = [t for values in timings.values() for t in values]
    per_dashboard = {
        name: {"median_ms": round(statistics.median(values), 1), "p95_ms": round(p95(values), 1)}
        for name, values in timings.items()
    }
    print(f"{label}:")
    for name, figures in per_dashboard.items():
        print(f"  {name:>10}: median {figures['median_ms']:7.1f} ms   p95 {figures['p95_ms']:7.1f} ms")
    summary = {
        "median_ms": round(statistics.median(everything), 1),
        "p95_ms": round(p95(everything), 1),
        "cpu_ms": round(statistics.median(cpu), 1),
        "requests": len(everything),
        "dashboards": per_dashboard,
    }
    print(
        f"  all: median {summary['median_ms']} ms, p95 {summary['p95_ms']} ms (target 300 / 800); "
        f"this process's CPU per request: median {summary['cpu_ms']} ms; load {load_averages()}"
    )
    return summary


def load_averages() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def vacuum(connection) -> None:
    """VACUUM ANALYZE the tables the dashboards read, as autovacuum would have by now."""
    from tutoring.models import Classroom, Item, LearningRecord, Mastery, MasterySnapshot, Recommendation

    tables = [
        model._meta.db_table
        for model in (LearningRecord, MasterySnapshot, Mastery, Recommendation, Item, Classroom)
    ]
    tables.append(Classroom.students.through._meta.db_table)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--cold", type=int, default=10, help="uncached requests per dashboard")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    # Measure the production code path: DEBUG would also log every query in memory.
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    from tutoring.models import Classroom, LearningRecord

    room = Classroom.objects.filter(name=CLASS_NAME).first()
    if room is None:
        started = time.perf_counter()
        classroom_id = build_class()
        print(f"built the bench class in {time.perf_counter() - started:.0f} s")
    else:
        classroom_id = room.pk
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        vacuum(connection)
        print(f"vacuumed and analysed the bench tables in {time.perf_counter() - started:.1f} s")
    students = Classroom.objects.get(pk=classroom_id).students.count()
    records = LearningRecord.objects.filter(student__classrooms=classroom_id).count()
    print(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}")
    print(f"class: {students} students, {records} learning records")

    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load_averages()} (other jobs slow every figure)")
    # One uncached request per dashboard first: imports and first-use setup are not a teacher's wait.
    cold_timings = measure(classroom_id, args.cold, 1, cold=True)
    cold = summarise("uncached requests (every query and figure each time)", *cold_timings)
    warm = summarise(
        "repeated requests (cache as in production)", *measure(classroom_id, args.repeats, 1, cold=False)
    )
    result = {
        "bench": "dashboard",
        "database": connection.vendor,
        "students": students,
        "records": records,
        "load_average": round(load, 1),
        "load_average_end": round(os.getloadavg()[0], 1),
        "median_ms": cold["median_ms"],
        "p95_ms": cold["p95_ms"],
        "cpu_ms": cold["cpu_ms"],
        "cached_median_ms": warm["median_ms"],
        "cached_p95_ms": warm["p95_ms"],
        "target": {"median_ms": 300, "p95_ms": 800},
        "dashboards": cold["dashboards"],
        "cached_dashboards": warm["dashboards"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
