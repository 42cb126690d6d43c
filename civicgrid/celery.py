"""The Celery app. By default tasks run eagerly in-process (the embedded profile: one street,
one machine, no broker); set CIVICGRID_CELERY_BROKER_URL (amqp://… or redis://…) to run
them on workers, with `celery -A civicgrid beat` for the periodic jobs."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")

app = Celery("civicgrid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
