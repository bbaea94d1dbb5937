"""The Celery application. Tasks derive from ``sfe.core.tasks.TenantTask``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sfe.settings")

app = Celery("sfe")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
