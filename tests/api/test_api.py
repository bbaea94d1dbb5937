"""REST API v1: tenant entry for token and session requests, visibility, codes not ids,
bounded queries, the schema and the docs page (real PostgreSQL, row-level security on)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Membership, OrgNode, Position, Role, User
from tests.conftest import PASSWORD


def token_for(email: str) -> str:
    response = APIClient().post(reverse("api-token"), {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def token_client(email: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(email)}")
    return client


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def codes(items) -> set[str]:
    return {item["code"] for item in items}


def node_codes(world, key, *names) -> set[str]:
    return {str(world.nodes[key][n].code) for n in names}


def assert_no_integer_ids(data, where=""):
    """No ``id`` / ``*_id`` key anywhere, and no integer that could be a row id by another name."""
    if isinstance(data, dict):
        for k, v in data.items():
            assert k != "id" and not k.endswith("_id"), f"integer id key {k!r} in {where}"
            assert_no_integer_ids(v, where)
    elif isinstance(data, list):
        for v in data:
            assert_no_integer_ids(v, where)


# --------------------------------------------------------------------------- token auth


def test_token_auth_gives_a_token_and_the_own_tenant_only(world):
    client = token_client("admin@a.test")
    me = client.get(reverse("api-me"))
    assert me.status_code == 200
    assert me.json()["tenant"]["code"] == str(world.tenants["a"].code)
    assert me.json()["email"] == "admin@a.test"
    nodes = results(client.get(reverse("api-org-nodes-list")))
    assert codes(nodes) == node_codes(world, "a", *world.nodes["a"])


def test_token_is_the_same_on_a_second_sign_in(world):
    assert token_for("rep@a.test") == token_for("rep@a.test")


def test_other_tenant_token_gets_404_for_tenant_a_codes(world):
    client = token_client("admin@b.test")
    node = world.nodes["a"]["t1"]
    assert client.get(reverse("api-org-nodes-detail", kwargs={"code": node.code})).status_code == 404
    with world.scope("a"):
        rep_a = Membership.objects.get(user=world.users["a"]["rep"])
    assert client.get(reverse("api-users-detail", kwargs={"code": rep_a.code})).status_code == 404
    # ...while its own tenant's node is there.
    own = world.nodes["b"]["t1"]
    assert client.get(reverse("api-org-nodes-detail", kwargs={"code": own.code})).status_code == 200


def test_wrong_password_gets_no_token(world):
    response = APIClient().post(reverse("api-token"), {"email": "admin@a.test", "password": "nope-nope-nope"},
                                format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_bad_token_is_refused(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    # 403, not 401: SessionAuthentication is first in REST_FRAMEWORK and sends no WWW-Authenticate.
    assert client.get(reverse("api-me")).status_code == 403


def test_anonymous_request_is_refused(world):
    # Session authentication comes first in REST_FRAMEWORK, so DRF answers 403 (not 401).
    assert APIClient().get(reverse("api-org-nodes-list")).status_code == 403


def test_deactivated_member_gets_no_token_and_their_old_token_stops_working(world):
    from accounts.services.users import user_deactivate

    client = token_client("rep@a.test")
    assert client.get(reverse("api-me")).status_code == 200
    with world.scope("a"), transaction.atomic():
        membership = Membership.objects.get(user=world.users["a"]["rep"])
        user_deactivate(membership=membership, actor=world.users["a"]["admin"])
    # The user is deactivated too: DRF's token check refuses them (403, see above).
    assert client.get(reverse("api-me")).status_code == 403
    assert client.get(reverse("api-org-nodes-list")).status_code == 403
    response = APIClient().post(reverse("api-token"), {"email": "rep@a.test", "password": PASSWORD}, format="json")
    assert response.status_code == 400


def test_token_of_a_member_whose_membership_alone_ended_gets_404(world):
    client = token_client("rep2@a.test")
    with world.scope("a"), transaction.atomic():
        Membership.objects.filter(user=world.users["a"]["rep2"]).update(is_active=False)
    assert client.get(reverse("api-me")).status_code == 404
    assert client.get(reverse("api-org-nodes-list")).status_code == 404


def test_platform_operator_gets_no_token_and_404_on_tenant_endpoints(world):
    operator = User.objects.create_user("ops@platform.test", PASSWORD, full_name="Ops", is_staff=True)
    response = APIClient().post(reverse("api-token"), {"email": "ops@platform.test", "password": PASSWORD},
                                format="json")
    assert response.status_code == 400
    client = session_client(operator)
    assert client.get(reverse("api-me")).status_code == 404
    assert client.get(reverse("api-users-list")).status_code == 404


# --------------------------------------------------------------------------- session auth, me


def test_session_auth_me_shows_user_roles_and_tenant(world):
    response = session_client(world.users["a"]["manager"]).get(reverse("api-me"))
    assert response.status_code == 200
    data = response.json()
    assert data["roles"] == ["manager"]
    assert data["tenant"] == {
        "code": str(world.tenants["a"].code), "name": world.tenants["a"].name, "slug": "pharma-a",
        "language": world.tenants["a"].default_language, "time_zone": world.tenants["a"].time_zone,
        "currency": world.tenants["a"].currency,
    }
    assert_no_integer_ids(data, "me")


# --------------------------------------------------------------------------- node visibility


@pytest.mark.parametrize(("role", "expected"), [
    ("rep", ("t1",)),
    ("rep2", ("t3",)),
    ("manager", ("district", "t1", "t2")),
    ("analyst", ("nation", "region", "district", "t1", "t2", "other", "t3")),
    ("admin", ("nation", "region", "district", "t1", "t2", "other", "t3")),
])
def test_nodes_list_shows_what_the_role_sees(world, role, expected):
    client = session_client(world.users["a"][role])
    assert codes(results(client.get(reverse("api-org-nodes-list")))) == node_codes(world, "a", *expected)


def test_rep_cannot_open_a_node_outside_their_territory(world):
    client = token_client("rep@a.test")
    for name, status in (("t1", 200), ("t2", 404), ("district", 404), ("t3", 404)):
        url = reverse("api-org-nodes-detail", kwargs={"code": world.nodes["a"][name].code})
        assert client.get(url).status_code == status, name


def test_node_detail_has_parent_path_and_holders_by_code(world):
    client = session_client(world.users["a"]["analyst"])
    t1 = world.nodes["a"]["t1"]
    data = client.get(reverse("api-org-nodes-detail", kwargs={"code": t1.code})).json()
    n = world.nodes["a"]
    assert data["parent"] == str(n["district"].code)
    assert data["path"] == [str(n["nation"].code), str(n["region"].code), str(n["district"].code)]
    assert data["depth"] == 3
    assert data["kind"] == "territory"
    with world.scope("a"):
        rep = Membership.objects.get(user=world.users["a"]["rep"])
    assert data["holders"] == [{"code": str(rep.code), "name": "rep a"}]
    assert_no_integer_ids(data, "node detail")


def test_nodes_filter_by_kind(world):
    client = session_client(world.users["a"]["analyst"])
    got = results(client.get(reverse("api-org-nodes-list"), {"kind": "territory"}))
    assert codes(got) == node_codes(world, "a", "t1", "t2", "t3")


# --------------------------------------------------------------------------- user visibility


def member_codes(world, key, *roles) -> set[str]:
    with world.scope(key):
        return {str(c) for c in Membership.objects.filter(
            user__in=[world.users[key][r] for r in roles]).values_list("code", flat=True)}


ALL_A = ("admin", "rep", "manager", "analyst", "data_steward", "finance", "rep2")


@pytest.mark.parametrize(("role", "expected"), [
    ("rep", ("rep",)),
    ("rep2", ("rep2",)),
    ("manager", ("manager", "rep")),  # rep holds t1 under the manager's district; rep2 is elsewhere
    ("analyst", ALL_A),
    ("admin", ALL_A),
])
def test_users_list_shows_what_the_role_sees(world, role, expected):
    client = session_client(world.users["a"][role])
    assert codes(results(client.get(reverse("api-users-list")))) == member_codes(world, "a", *expected)


def test_manager_cannot_open_a_user_outside_their_nodes(world):
    client = token_client("manager@a.test")
    with world.scope("a"):
        rep = Membership.objects.get(user=world.users["a"]["rep"])
        rep2 = Membership.objects.get(user=world.users["a"]["rep2"])
    assert client.get(reverse("api-users-detail", kwargs={"code": rep.code})).status_code == 200
    assert client.get(reverse("api-users-detail", kwargs={"code": rep2.code})).status_code == 404


def test_users_filter_by_role_and_active(world):
    from accounts.services.users import user_deactivate

    client = session_client(world.users["a"]["admin"])
    assert codes(results(client.get(reverse("api-users-list"), {"role": "rep"}))) == member_codes(
        world, "a", "rep", "rep2")
    with world.scope("a"), transaction.atomic():
        user_deactivate(membership=Membership.objects.get(user=world.users["a"]["rep2"]),
                        actor=world.users["a"]["admin"])
    inactive = results(client.get(reverse("api-users-list"), {"is_active": "false"}))
    assert codes(inactive) == member_codes(world, "a", "rep2")
    assert inactive[0]["is_active"] is False
    active = results(client.get(reverse("api-users-list"), {"is_active": "true"}))
    assert codes(active) == member_codes(world, "a", *[r for r in ALL_A if r != "rep2"])
    assert client.get(reverse("api-users-list"), {"role": "pope"}).status_code == 400


def test_user_fields(world):
    client = session_client(world.users["a"]["admin"])
    [rep] = results(client.get(reverse("api-users-list"), {"role": "rep", "is_active": "true"}))[:1]
    assert set(rep) == {"code", "email", "full_name", "roles", "is_active", "language", "employee_no"}
    assert_no_integer_ids(rep, "users")


# --------------------------------------------------------------------------- tree


def test_tree_is_nested_and_cut_to_what_the_manager_sees(world):
    client = session_client(world.users["a"]["manager"])
    tree = client.get(reverse("api-org-tree")).json()
    assert [n["code"] for n in tree] == [str(world.nodes["a"]["district"].code)]
    assert {c["code"] for c in tree[0]["children"]} == node_codes(world, "a", "t1", "t2")
    assert_no_integer_ids(tree, "tree")


def test_tree_as_of_a_day_before_the_organisation_existed_is_empty(world):
    client = session_client(world.users["a"]["analyst"])
    full = client.get(reverse("api-org-tree")).json()
    assert [n["code"] for n in full] == [str(world.nodes["a"]["nation"].code)]
    day = world.tenants["a"].today() - dt.timedelta(days=3650)
    assert client.get(reverse("api-org-tree"), {"as_of": day.isoformat()}).json() == []
    assert client.get(reverse("api-org-tree"), {"as_of": "yesterday"}).status_code == 400


# --------------------------------------------------------------------------- bounded queries


def grow(world, n: int) -> None:
    """``n`` more territories under the district, each held by a new rep."""
    from accounts.services.org import node_create
    from accounts.services.users import user_create

    with world.scope("a"), transaction.atomic():
        district = OrgNode.objects.get(pk=world.nodes["a"]["district"].pk)
        start = world.tenants["a"].today() - dt.timedelta(days=1)
        existing = OrgNode.objects.count()
        for i in range(existing, existing + n):
            node = node_create(name=f"T{i}", kind=OrgNode.Kind.TERRITORY, parent=district)
            m = user_create(email=f"grow{i}@a.test", full_name=f"grow {i}", roles=[Role.REP])
            Position.objects.create(node=node, holder=m, start_date=start)


LIST_QUERY_BOUND = 12


@pytest.mark.parametrize("role", ["manager", "analyst"])
@pytest.mark.parametrize("url_name", ["api-org-nodes-list", "api-users-list", "api-org-tree"])
def test_list_queries_do_not_grow_with_rows(world, django_assert_max_num_queries, role, url_name):
    for extra in (5, 45):  # 5 more rows, then 50 more
        grow(world, extra)
        client = token_client(f"{role}@a.test")
        with django_assert_max_num_queries(LIST_QUERY_BOUND):
            response = client.get(reverse(url_name))
        assert response.status_code == 200
        # Session requests (tenant entered by the middleware) are bounded the same way.
        client = session_client(world.users["a"][role])
        with django_assert_max_num_queries(LIST_QUERY_BOUND):
            response = client.get(reverse(url_name))
        assert response.status_code == 200
    if url_name != "api-org-tree":
        assert response.json()["count"] >= 50


# --------------------------------------------------------------------------- no integer ids


def test_no_integer_id_in_any_response(world):
    client = session_client(world.users["a"]["admin"])
    with world.scope("a"):
        member = Membership.objects.get(user=world.users["a"]["rep"])
    urls = [
        reverse("api-me"), reverse("api-users-list"), reverse("api-users-detail", kwargs={"code": member.code}),
        reverse("api-org-nodes-list"),
        reverse("api-org-nodes-detail", kwargs={"code": world.nodes["a"]["t1"].code}),
        reverse("api-org-tree"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_integer_ids(response.json(), url)


# --------------------------------------------------------------------------- schema, docs


def test_schema_is_openapi_with_the_v1_paths(world):
    response = session_client(world.users["a"]["rep"]).get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "SFE Cloud API"
    for p in ("/api/v1/me/", "/api/v1/users/", "/api/v1/users/{code}/", "/api/v1/org/nodes/",
              "/api/v1/org/nodes/{code}/", "/api/v1/org/tree/", "/api/v1/auth/token/"):
        assert p in schema["paths"], p
    params = {p["name"] for p in schema["paths"]["/api/v1/users/"]["get"]["parameters"]}
    assert {"role", "is_active", "page"} <= params
    assert "id" not in schema["components"]["schemas"]["Membership"]["properties"]


def test_schema_and_docs_need_sign_in(world):
    assert APIClient().get(reverse("api-schema")).status_code == 403
    response = APIClient().get(reverse("api-docs"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_docs_page_loads_only_local_scripts_and_no_inline_script(world):
    client = session_client(world.users["a"]["rep"])
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "CDN reference in the docs page"
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attrs for attrs in scripts), "inline script would be blocked by the CSP"
    srcs = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs in scripts]
    assert all(s.startswith(("/static/", "/api/docs/")) for s in srcs), srcs
    init = client.get(next(s for s in srcs if s.startswith("/api/docs/")).replace("&amp;", "&"))
    assert init.status_code == 200 and "javascript" in init["Content-Type"]
    assert "SwaggerUIBundle" in init.content.decode()
    csp = response.get("Content-Security-Policy", "")
    assert "script-src" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


# --------------------------------------------------------------------------- persistent connection


@pytest.mark.django_db(transaction=True)
def test_a_request_on_the_same_connection_after_tenant_a_does_not_see_tenant_a(tworld):
    a = token_client("admin@a.test")
    b = token_client("admin@b.test")
    assert codes(results(a.get(reverse("api-org-nodes-list")))) == node_codes(tworld, "a", *tworld.nodes["a"])
    # The request committed: the transaction-local tenant setting is gone with it.
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(current_setting('app.tenant_id', true), '')")
        assert cur.fetchone()[0] == ""
    got = codes(results(b.get(reverse("api-org-nodes-list"))))
    assert got == node_codes(tworld, "b", *tworld.nodes["b"])
    assert not got & node_codes(tworld, "a", *tworld.nodes["a"])


# --------------------------------------------------------------------------- the base itself


def _call(view, user, method="get"):
    """Through DRF's request factory: no middleware ran, the view must enter the tenant."""
    from rest_framework.test import APIRequestFactory, force_authenticate

    request = getattr(APIRequestFactory(), method)("/x/")
    if user is not None:
        force_authenticate(request, user=user)
    return view(request)


