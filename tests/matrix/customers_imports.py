"""Imports: admins and data stewards only (other roles 403, anonymous to the sign-in page);
the other tenant's admin lists and uploads in their own tenant but gets 404 on tenant A's
jobs. Uploads in these rows carry a file with no known header (refused: 400), so no file is
stored."""

from __future__ import annotations

from . import Row

OTHERS = ("rep", "rep2", "manager", "analyst", "finance")
STAFF = ("admin", "data_steward")


def _job(w):
    from customers.models import ImportJob

    job = ImportJob.objects.create(kind=ImportJob.Kind.HCPS, mode=ImportJob.Mode.VALID_ROWS,
                                   file="matrix/hcps.csv", original_name="hcps.csv",
                                   created_by=w.users["a"]["admin"].membership_row,
                                   errors=[{"row": 2, "column": "手机", "message": "“123” is not a mobile phone number."}])
    return {"code": job.code}


def _kind(w):
    return {"kind": "hcps"}


def _upload(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"kind": "hcps", "mode": "valid_rows",
            "file": SimpleUploadedFile("unknown.csv", b"foo,bar\n1,2\n", content_type="text/csv")}


def _page(name, *, kwargs=None, method="get", data=None, ok=200, b_admin=404, api=False):
    return [
        Row(name, "anon", 403 if api else 302, method=method, kwargs=kwargs, data=data),
        *[Row(name, r, 403, method=method, kwargs=kwargs, data=data) for r in OTHERS],
        *[Row(name, r, ok, method=method, kwargs=kwargs, data=data) for r in STAFF],
        Row(name, "b_admin", b_admin, method=method, kwargs=kwargs, data=data),
        Row(name, "b_rep", 403, method=method, kwargs=kwargs, data=data),
    ]


ROWS = [
    *_page("customers:import_list", b_admin=200),
    *_page("customers:import_new", b_admin=200),
    *_page("customers:import_new", method="post", data=_upload, ok=400, b_admin=400),
    *_page("customers:import_template", kwargs=_kind, b_admin=200),
    *_page("customers:import_detail", kwargs=_job),
    *_page("customers:import_progress", kwargs=_job),
    *_page("customers:import_errors_csv", kwargs=_job),
    *_page("api-customers-imports-list", api=True, b_admin=200),
    *_page("api-customers-imports-list", method="post", data=_upload, api=True, ok=400, b_admin=400),
    *_page("api-customers-imports-detail", kwargs=_job, api=True),
]
