"""Import pages and API: upload, the job page with its polled progress (HTTP 286 when done),
the error CSV (formula cells neutralised, UTF-8 with BOM), templates, the list's query count,
the size limit before reading, tenant isolation, and one run on a real Celery worker."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from customers.models import Hcp, ImportJob
from customers.services.imports import import_job_create, import_run
from customers.services.imports.progress import progress_get, progress_set
from tests.helpers import assert_max_queries

from .test_imports import csv_bytes

pytestmark = pytest.mark.usefixtures("english")

HCPS = csv_bytes([["外部编码", "姓名", "机构编码", "手机"], ["D700", "张伟", "H001", "13800138000"],
                  ["D701", "李娜", "H001", "123"]])


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _client(client, world, role="admin", tenant="a"):
    client.force_login(world.users[tenant][role])
    return client


def _upload(content=HCPS, name="hcps.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _job(world, *, content=HCPS, run=False, **fields) -> ImportJob:
    with world.scope("a"):
        job = import_job_create(kind="hcps", mode="valid_rows", upload=_upload(content),
                                by=world.users["a"]["admin"].membership_row)
        if run:
            import_run(job_id=job.pk)
        if fields:
            ImportJob.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
    return job


# --------------------------------------------------------------------------- pages


def test_upload_page_creates_a_job_and_shows_its_page(client, world, customers, media):
    c = _client(client, world, "data_steward")
    assert c.get(reverse("customers:import_new")).status_code == 200
    response = c.post(reverse("customers:import_new"), {"kind": "hcps", "mode": "valid_rows", "file": _upload()})
    assert response.status_code == 302
    with world.scope("a"):
        job = ImportJob.objects.get()
    assert response["Location"] == reverse("customers:import_detail", kwargs={"code": job.code})
    assert (job.kind, job.mode, job.state, job.original_name) == ("hcps", "valid_rows", "queued", "hcps.csv")
    page = c.get(response["Location"]).content.decode()
    assert "Waiting for a worker to start" in page
    assert f'hx-get="{reverse("customers:import_progress", kwargs={"code": job.code})}"' in page
    assert 'hx-trigger="every 1s"' in page


def test_a_refused_upload_keeps_the_choices_and_says_why(client, world, media):
    c = _client(client, world)
    response = c.post(reverse("customers:import_new"),
                      {"kind": "institutions", "mode": "all_or_nothing", "file": _upload(b"foo,bar\n1,2\n")})
    assert response.status_code == 400
    form = response.context["form"]
    assert "No known column headers" in form.errors["file"][0]
    assert (form["kind"].value(), form["mode"].value()) == ("institutions", "all_or_nothing")
    with world.scope("a"):
        assert not ImportJob.objects.exists()


def test_the_job_page_polls_progress_then_shows_the_result_with_286(client, world, customers, media):
    job = _job(world)
    c = _client(client, world)
    url = reverse("customers:import_progress", kwargs={"code": job.code})
    # While the worker runs, its own transaction is open: the page reads the cache.
    with world.scope("a"):
        progress_set(job, state="validating", processed=50, total=100)
    running = c.get(url, HTTP_HX_REQUEST="true")
    assert running.status_code == 200
    body = running.content.decode()
    assert 'aria-valuenow="45"' in body and "50 of about 100 rows checked." in body
    with world.scope("a"):
        progress_set(job, state="importing", processed=100, total=100)
    assert "rows are checked; writing them" in c.get(url).content.decode()
    with world.scope("a"):
        import_run(job_id=job.pk)
    done = c.get(url, HTTP_HX_REQUEST="true")
    assert done.status_code == 286
    body = done.content.decode()
    assert "hx-trigger" not in body
    assert "is not a mobile phone number" in body and "Download the errors (CSV)" in body
    page = c.get(reverse("customers:import_detail", kwargs={"code": job.code})).content.decode()
    assert "Done" in page and "hx-get" not in page


def test_progress_keys_carry_the_tenant(world, customers, media):
    job = _job(world)
    with world.scope("a"):
        progress_set(job, state="validating", processed=7, total=9)
        assert progress_get(job)["processed"] == 7
    with world.scope("b"):
        assert progress_get(job) is None


def test_error_csv_is_utf8_with_bom_and_neutralises_formulas(client, world, customers, media):
    job = _job(world, errors=[
        {"row": 2, "column": "=HYPERLINK(\"http://evil\")", "message": "+1 bad"},
        {"row": 3, "column": "-2", "message": "@SUM(A1)"},
        {"row": 4, "column": "手机", "message": "“123” is not a mobile phone number."}], state="done")
    response = _client(client, world).get(reverse("customers:import_errors_csv", kwargs={"code": job.code}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines == ["Row,Column,Message", "2,\"'=HYPERLINK(\"\"http://evil\"\")\",'+1 bad", "3,'-2,'@SUM(A1)",
                     "4,手机,“123” is not a mobile phone number."]


def test_templates_give_the_headers_in_the_page_language(client, world):
    c = _client(client, world)
    english = c.get(reverse("customers:import_template", kwargs={"kind": "hcps"})).content.decode("utf-8-sig")
    assert english.splitlines()[0].startswith("external_code,name,institution_code,department")
    from accounts.models import User

    User.objects.filter(pk=world.users["a"]["admin"].pk).update(language="zh-hans")
    chinese = c.get(reverse("customers:import_template", kwargs={"kind": "alignments"}),
                    HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode("utf-8-sig")
    assert chinese.splitlines()[0] == "客户编码,客户类型,辖区,产品线,开始日期,结束日期"
    assert c.get(reverse("customers:import_template", kwargs={"kind": "nothing"})).status_code == 404


def test_import_list_shows_the_tenants_imports_newest_first_with_flat_queries(client, world, customers, media):
    c = _client(client, world)
    url = reverse("customers:import_list")

    def make(n):
        with world.scope("a"):
            ImportJob.objects.bulk_create([
                ImportJob(kind="hcps", file=f"x/{i}.csv", original_name=f"file-{i}.csv",
                          created_by=world.users["a"]["admin"].membership_row) for i in range(n)])

    make(3)
    c.get(url)  # warm the session and the navigation
    with assert_max_queries(12) as few:
        assert c.get(url).status_code == 200
    make(40)
    with assert_max_queries(len(few.captured_queries)):
        response = c.get(url)
    assert response.context["page"].paginator.count == 43
    assert len(response.context["page"].object_list) == 25
    # Tenant B's admin sees none of them.
    b = _client(client, world, "admin", "b")
    assert b.get(url).context["page"].paginator.count == 0


def test_b_admin_gets_404_on_a_job_of_a(client, world, customers, media):
    job = _job(world, run=True)
    b = _client(client, world, "admin", "b")
    for name in ("customers:import_detail", "customers:import_progress", "customers:import_errors_csv"):
        assert b.get(reverse(name, kwargs={"code": job.code})).status_code == 404
    assert b.get(reverse("api-customers-imports-detail", kwargs={"code": job.code})).status_code == 404


# --------------------------------------------------------------------------- size limit


def test_an_upload_over_the_limit_is_refused_from_its_length_before_it_is_read(client, world, media):
    c = _client(client, world)
    response = c.post(reverse("customers:import_new"), {"kind": "hcps", "mode": "valid_rows", "file": _upload()},
                      CONTENT_LENGTH=str(60 * 1024 * 1024))
    assert response.status_code == 413
    assert "The file is larger than 50 MB" in response.content.decode()
    api = c.post(reverse("api-customers-imports-list"), {"kind": "hcps", "file": _upload()},
                 CONTENT_LENGTH=str(60 * 1024 * 1024))
    assert api.status_code == 413
    assert api.json() == {"file": ["The file is larger than 50 MB: split it into smaller files."]}
    with world.scope("a"):
        assert not ImportJob.objects.exists()


def test_an_upload_stream_over_the_limit_is_not_stored(client, world, media, monkeypatch):
    from customers.views import imports as views

    monkeypatch.setattr(views, "MAX_BYTES", 10)
    monkeypatch.setattr(views, "BODY_SLACK", 10_000_000)  # the length check passes: the handler must stop it
    c = _client(client, world)
    response = c.post(reverse("customers:import_new"), {"kind": "hcps", "mode": "valid_rows", "file": _upload()})
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["The file is larger than 50 MB: split it into smaller files."]
    with world.scope("a"):
        assert not ImportJob.objects.exists()


# --------------------------------------------------------------------------- API


def test_api_upload_answers_202_then_the_job_has_counts_and_errors(client, world, customers, media):
    c = _client(client, world, "data_steward")
    response = c.post(reverse("api-customers-imports-list"), {"kind": "hcps", "mode": "valid_rows", "file": _upload()})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["state"] == "queued" and body["kind"] == "hcps"
    with world.scope("a"):
        job = ImportJob.objects.get(code=body["code"])
        import_run(job_id=job.pk)
    detail = c.get(reverse("api-customers-imports-detail", kwargs={"code": body["code"]})).json()
    assert detail["state"] == "done"
    assert (detail["created_rows"], detail["updated_rows"], detail["unchanged_rows"], detail["error_rows"]) == (1, 0, 0, 1)
    assert detail["errors"] == [{"row": 3, "column": "手机",
                                 "message": "“123” is not a mobile phone number (11 digits starting with 1)."}]
    assert detail["progress"] is None
    assert "id" not in detail and "id" not in detail["created_by"]
    listing = c.get(reverse("api-customers-imports-list")).json()
    assert [j["code"] for j in listing["results"]] == [body["code"]]


def test_api_upload_errors_name_the_field(client, world, media):
    c = _client(client, world)
    response = c.post(reverse("api-customers-imports-list"), {"kind": "hcps", "file": _upload(b"")})
    assert response.status_code == 400
    assert response.json() == {"file": ["The submitted file is empty."]}
    response = c.post(reverse("api-customers-imports-list"),
                      {"kind": "hcps", "file": _upload(csv_bytes([["外部编码", "姓名"]]))})
    assert response.json() == {"file": ["The file has no column for: 机构编码 / institution_code."]}
    response = c.post(reverse("api-customers-imports-list"), {"kind": "people", "file": _upload()})
    assert list(response.json()) == ["kind"]


def test_api_is_for_admins_and_data_stewards(client, world, media):
    rep = _client(client, world, "rep")
    assert rep.post(reverse("api-customers-imports-list"), {"kind": "hcps", "file": _upload()}).status_code == 403
    with world.scope("a"):
        assert not ImportJob.objects.exists()


def test_schema_describes_the_import_endpoints(client, world):
    schema = _client(client, world).get(reverse("api-schema"), {"format": "json"}).json()
    assert "/api/v1/customers/imports/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/customers/imports/"]
    assert "/api/v1/customers/imports/{code}/" in schema["paths"]


# --------------------------------------------------------------------------- a real worker


@pytest.mark.celery
def test_an_upload_is_imported_by_a_real_worker(tworld, tcustomers, celery_worker_proc):
    with tworld.scope("a"), transaction.atomic():
        job = import_job_create(kind="hcps", mode="valid_rows", upload=_upload(), queue=celery_worker_proc,
                                by=tworld.users["a"]["data_steward"].membership_row)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with tworld.scope("a"), transaction.atomic():
                job.refresh_from_db()
            if job.is_finished:
                break
            time.sleep(0.5)
        assert job.state == ImportJob.State.DONE, job.message
        assert (job.created_rows, job.error_rows) == (1, 1)
        with tworld.scope("a"), transaction.atomic():
            assert Hcp.objects.get(external_code="D700").institution == tcustomers.i1
        with tworld.scope("b"), transaction.atomic():
            assert not Hcp.objects.filter(external_code="D700").exists()
    finally:
        job.file.delete(save=False)
