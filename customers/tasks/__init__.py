"""Celery entry points of the customer master (each module owns its tasks)."""

from .imports import *  # noqa: F401,F403
from .quality import *  # noqa: F401,F403
from .realign import *  # noqa: F401,F403
