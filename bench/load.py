"""Load test of xAPI ingestion: gunicorn on loopback, PostgreSQL, many clients.

    .venv/bin/python bench/load.py [--duration 30] [--clients 8] [--workers CORES] [--batch 50]
                                   [--postgres postgres://postgres@127.0.0.1:5432/edursft_load]

Recreates and migrates a dedicated database, starts gunicorn with production
settings (DEBUG off, shared Redis cache for the rate limiter when REDIS_URL
answers), then threads post batches of answer statements for a fixed time; one
batch in twenty is re-sent, as a client does after a lost reply. Afterwards it
checks that every acknowledged statement id is in the database exactly once and
that nothing else is. Ends with one JSON line: statements_per_s, p95_ms,
acknowledged, stored, errors_5xx (and the rest of the figures).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/edursft_load"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
STUDENTS = 500
ITEMS = 40


@dataclass
class Tally:
    """What the clients saw; one per thread, merged at the end."""

    latencies_ms: list[float] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    sent: int = 0
    status: dict[int, int] = field(default_factory=dict)
    connection_errors: int = 0


def recreate_database(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(url: str) -> tuple[str, list[int]]:
    """Migrate, create items and a client; returns (Authorization header, item ids)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edursft.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from tutoring.models import Item
    from tutoring.xapi.credentials import register_client

    call_command("migrate", verbosity=0, interactive=False)
    items = Item.objects.bulk_create(
        Item(title=f"Load item {i}", text=f"{i} + 1 = ?", answer=str(i + 1)) for i in range(ITEMS)
    )
    client, secret = register_client("load test")
    return "Basic " + base64.b64encode(f"{client.key}:{secret}".encode()).decode(), [i.pk for i in items]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers() -> bool:
    parsed = urlparse(REDIS_URL)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def start_gunicorn(url: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "XAPI_RATE_LIMIT_PER_MINUTE": "1000000",
        "DB_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }
    if redis_answers():
        env["CACHE_URL"] = REDIS_URL
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "edursft.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--backlog",
        "256",
        "--timeout",
        "60",
    ]
    handle = log.open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"gunicorn did not answer /health; see {log}")


def statement(item_id: int, student: int) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "account": {"homePage": "https://school.example", "name": f"s{student}"},
            "name": f"S{student}",
        },
        "verb": {"id": ANSWERED, "display": {"en-GB": "answered"}},
        "object": {"id": f"https://school.example/items/{item_id}"},
        "result": {"success": random.random() < 0.7, "response": "42", "duration": "PT20S"},
        "timestamp": "2026-11-25T10:00:00+00:00",
    }


def client_loop(
    port: int, auth: str, items: list[int], batch: int, stop: float, tally: Tally, seed: int
) -> None:
    rng = random.Random(seed)
    headers = {
        "Authorization": auth,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    previous: bytes | None = None
    while time.monotonic() < stop:
        resend = previous is not None and rng.random() < 0.05
        if resend:
            body = previous
        else:
            statements = [statement(rng.choice(items), rng.randrange(STUDENTS)) for _ in range(batch)]
            body = json.dumps(statements).encode()
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/xapi/statements", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            conn.close()
        except OSError:
            tally.connection_errors += 1
            continue
        tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        tally.status[response.status] = tally.status.get(response.status, 0) + 1
        if not resend:
            tally.sent += batch
        if response.status == 200:
            tally.acknowledged.update(json.loads(payload))
            previous = body


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of live processes, from /proc (Linux)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def children(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return pids


def database_backends(url: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [urlparse(url).path.lstrip("/")],
        )
        return [row[0] for row in cursor.fetchall()]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def verify(acknowledged: set[str]) -> tuple[int, int]:
    """(acknowledged ids found exactly once, rows in the table)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE acked (id uuid PRIMARY KEY)")
        with cursor.copy("COPY acked (id) FROM STDIN") as copy:
            for ident in acknowledged:
                copy.write_row((ident,))
        cursor.execute(
            "SELECT count(*) FROM (SELECT s.id FROM tutoring_statement s JOIN acked a ON a.id = s.id "
            "GROUP BY s.id HAVING count(*) = 1) once"
        )
        found = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM tutoring_statement")
        total = cursor.fetchone()[0]
    return found, total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    # One worker per core: PostgreSQL and the clients share these cores, and a third
    # sync worker on two cores only added switching (1,840/s with 3 against 2,517/s with 2).
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="gunicorn worker processes (default: cores)"
    )
    parser.add_argument("--batch", type=int, default=50, help="statements per request")
    args = parser.parse_args()

    recreate_database(args.postgres)
    auth, items = prepare(args.postgres)
    port = free_port()
    log = ROOT / "var" / "bench-load-gunicorn.log"
    server = start_gunicorn(args.postgres, port, args.workers, log)
    tallies = [Tally() for _ in range(args.clients)]
    workers = children(server.pid)
    workers_cpu_before = cpu_seconds(workers)
    try:
        client_cpu = time.process_time()
        stop = time.monotonic() + args.duration
        started = time.perf_counter()
        threads = [
            threading.Thread(target=client_loop, args=(port, auth, items, args.batch, stop, tally, n))
            for n, tally in enumerate(tallies)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        # Measured before shutdown, while the workers and their database sessions are alive.
        server_cpu = cpu_seconds(workers) - workers_cpu_before + cpu_seconds(database_backends(args.postgres))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    latencies = [ms for t in tallies for ms in t.latencies_ms]
    acknowledged = set().union(*(t.acknowledged for t in tallies))
    status: dict[int, int] = {}
    for tally in tallies:
        for code, count in tally.status.items():
            status[code] = status.get(code, 0) + count
    stored_once, table_rows = verify(acknowledged)
    figures = {
        "statements_per_s": round(len(acknowledged) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "acknowledged": len(acknowledged),
        "stored": stored_once,
        "rows_in_table": table_rows,
        "errors_5xx": sum(count for code, count in status.items() if code >= 500),
        "requests": len(latencies),
        "status_counts": {str(code): count for code, count in sorted(status.items())},
        "connection_errors": sum(t.connection_errors for t in tallies),
        "server_cpu_ms_per_batch": round(1000 * server_cpu / max(1, len(latencies)), 1),
        "client_cpu_s": round(client_cpu, 1),
        "cpu_bound_statements_per_s": round(
            (os.cpu_count() or 1) * args.batch * max(1, len(latencies)) / max(server_cpu, 1e-9), 1
        ),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "clients": args.clients,
        "workers": args.workers,
        "batch": args.batch,
        "duration_s": round(elapsed, 1),
    }
    print(
        f"{figures['requests']} requests of {args.batch} statements "
        f"from {args.clients} clients in {elapsed:.1f} s"
    )
    print(f"throughput: {figures['statements_per_s']} acknowledged statements/s")
    print(
        f"latency per batch: p50 {figures['p50_ms']} ms, "
        f"p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms"
    )
    print(f"status codes: {figures['status_counts']}; connection errors: {figures['connection_errors']}")
    print(
        f"server CPU (gunicorn workers + their PostgreSQL sessions): {figures['server_cpu_ms_per_batch']} ms "
        f"per batch, so {figures['cpu_bound_statements_per_s']} statements/s if all {os.cpu_count()} cores "
        f"served ingestion alone (load average now {figures['load_average_1min']})"
    )
    print(
        f"acknowledged {len(acknowledged)}, stored exactly once {stored_once}, rows in table {table_rows}"
        + ("  OK" if stored_once == len(acknowledged) == table_rows else "  MISMATCH")
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
