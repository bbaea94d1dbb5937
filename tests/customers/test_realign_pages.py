"""The realignment pages: prepare by each method, the preview table and item list, apply and
cancel, bad input kept with the reason beside the field, admins only, flat query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from customers.models import Alignment, Hcp, Institution, RealignmentBatch, RealignmentItem
from customers.services.alignment import align
from customers.services.realignment import realignment_by_geography, realignment_by_institution
from tests.helpers import count_queries

from .factories import make_hcp, make_institution

pytestmark = pytest.mark.usefixtures("english")


def _today(world):
    return world.tenants["a"].today()


def _admin_client(client, world):
    client.force_login(world.users["a"]["admin"])
    return client


def _base(world, customers, **extra):
    return {"name": "", "product_line": str(customers.line.code),
            "effective_date": (_today(world) + dt.timedelta(days=3)).isoformat(), **extra}


def _new(client, **data):
    return client.post(reverse("customers:realignment_new"), data)


def _batch():
    return RealignmentBatch.objects.get()


def test_prepare_by_geography_then_the_preview_shows_gains_and_losses(client, world, customers):
    client = _admin_client(client, world)
    response = _new(client, **_base(world, customers, method="geography", province="上海市",
                                    territory=str(world.nodes["a"]["t3"].code)))
    with world.scope("a"), transaction.atomic():
        batch = _batch()
    assert response.status_code == 302 and response["Location"] == reverse("customers:realignment_detail",
                                                                           kwargs={"code": batch.code})
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Impact per territory" in html and "table-responsive-cards" in html
    assert "5 items: 3 institutions and 2 HCPs; 2 more HCPs move with their institution." in html
    # 朝阳一区: 1 → 4 institutions (+3), 1 → 5 HCPs (+4)
    row = re.search(r"朝阳一区</th>(.*?)</tr>", html, re.S).group(1)
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in row.split("</td>")[:5]]
    assert cells[0].startswith("1 → 4 +3") and cells[1].startswith("1 → 5 +4")
    assert "Apply" in html and "Cancel the batch" in html


def test_prepare_by_institution_prefilled_from_the_list(client, world, customers):
    client = _admin_client(client, world)
    page = client.get(reverse("customers:realignment_new") + "?method=institution&institutions=H001&institutions=H002")
    assert "H001\nH002" in page.content.decode()
    response = _new(client, **_base(world, customers, method="institution", institutions="H001, H002",
                                    territory=str(world.nodes["a"]["t1"].code)))
    assert response.status_code == 302
    with world.scope("a"), transaction.atomic():
        assert RealignmentItem.objects.filter(batch=_batch()).count() == 1  # H001 is in 浦东一区 already


def test_prepare_by_rule(client, world, customers):
    client = _admin_client(client, world)
    assert "HCP specialties" in client.get(reverse("customers:realignment_new") + "?method=rule").content.decode()
    response = _new(client, **_base(world, customers, method="rule", level="hcp", specialties=["cardiology"],
                                    province="上海市", territory=str(world.nodes["a"]["t2"].code)))
    assert response.status_code == 302
    with world.scope("a"), transaction.atomic():
        assert _batch().criteria["specialties"] == ["cardiology"]
        assert RealignmentItem.objects.filter(batch=_batch(), hcp__isnull=False).count() == 4  # not 王芳, at t2


def test_rule_with_a_specialty_for_institutions_is_refused_beside_the_field(client, world, customers):
    client = _admin_client(client, world)
    response = _new(client, **_base(world, customers, method="rule", level="institution", specialties=["oncology"],
                                    territory=str(world.nodes["a"]["t2"].code)))
    html = response.content.decode()
    assert response.status_code == 200
    assert "A specialty belongs to HCPs" in html
    assert re.search(r'value="oncology"[^>]*checked', html)  # what was typed stays


def test_prepare_from_a_file(client, world, customers):
    client = _admin_client(client, world)
    upload = SimpleUploadedFile("moves.csv", "客户编码,辖区,操作\nD001,浦西二区,move\n".encode("gb18030"))
    response = _new(client, **_base(world, customers, method="file"), file=upload)
    assert response.status_code == 302
    with world.scope("a"), transaction.atomic():
        assert _batch().criteria == {"filename": "moves.csv", "rows": 1}


def test_a_file_with_a_bad_row_is_refused_whole_with_the_row_number(client, world, customers):
    client = _admin_client(client, world)
    upload = SimpleUploadedFile("moves.csv", b"code,territory,action\nD001,\xe6\xb5\xa6\xe8\xa5\xbf\xe4\xba\x8c\xe5\x8c\xba,move\n"
                                             b"NOPE,\xe6\xb5\xa6\xe8\xa5\xbf\xe4\xba\x8c\xe5\x8c\xba,move\n")
    response = _new(client, **_base(world, customers, method="file", name="坏文件"), file=upload)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Row 3: no HCP or institution has the external code “NOPE”." in html
    assert 'value="坏文件"' in html
    with world.scope("a"), transaction.atomic():
        assert not RealignmentBatch.objects.exists()


def test_a_past_effective_date_is_refused_naming_the_field(client, world, customers):
    client = _admin_client(client, world)
    yesterday = (_today(world) - dt.timedelta(days=1)).isoformat()
    response = _new(client, **{**_base(world, customers, method="geography", province="上海市", name="太早",
                                       territory=str(world.nodes["a"]["t3"].code)), "effective_date": yesterday})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The effective date cannot be in the past" in html
    assert re.search(r'id="id_effective_date"[^>]*is-invalid|is-invalid[^>]*id="id_effective_date"', html)
    assert 'value="太早"' in html and 'value="上海市"' in html
    with world.scope("a"), transaction.atomic():
        assert not RealignmentBatch.objects.exists()


def test_apply_through_the_page_with_a_future_date(client, world, customers):
    client = _admin_client(client, world)
    day = _today(world) + dt.timedelta(days=3)
    with world.scope("a"), transaction.atomic():
        batch = realignment_by_geography(product_line=customers.line, effective_date=day,
                                         territory=world.nodes["a"]["t3"], province="上海市",
                                         by=world.users["a"]["admin"].membership_row)
    url = reverse("customers:realignment_apply", kwargs={"code": batch.code})
    page = client.post(url, follow=True)
    html = page.content.decode()
    assert "5 alignments created, 4 ended, 0 future ones removed" in html
    assert "As computed when the batch was applied." in html
    again = client.post(url, follow=True).content.decode()
    assert "was applied already: nothing changed" in again
    rep = world.users["a"]["rep"]
    with world.scope("a"), transaction.atomic():
        assert Alignment.objects.filter(batch=batch).count() == 5
        assert set(Hcp.objects.visible_to(rep).values_list("name", flat=True)) == {"李娜", "张伟"}
        assert not Hcp.objects.visible_to(rep, on=day).exists()


def test_cancel_through_the_page(client, world, customers):
    client = _admin_client(client, world)
    with world.scope("a"), transaction.atomic():
        batch = realignment_by_institution(product_line=customers.line, effective_date=_today(world),
                                           territory=world.nodes["a"]["t3"], institutions=[customers.i1],
                                           by=world.users["a"]["admin"].membership_row)
    html = client.post(reverse("customers:realignment_cancel", kwargs={"code": batch.code}), follow=True).content.decode()
    assert "is cancelled" in html and "This batch is cancelled." in html
    html = client.post(reverse("customers:realignment_apply", kwargs={"code": batch.code}), follow=True).content.decode()
    assert "was not applied" in html
    with world.scope("a"), transaction.atomic():
        assert not Alignment.objects.filter(batch=batch).exists()


def test_non_admins_get_403_and_the_other_tenant_404(client, world, customers):
    with world.scope("a"), transaction.atomic():
        batch = realignment_by_institution(product_line=customers.line, effective_date=_today(world),
                                           territory=world.nodes["a"]["t3"], institutions=[customers.i1],
                                           by=world.users["a"]["admin"].membership_row)
    detail = reverse("customers:realignment_detail", kwargs={"code": batch.code})
    for role in ("rep", "manager", "analyst", "data_steward", "finance"):
        client.force_login(world.users["a"][role])
        assert client.get(reverse("customers:realignment_list")).status_code == 403
        assert client.get(detail).status_code == 403
        assert client.post(reverse("customers:realignment_apply", kwargs={"code": batch.code})).status_code == 403
    client.force_login(world.users["b"]["admin"])
    assert client.get(detail).status_code == 404
    assert client.post(reverse("customers:realignment_apply", kwargs={"code": batch.code})).status_code == 404
    with world.scope("a"), transaction.atomic():
        assert RealignmentBatch.objects.get().state == "draft"


def _grow(world, customers, n, start):
    """``n`` more Shanghai institutions in 浦东一区, each with an HCP of their own in 浦西二区."""
    for k in range(start, start + n):
        inst = make_institution(f"上海测试医院{k}", external_code=f"X{k:04d}")
        hcp = make_hcp(f"测试医生{k}", institution=inst, external_code=f"XD{k:04d}")
        align(customer=inst, territory=world.nodes["a"]["t1"], product_line=customers.line, start_date=_today(world))
        align(customer=hcp, territory=world.nodes["a"]["t2"], product_line=customers.line, start_date=_today(world))


def test_detail_and_list_query_counts_stay_flat_as_items_grow(client, world, customers):
    client = _admin_client(client, world)
    admin = world.users["a"]["admin"].membership_row

    def prepare():
        with world.scope("a"), transaction.atomic():
            return realignment_by_geography(product_line=customers.line, effective_date=_today(world),
                                            territory=world.nodes["a"]["t3"], province="上海市", by=admin)

    small = prepare()
    with world.scope("a"), transaction.atomic():
        _grow(world, customers, 60, 0)
    big = prepare()
    with world.scope("a"), transaction.atomic():
        assert RealignmentItem.objects.filter(batch=big).count() > 100 > RealignmentItem.objects.filter(batch=small).count()

    def detail(batch, page=1):
        return lambda: client.get(reverse("customers:realignment_detail", kwargs={"code": batch.code}) + f"?page={page}")

    client.get(reverse("customers:realignment_list"))  # warm the session
    assert count_queries(detail(small)) == count_queries(detail(big)) == count_queries(detail(big, 2))
    few = count_queries(lambda: client.get(reverse("customers:realignment_list")))
    for _ in range(30):
        prepare()
    assert count_queries(lambda: client.get(reverse("customers:realignment_list"))) == few
    html = client.get(reverse("customers:realignment_detail", kwargs={"code": big.code}) + "?page=2").content.decode()
    assert "Items 51–100 of" in html and "Previous" in html and "Next" in html


def test_list_shows_the_batches_and_filters_by_state(client, world, customers):
    client = _admin_client(client, world)
    with world.scope("a"), transaction.atomic():
        realignment_by_institution(name="北京调整", product_line=customers.line, effective_date=_today(world),
                                   territory=world.nodes["a"]["t1"], institutions=[customers.i3],
                                   by=world.users["a"]["admin"].membership_row)
    html = client.get(reverse("customers:realignment_list")).content.decode()
    assert "北京调整" in html and "1 institutions, 0 HCPs" in html and "By institution" in html
    assert "北京调整" not in client.get(reverse("customers:realignment_list") + "?state=applied").content.decode()


def test_pages_render_in_chinese(client, world, customers):
    client.force_login(world.users["a"]["admin"])
    with world.scope("a"), transaction.atomic():
        batch = realignment_by_institution(product_line=customers.line, effective_date=_today(world),
                                           territory=world.nodes["a"]["t3"], institutions=[customers.i1],
                                           by=world.users["a"]["admin"].membership_row)
        Institution.objects.filter(pk=customers.i1.pk).update(potential=1234567)
    for url in (reverse("customers:realignment_list"), reverse("customers:realignment_new"),
                reverse("customers:realignment_new") + "?method=file",
                reverse("customers:realignment_detail", kwargs={"code": batch.code})):
        assert client.get(url).status_code == 200
    assert "1,234,567" in client.get(reverse("customers:realignment_detail", kwargs={"code": batch.code})).content.decode()
