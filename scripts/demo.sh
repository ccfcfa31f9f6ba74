#!/usr/bin/env bash
# The product on embedded defaults: SQLite and a filesystem Celery broker under var/,
# a real worker process and the beat scheduler beside the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 DJANGO_SETTINGS_MODULE=edursft.settings
PY=.venv/bin/python
CELERY=.venv/bin/celery
HOST=${DEMO_HOST:-127.0.0.1}
PORT=${DEMO_PORT:-8000}
mkdir -p var/log

$PY manage.py migrate --noinput
$PY manage.py seed_demo

$CELERY -A edursft worker -Q default,generation,training --concurrency 1 --loglevel INFO \
  >var/log/worker.log 2>&1 &
$CELERY -A edursft beat --loglevel INFO >var/log/beat.log 2>&1 &
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT INT TERM

$PY manage.py check_worker --timeout 120
echo "Worker log: var/log/worker.log. Open http://$HOST:$PORT/ (Ctrl-C stops everything)."
$PY manage.py runserver "$HOST:$PORT" --noreload
