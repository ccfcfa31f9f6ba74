"""The Celery application; workers start with ``celery -A edursft worker``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edursft.settings")

app = Celery("edursft")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="edursft.ping", time_limit=30, soft_time_limit=20)
def ping() -> str:
    """A trivial task that proves a worker is consuming the broker."""
    return "pong"
