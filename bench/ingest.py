"""Time `import_dkvmn` of the ASSISTments 2009 train split on SQLite and on PostgreSQL.

    .venv/bin/python bench/ingest.py [--data DIR] [--postgres URL]

Each run starts from an empty, migrated database so the figure is a first import.
Ends with one JSON line: records, import_s_sqlite, import_s_postgres.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "assist2009"


def timed_import(database_url: str, data: Path) -> tuple[float, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "edursft.settings"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    started = time.perf_counter()
    result = subprocess.run(
        [
            *manage,
            "import_dkvmn",
            str(data / "assist2009_updated_train.csv"),
            "--skills",
            str(data / "assist2009_updated_skill_mapping.txt"),
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, result.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/edursft_bench_ingest")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        sqlite_s, sqlite_out = timed_import(f"sqlite:///{scratch}/bench.sqlite3", args.data)
    print(f"SQLite:     {sqlite_s:6.1f} s  ({sqlite_out})")
    recreate_postgres(args.postgres)
    postgres_s, postgres_out = timed_import(args.postgres, args.data)
    print(f"PostgreSQL: {postgres_s:6.1f} s  ({postgres_out})")
    records = int(sqlite_out.split("records created ")[1].split(";")[0])
    print(
        json.dumps(
            {
                "records": records,
                "import_s_sqlite": round(sqlite_s, 2),
                "import_s_postgres": round(postgres_s, 2),
            }
        )
    )


def recreate_postgres(url: str) -> None:
    """Drop and create the benchmark database so the import starts from nothing."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
