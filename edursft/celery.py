"""The Celery application; workers start with ``celery -A edursft worker``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edursft.settings")

app = Celery("edursft")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
