"""The API: shapes, filters, a fixed number of queries per list, the run trigger and its status."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.models import Hcp
from customers.segmentation.models import SegmentationRun
from customers.segmentation.services import recompute_now, rule_save, tier_pin
from tests.helpers import assert_max_queries

from .conftest import MATRIX


@pytest.fixture
def api(seg, client):
    client.force_login(seg.world.users["a"]["analyst"])
    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member(), name="心脑血管 HCP")
        run = recompute_now(product_line=seg.line, by=seg.member())
        hcp = Hcp.objects.get(pk=seg.hcp_ids[1]) if Hcp.objects.get(pk=seg.hcp_ids[1]).tier else Hcp.objects.filter(
            pk__in=seg.hcp_ids).exclude(tier="").first()
        tier_pin(customer=hcp, product_line=seg.line, tier="A", reason="院长", by=seg.member())
    return client, run, hcp


def test_rules_list_and_detail(seg, api):
    client, _run, _hcp = api
    rules = client.get(reverse("api-segmentation-rules-list")).json()["results"]
    assert len(rules) == 1 and rules[0]["method"] == "matrix" and rules[0]["version"] == 1
    assert rules[0]["product_line"] == {"code": str(seg.line.code), "name": "心脑血管"}
    detail = client.get(reverse("api-segmentation-rules-detail", kwargs={"code": rules[0]["code"]})).json()
    assert detail["definition"]["grid"] == MATRIX["grid"] and "potential" in detail["summary"]


def test_tiers_and_history_filter_by_customer_with_fixed_queries(seg, api):
    client, run, hcp = api
    url = reverse("api-segmentation-tiers-list")
    with assert_max_queries(10):
        page = client.get(url, {"product_line": str(seg.line.code), "page_size": 200}).json()
    with assert_max_queries(10):
        small = client.get(url, {"page_size": 5}).json()
    assert page["count"] == run.rows_changed and len(small["results"]) == 5 and small["next"]
    mine = client.get(url, {"hcp": str(hcp.code)}).json()["results"]
    assert len(mine) == 1 and mine[0]["tier"] == "A" and mine[0]["pin"]["reason"] == "院长"
    assert mine[0]["customer"] == {"kind": "hcp", "code": str(hcp.code), "name": hcp.name}
    history = client.get(reverse("api-segmentation-history-list"), {"hcp": str(hcp.code)}).json()["results"]
    assert [h["kind"] for h in history] == ["pinned", "computed"]
    assert history[1]["run"] == str(run.code) and history[1]["from_tier"] == ""
    with assert_max_queries(10):
        client.get(reverse("api-segmentation-history-list"), {"run": str(run.code), "page_size": 100})
    pins = client.get(reverse("api-segmentation-pins-list")).json()["results"]
    assert [p["customer"]["code"] for p in pins] == [str(hcp.code)]
    assert client.get(url, {"hcp": "not-a-code"}).status_code == 400


def test_a_run_is_requested_and_polled(seg, api, django_capture_on_commit_callbacks):
    client, _run, _hcp = api
    url = reverse("api-segmentation-runs-list")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, {"product_line": str(seg.line.code)}, content_type="application/json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["progress"]["finished"] is False and len(callbacks) == 1
    detail = client.get(reverse("api-segmentation-runs-detail", kwargs={"code": body["code"]})).json()
    assert detail["code"] == body["code"] and detail["progress"]["percent"] == 0
    runs = client.get(url).json()["results"]
    assert [r["status"] for r in runs] == ["queued", "succeeded"]
    with seg.world.scope("a"):
        assert SegmentationRun.objects.count() == 2


def test_bad_run_requests_name_the_field(seg, api, english):
    client, _run, _hcp = api
    url = reverse("api-segmentation-runs-list")
    bad = client.post(url, {"product_line": str(seg.line2.code)}, content_type="application/json")
    assert bad.status_code == 400 and "product_line" in bad.json()
    other = client.post(url, {"product_line": str(seg.b_line.code)}, content_type="application/json")
    assert other.status_code == 400 and "catalogue" in other.json()["product_line"][0]
    wrong = client.post(url, {"purpose": "everything"}, content_type="application/json")
    assert wrong.status_code == 400 and "purpose" in wrong.json()
