"""The demo data generator behind ``manage.py seed_demo`` (see ``builder``)."""
