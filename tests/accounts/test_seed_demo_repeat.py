"""``seed_demo`` twice with the same seed gives the same people and tree (a module of its own:
the other seed tests share one seeded database, ``tests/accounts/test_seed_demo.py``)."""

from __future__ import annotations

from django.db import transaction

from accounts.demo import builder
from accounts.models import Tenant

from .test_seed_demo import REPS, seed, snapshot


def test_same_seed_gives_the_same_people_and_tree(db):
    runs = []
    for _ in range(2):
        with transaction.atomic():
            seed()
            runs.append(snapshot())
            transaction.set_rollback(True)
    assert not Tenant.objects.filter(slug="huakang").exists()
    assert runs[0] == runs[1]
    assert runs[0]["huakang"]["users"] and runs[0]["huakang"]["nodes"]
    # Another seed draws other people, in the same tree.
    other = builder.make_plans(REPS, 7)[0]
    same = builder.make_plans(REPS, 42)[0]
    assert [p.full_name for p in other.people] != [p.full_name for p in same.people]
    assert [n.name for n in other.nodes] == [n.name for n in same.nodes]
