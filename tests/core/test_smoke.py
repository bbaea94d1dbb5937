from accounts.models import OrgNode


def test_world_builds_two_tenants(world):
    with world.scope("a"):
        assert OrgNode.objects.count() == 7
    with world.scope("b"):
        assert OrgNode.objects.filter(name="全国").count() == 1
