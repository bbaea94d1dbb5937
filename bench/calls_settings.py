"""Bench-only settings for ``bench/calls.py``: the product's settings with the bench URLconf
(``bench.calls_urls``: the product's URLs plus the bare baselines). Selected in the bench's
gunicorn process only, through ``DJANGO_SETTINGS_MODULE``; never part of the product."""

from sfe.settings import *  # noqa: F403 - the product's settings, unchanged but for the URLconf

ROOT_URLCONF = "bench.calls_urls"
