import pytest

from .factories import make_customers


@pytest.fixture
def customers(world):
    return make_customers(world)


@pytest.fixture
def tcustomers(tworld):
    return make_customers(tworld)
