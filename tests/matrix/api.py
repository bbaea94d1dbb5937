"""Rows for ``/api/v1/``, the schema and the docs (session requests, as the matrix makes them).

An anonymous API request gets 403, not 401: SessionAuthentication comes first in
``REST_FRAMEWORK`` and sends no ``WWW-Authenticate`` header. Tenant B's admin gets 404 on
tenant A's codes; a member gets 404 on codes outside what they see.
"""

from tests.conftest import PASSWORD

from . import Row

MEMBERS = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance", "b_admin", "b_rep")


def _member_code(role):
    def kwargs(world):
        from accounts.models import Membership

        return {"code": Membership.objects.get(user=world.users["a"][role]).code}

    return kwargs


def _node_code(name):
    return lambda world: {"code": world.nodes["a"][name].code}


def _credentials(email, password=PASSWORD):
    return lambda world: {"email": email, "password": password}


ROWS = [
    # the signed-in user
    Row("api-me", "anon", 403),
    *[Row("api-me", r, 200) for r in MEMBERS],
    # users: lists are cut by visibility; details of the unseen are 404
    Row("api-users-list", "anon", 403),
    *[Row("api-users-list", r, 200) for r in MEMBERS],
    Row("api-users-detail", "anon", 403, kwargs=_member_code("rep")),
    *[Row("api-users-detail", r, 200, kwargs=_member_code("rep"))
      for r in ("rep", "manager", "analyst", "admin", "data_steward", "finance")],
    Row("api-users-detail", "rep2", 404, kwargs=_member_code("rep")),
    Row("api-users-detail", "manager", 404, kwargs=_member_code("rep2")),
    Row("api-users-detail", "b_admin", 404, kwargs=_member_code("rep")),
    Row("api-users-detail", "b_rep", 404, kwargs=_member_code("rep")),
    # organisation nodes
    Row("api-org-nodes-list", "anon", 403),
    *[Row("api-org-nodes-list", r, 200) for r in MEMBERS],
    Row("api-org-nodes-detail", "anon", 403, kwargs=_node_code("t1")),
    *[Row("api-org-nodes-detail", r, 200, kwargs=_node_code("t1"))
      for r in ("rep", "manager", "analyst", "admin", "data_steward", "finance")],
    Row("api-org-nodes-detail", "rep2", 404, kwargs=_node_code("t1")),
    Row("api-org-nodes-detail", "rep", 404, kwargs=_node_code("district")),
    Row("api-org-nodes-detail", "manager", 404, kwargs=_node_code("t3")),
    Row("api-org-nodes-detail", "b_admin", 404, kwargs=_node_code("t1")),
    Row("api-org-nodes-detail", "b_rep", 404, kwargs=_node_code("t1")),
    Row("api-org-tree", "anon", 403),
    *[Row("api-org-tree", r, 200) for r in MEMBERS],
    Row("api-org-tree", "analyst", 400, query="as_of=not-a-date"),
    # tokens: open to anyone with the right password; no GET
    Row("api-token", "anon", 200, method="post", data=_credentials("rep@a.test")),
    Row("api-token", "anon", 400, method="post", data=_credentials("rep@a.test", "wrong-password-1")),
    Row("api-token", "rep", 200, method="post", data=_credentials("rep@a.test")),
    Row("api-token", "anon", 405),
    # schema and docs: any signed-in user
    Row("api-schema", "anon", 403),
    *[Row("api-schema", r, 200) for r in ("rep", "admin", "b_admin")],
    Row("api-docs", "anon", 302),
    *[Row("api-docs", r, 200) for r in ("rep", "admin", "b_admin")],
]
