"""Fixtures of the accounts tests (shared ones live in tests/conftest.py)."""