def test_has_role_lets_the_role_in_and_others_not(world):
    from rest_framework.response import Response

    from sfe.core.api import HasRole, TenantAPIView

    class AdminsOnly(TenantAPIView):
        permission_classes = [HasRole("admin", "analyst")]

        def get(self, request):
            return Response({"tenant": str(request.tenant.code)})

    view = AdminsOnly.as_view()
    operator = User.objects.create_user("ops2@platform.test", PASSWORD, full_name="Ops", is_staff=True)
    assert _call(view, world.users["a"]["admin"]).data == {"tenant": str(world.tenants["a"].code)}
    assert _call(view, world.users["a"]["analyst"]).status_code == 200
    assert _call(view, world.users["a"]["rep"]).status_code == 403
    assert _call(view, world.users["b"]["admin"]).data == {"tenant": str(world.tenants["b"].code)}
    assert _call(view, operator).status_code == 404
    assert _call(view, None).status_code == 403


def test_an_error_response_rolls_back_what_the_view_wrote(world):
    from rest_framework import exceptions

    from accounts.services.org import node_create
    from sfe.core.api import TenantAPIView

    class WritesThenFails(TenantAPIView):
        def post(self, request):
            node_create(name="幽灵", kind=OrgNode.Kind.TERRITORY, parent=None)
            raise exceptions.ValidationError({"name": ["no"]})

    response = _call(WritesThenFails.as_view(), world.users["a"]["admin"], method="post")
    assert response.status_code == 400
    with world.scope("a"), transaction.atomic():
        assert not OrgNode.objects.filter(name="幽灵").exists()


def test_a_view_cannot_override_get_queryset():
    from django.core.exceptions import ImproperlyConfigured

    from sfe.core.api import TenantReadOnlyViewSet

    with pytest.raises(ImproperlyConfigured, match="get_queryset"):
        class Leaky(TenantReadOnlyViewSet):  # noqa: F841
            def get_queryset(self):
                return OrgNode.objects.all()


def test_schema_over_token_auth_needs_no_tenant_from_the_middleware(world):
    response = token_client("rep@a.test").get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/org/nodes/" in response.json()["paths"]
