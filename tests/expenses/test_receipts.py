"""Receipts on the claim page: the rep uploads a photo or PDF while the claim is a draft; it is
served with its stored type, inline and ``nosniff``, to whoever sees the claim and to nobody
else (an unrelated rep, the other tenant: 404); a renamed executable is refused by content."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from expenses.models import Receipt

pytestmark = pytest.mark.usefixtures("english")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _login(client, spend, role, tenant="a"):
    client.force_login(spend.world.users[tenant][role])
    return client


def _upload(client, claim, name, data):
    return client.post(reverse("expenses:receipt_upload", kwargs={"code": claim.code}),
                       {"file": SimpleUploadedFile(name, data, content_type="image/jpeg")})


def test_rep_uploads_a_photo_served_inline_with_its_type_to_those_who_see_the_claim(spend, client):
    with spend.world.scope("a"):
        claim = spend.claim(spend.line(amount="300"))
    _login(client, spend, "rep")
    assert _upload(client, claim, "发票.png", PNG).status_code == 302
    with spend.world.scope("a"):
        receipt = Receipt.objects.get(claim=claim)
        assert receipt.content_type == "image/png" and receipt.file.name.startswith(f"t{spend.world.tenants['a'].pk}")
    url = reverse("expenses:receipt_download", kwargs={"code": receipt.code})
    assert url in client.get(reverse("expenses:claim_detail", kwargs={"code": claim.code})).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    # a draft: nobody else sees it
    for role, tenant in (("manager", "a"), ("finance", "a"), ("rep2", "a"), ("admin", "b"), ("rep", "b")):
        assert _login(client, spend, role, tenant).get(url).status_code == 404, (role, tenant)
    # submitted: the manager and finance see it; rep2 and tenant B still not
    with spend.world.scope("a"):
        from expenses.services import claim_submit

        claim_submit(claim=claim, by=spend.m("rep"))
    for role in ("manager", "finance"):
        assert _login(client, spend, role).get(url).status_code == 200
    for role, tenant in (("rep2", "a"), ("admin", "b"), ("rep", "b")):
        assert _login(client, spend, role, tenant).get(url).status_code == 404, (role, tenant)


def test_a_renamed_executable_is_refused_with_a_message_and_nothing_stored(spend, client):
    with spend.world.scope("a"):
        claim = spend.claim(spend.line(amount="300"))
    response = _upload(_login(client, spend, "rep"), claim, "receipt.jpg", EXE)
    assert response.status_code == 400
    assert "is not a photo (JPEG, PNG, WebP, HEIC) or a PDF" in response.content.decode()
    with spend.world.scope("a"):
        assert not Receipt.objects.exists()


def test_only_the_rep_adds_and_removes_receipts_while_the_claim_is_editable(spend, client):
    with spend.world.scope("a"):
        claim = spend.claim(spend.line(amount="300"))
    _login(client, spend, "rep")
    assert _upload(client, claim, "invoice.pdf", PDF).status_code == 302
    with spend.world.scope("a"):
        receipt = Receipt.objects.get()
        assert receipt.content_type == "application/pdf"
    remove = reverse("expenses:receipt_remove", kwargs={"code": receipt.code})
    assert _login(client, spend, "rep2").post(remove).status_code == 404
    assert _upload(client, claim, "x.png", PNG).status_code == 404
    assert _login(client, spend, "rep", "b").post(remove).status_code == 404
    assert _login(client, spend, "rep").post(remove).status_code == 302
    with spend.world.scope("a"):
        assert not Receipt.objects.exists()
        from expenses.services import claim_submit

        claim_submit(claim=claim, by=spend.m("rep"))
    # submitted: the manager sees the claim but cannot add; the rep is refused with the reason
    assert _upload(_login(client, spend, "manager"), claim, "x.png", PNG).status_code == 403
    response = _upload(_login(client, spend, "rep"), claim, "x.png", PNG)
    assert response.status_code == 400 and "while the claim is a draft or sent back" in response.content.decode()
