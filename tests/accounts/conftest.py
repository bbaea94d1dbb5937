"""Fixtures of the accounts tests."""

import pytest


@pytest.fixture
def english(request):
    """These tests read the English wording; the Chinese is checked in the browser tests
    and in test_*_chinese tests (which override this)."""
    from django.utils import translation

    if "world" in request.fixturenames and "chinese" not in request.node.name:
        from accounts.models import User

        world = request.getfixturevalue("world")
        User.objects.filter(pk__in=[u.pk for u in world.users["a"].values()]).update(language="en")
    if "chinese" in request.node.name:
        yield
        return
    with translation.override("en"):
        yield

