"""Faults of the services under the site: PostgreSQL restarting while learning
tools post statements, and the Celery broker (Redis) going away and coming back.

Integration tests: real PostgreSQL, a real gunicorn, a real Redis server and a
real Celery worker. PostgreSQL is restarted for real (other sessions on this
machine see a few seconds of refused connections) and is started again
whatever happens; the broker test runs its own Redis server on a spare port so
nobody else's queues are touched.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import ItemFactory
from tests.fixtures.worker import WorkerPool, _database_url_or_skip, _reset_connections
from tutoring.models import Statement
from tutoring.xapi.credentials import register_client

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def local_cluster() -> list[str]:
    """The installed cluster's version and name (the brief's `ls /etc/postgresql` main)."""
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else ["15"]
    return os.environ.get("EDURSFT_PG_CLUSTER", f"{versions[-1]} main").split()


CLUSTER = local_cluster()
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_ctl(action: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *CLUSTER, action],
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def postgres_restored():
    """Whatever the test does to PostgreSQL, it is running again afterwards."""
    if shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        pytest.skip("restarting PostgreSQL needs pg_ctlcluster and root")
    try:
        yield
    finally:
        if pg_ctl("status").returncode != 0:
            pg_ctl("start")
        connection.close()  # the test's own connection died with the server


@contextmanager
def gunicorn(database_url: str, log: Path):
    """gunicorn on a spare port; its log goes to a file (a full pipe would stall it)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DB_CONN_MAX_AGE": "600",  # persistent connections must notice the restart by themselves
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "gunicorn", "edursft.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"]
    with log.open("wb") as handle:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/health")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


class Tool:
    """A learning tool that re-sends a batch until it is acknowledged, as xAPI clients should."""

    def __init__(self, port: int, auth: str, item_id: int, name: str) -> None:
        self.port, self.auth, self.item_id, self.name = port, auth, item_id, name
        self.acknowledged: set[str] = set()
        self.failures = 0
        self.gave_up = 0

    def batch(self) -> list[dict]:
        return [
            {
                "id": str(uuid.uuid4()),
                "actor": {"mbox": f"mailto:{self.name}-{n % 3}@school.example"},
                "verb": {"id": ANSWERED},
                "object": {"id": f"https://school.example/items/{self.item_id}"},
                "result": {"success": n % 2 == 0},
            }
            for n in range(10)
        ]

    def send(self, body: bytes) -> list[str] | None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request(
                "POST",
                "/xapi/statements",
                body=body,
                headers={
                    "Authorization": self.auth,
                    "X-Experience-API-Version": "1.0.3",
                    "Content-Type": "application/json",
                },
            )
            response = conn.getresponse()
            payload = response.read()
        except OSError:
            return None
        return json.loads(payload) if response.status == 200 else None

    def run(self, until: float) -> None:
        """Send new batches until ``until``; re-send each for up to a minute more before giving up."""
        while time.monotonic() < until:
            body = json.dumps(self.batch()).encode()
            while (ids := self.send(body)) is None:
                self.failures += 1
                if time.monotonic() > until + 60:
                    self.gave_up += 1
                    return
                time.sleep(0.25)
            self.acknowledged.update(ids)


def test_postgres_restart_during_ingestion_loses_no_acknowledged_statement(tmp_path):
    database_url = _database_url_or_skip()
    item = ItemFactory()
    client, secret = register_client("restart tool")
    auth = "Basic " + base64.b64encode(f"{client.key}:{secret}".encode()).decode()
    with postgres_restored(), gunicorn(database_url, tmp_path / "gunicorn.log") as port:
        tools = [Tool(port, auth, item.pk, f"tool{n}") for n in range(3)]
        until = time.monotonic() + 12
        threads = [threading.Thread(target=tool.run, args=(until,)) for tool in tools]
        for thread in threads:
            thread.start()
        time.sleep(3)
        restarted = pg_ctl("restart")
        for thread in threads:
            thread.join()
        assert restarted.returncode == 0, restarted.stderr
    acknowledged = set().union(*(tool.acknowledged for tool in tools))
    stored = {
        str(i) for i in Statement.objects.filter(id__in=list(acknowledged)).values_list("id", flat=True)
    }
    assert acknowledged and stored == acknowledged
    assert Statement.objects.count() == len(acknowledged)
    assert sum(tool.gave_up for tool in tools) == 0
    print(f"acknowledged {len(acknowledged)}; requests refused or failed during the restart: "
          f"{sum(tool.failures for tool in tools)}")  # fmt: skip


@contextmanager
def own_redis(directory: Path):
    """A private redis-server with an append-only file, so a restart keeps its queues."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    command = [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
        "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
    ]  # fmt: skip

    def start() -> subprocess.Popen:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return process
            except OSError:
                time.sleep(0.1)
        process.kill()
        raise RuntimeError("redis-server did not start")

    server = {"process": start()}

    class Control:
        url = f"redis://127.0.0.1:{port}/0"

        def stop(self) -> None:
            server["process"].send_signal(signal.SIGTERM)
            server["process"].wait(timeout=20)

        def start(self) -> None:
            server["process"] = start()

    try:
        yield Control()
    finally:
        if server["process"].poll() is None:
            server["process"].kill()
            server["process"].wait(timeout=10)


def test_tasks_sent_while_the_broker_is_down_run_once_it_is_back(tmp_path, settings):
    from edursft.celery import app, ping

    database_url = _database_url_or_skip()
    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options", "task_always_eager")}
    with own_redis(tmp_path) as redis:
        app.conf.update(broker_url=redis.url, broker_transport_options={}, task_always_eager=False)
        _reset_connections(app)
        pool = WorkerPool(redis.url, database_url, tmp_path, tmp_path / "models")
        try:
            pool.start(queues=("default",))
            assert ping.delay().get(timeout=60) == "pong"

            redis.stop()
            sent = {}
            sender = threading.Thread(
                target=lambda: sent.update(
                    result=ping.apply_async(
                        retry=True,
                        retry_policy={"max_retries": 60, "interval_start": 0.5, "interval_step": 0.5},
                    )
                )
            )
            sender.start()
            time.sleep(3)
            redis.start()
            sender.join(timeout=60)

            assert sent["result"].get(timeout=120) == "pong"
            assert ping.delay().get(timeout=60) == "pong"
            assert pool.workers[0].process.poll() is None
        finally:
            pool.stop()
            app.conf.update(**saved)
            _reset_connections(app)
