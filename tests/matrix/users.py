"""Rows for the tenant admin's user pages (accounts/urls_users.py)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from . import Row

MEMBERS = ("rep", "manager", "analyst", "data_steward", "finance")


def _rep(w):
    return {"code": w.users["a"]["rep"].membership_row.code}


def _import(w):
    from accounts.models import UserImport

    return {"code": UserImport.objects.create(filename="users.csv", sha256="0" * 64, encoding="utf-8").code}


def _rows(name, *, method="get", kwargs=None, admin=200, data=None, coded=False):
    rows = [Row(name, "anon", 302, method, kwargs, data)]
    rows += [Row(name, role, 403, method, kwargs, data) for role in MEMBERS]
    rows.append(Row(name, "admin", admin, method, kwargs, data))
    # The other tenant's admin: a tenant-A code is 404; pages without a code are their own.
    rows.append(Row(name, "b_admin", 404 if coded else admin, method, kwargs, data))
    return rows


def _new_user(w):
    return {"email": "matrix.new@a.test", "full_name": "Matrix New", "roles": ["rep"], "language": "",
            "send_invitation": "on"}


def _edit(w):
    return {"full_name": "rep a", "roles": ["rep"], "language": "", "employee_no": "", "phone": ""}


def _csv(w):
    return {"file": SimpleUploadedFile("u.csv", b"email,full_name,roles\nmatrix.csv@a.test,CSV User,rep\n"),
            "send_invitations": ""}


ROWS = [
    *_rows("users:list"),
    *_rows("users:create"),
    *_rows("users:create", method="post", data=_new_user, admin=302),
    *_rows("users:import"),
    *_rows("users:import", method="post", data=_csv, admin=302),
    *_rows("users:import_result", kwargs=_import, coded=True),
    *_rows("users:detail", kwargs=_rep, coded=True),
    *_rows("users:edit", kwargs=_rep, coded=True),
    *_rows("users:edit", method="post", kwargs=_rep, data=_edit, admin=302, coded=True),
    *_rows("users:deactivate", method="post", kwargs=_rep, admin=302, coded=True),
    *_rows("users:activate", method="post", kwargs=_rep, admin=302, coded=True),
    *_rows("users:reset_password", method="post", kwargs=_rep, admin=302, coded=True),
    *_rows("users:resend_invitation", method="post", kwargs=_rep, admin=302, coded=True),
]
