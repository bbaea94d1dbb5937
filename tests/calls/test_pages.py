"""The call pages: logging by the form (idempotent by its code, errors keep what was typed,
offline replays answered in JSON), visibility on list and detail, editing, locking, tasks,
admin pages, and query counts that do not grow with the data."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, FollowUp
from calls.models.calls import CallStatus
from tests.helpers import assert_max_queries, count_queries

from .conftest import submit

pytestmark = pytest.mark.usefixtures("english")


def _post(cw, code=None, action="submit", **over):
    raw = cw.raw(**over)
    at = timezone.localtime(dt.datetime.fromisoformat(raw["at"])).strftime("%Y-%m-%dT%H:%M")
    data = {"code": str(code or uuid.uuid4()), "call_type": raw["call_type"], "hcp": raw["hcp"], "at": at,
            "notes": raw["notes"], "next_step": raw["next_step"], "action": action}
    for i, p in enumerate(raw["products"], start=1):
        data[f"product_{i}"] = p["brand"]
        data[f"messages_{i}"] = p["messages"]
    for key in ("institution", "attendees", "co_visitor", "checkin_lat", "checkin_lng", "reason"):
        if key in over:
            data[key] = over[key]
    return data


def test_the_rep_logs_a_call_by_the_form_and_a_second_post_makes_no_second_call(cw, login):
    client = login(cw.user())
    data = _post(cw)
    response = client.post(reverse("calls:call_new"), data)
    assert response.status_code == 302
    response = client.post(reverse("calls:call_new"), data)
    assert response.status_code == 302
    with cw.world.scope("a"):
        call = Call.objects.get()
        assert call.status == CallStatus.SUBMITTED and call.products.count() == 2
        assert response.url == reverse("calls:call_detail", kwargs={"code": call.code})
    page = client.get(response.url)
    assert "立普妥" in page.content.decode() and "每日一次" in page.content.decode()


def test_a_refused_form_keeps_what_was_typed_and_names_the_field(cw, login):
    client = login(cw.user())
    data = _post(cw, hcp=str(cw.c.h3.code), notes="保留这段笔记")
    response = client.post(reverse("calls:call_new"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "You do not see this HCP on the day of the call." in body and "保留这段笔记" in body
    assert f'value="{data["code"]}"' in body and f'value="{cw.km["b1a"].code}" id="m1-{cw.km["b1a"].code}" checked' in body
    with cw.world.scope("a"):
        assert not Call.objects.exists()


def test_an_offline_replay_is_answered_in_json(cw, login):
    client = login(cw.user())
    data = _post(cw)
    ok = client.post(reverse("calls:call_new"), data, HTTP_X_OFFLINE_REPLAY="1", HTTP_X_OFFLINE_QUEUED="1")
    again = client.post(reverse("calls:call_new"), data, HTTP_X_OFFLINE_REPLAY="1", HTTP_X_OFFLINE_QUEUED="1")
    assert ok.status_code == again.status_code == 200
    assert ok.json()["ok"] and ok.json()["code"] == data["code"] == again.json()["code"]
    bad = client.post(reverse("calls:call_new"), _post(cw, at="2099-01-01T10:00:00+08:00"), HTTP_X_OFFLINE_REPLAY="1")
    assert bad.status_code == 400 and not bad.json()["ok"] and "at" in bad.json()["errors"]
    online = _post(cw)  # the form's script sends an online submit the same way, not from the queue
    assert client.post(reverse("calls:call_new"), online, HTTP_X_OFFLINE_REPLAY="1").json()["ok"]
    with cw.world.scope("a"):
        assert Call.objects.get(code=data["code"]).source == "offline"
        assert Call.objects.get(code=online["code"]).source == "web"


def test_a_draft_is_saved_and_later_submitted(cw, login):
    client = login(cw.user())
    data = _post(cw, action="draft")
    client.post(reverse("calls:call_new"), data)
    with cw.world.scope("a"):
        call = Call.objects.get()
        assert call.status == CallStatus.DRAFT
    form = client.get(reverse("calls:call_edit", kwargs={"code": call.code}))
    assert form.status_code == 200 and "Save draft" in form.content.decode()
    data["action"] = "submit"
    assert client.post(reverse("calls:call_edit", kwargs={"code": call.code}), data).status_code == 302
    with cw.world.scope("a"):
        assert Call.objects.get().status == CallStatus.SUBMITTED and Call.objects.count() == 1


def test_editing_a_submitted_call_asks_for_a_reason_and_a_locked_one_is_read_only(cw, login):
    with cw.world.scope("a"):
        call = submit(cw)
    client = login(cw.user())
    url = reverse("calls:call_edit", kwargs={"code": call.code})
    assert "Why do you change" in client.get(url).content.decode()
    data = _post(cw, code=call.code, notes="新的")
    refused = client.post(url, data)
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    data["reason"] = "补充"
    assert client.post(url, data).status_code == 302
    with cw.world.scope("a"):
        assert Call.objects.get().edit_count == 1
        Call.objects.update(locked_at=timezone.now())
    locked = client.get(url)
    assert locked.status_code == 200 and "can no longer be changed" in locked.content.decode()
    assert client.post(url, data).status_code == 200
    with cw.world.scope("a"):
        assert Call.objects.get().notes == "新的"


def test_visibility_of_list_and_detail(cw, login, client):
    with cw.world.scope("a"):
        mine = submit(cw)
        theirs = submit(cw, role="rep2", hcp=str(cw.c.h3.code))
    detail = lambda c: reverse("calls:call_detail", kwargs={"code": c.code})  # noqa: E731
    expect = {"rep": ({mine}, {theirs}), "rep2": ({theirs}, {mine}), "manager": ({mine}, {theirs}),
              "analyst": ({mine, theirs}, set()), "admin": ({mine, theirs}, set())}
    for role, (seen, unseen) in expect.items():
        c = login(cw.user(role))
        body = c.get(reverse("calls:call_list")).content.decode()
        for call in seen:
            assert str(call.code) in body, role
            assert c.get(detail(call)).status_code == 200, role
        for call in unseen:
            assert str(call.code) not in body, role
            assert c.get(detail(call)).status_code == 404, role
    other = login(cw.user("admin", "b"))
    assert other.get(detail(mine)).status_code == 404
    assert str(mine.code) not in other.get(reverse("calls:call_list")).content.decode()


def test_the_manager_sees_the_far_flag_and_filters_flagged_calls(cw, login):
    from calls.services import settings_update

    from .conftest import FAR_LAT, FAR_LNG

    with cw.world.scope("a"):
        settings_update(checkin="optional")
        far = submit(cw, checkin_lat=FAR_LAT, checkin_lng=FAR_LNG)
        near = submit(cw)
    client = login(cw.user("manager"))
    body = client.get(reverse("calls:call_list") + "?flagged=1&who=team").content.decode()
    assert str(far.code) in body and str(near.code) not in body and "Far from the institution" in body
    assert "m from the institution" in client.get(reverse("calls:call_detail", kwargs={"code": far.code})).content.decode()


def _list_queries(client, url) -> int:
    return count_queries(lambda: client.get(url))


def _many(cw, n):
    for _ in range(n):
        submit(cw, call_type="group", hcp="", institution=str(cw.c.i1.code),
               attendees=[str(cw.c.zw.code), str(cw.c.h1.code)])
    return Call.objects.order_by("-id").first()


def test_list_and_detail_queries_do_not_grow_with_the_data(cw, login):
    client = login(cw.user("manager"))
    list_url = reverse("calls:call_list") + "?who=team&flagged="
    with cw.world.scope("a"):
        last = _many(cw, 26)  # more than a page: the capped count runs too
    detail = lambda c: reverse("calls:call_detail", kwargs={"code": c.code})  # noqa: E731
    few_list, few_detail = _list_queries(client, list_url), _list_queries(client, detail(last))
    with cw.world.scope("a"):
        last = _many(cw, 40)
    assert _list_queries(client, list_url) == few_list
    assert _list_queries(client, detail(last)) == few_detail
    with assert_max_queries(16):  # 10 of them the base page: session, tenant, navigation badges
        assert client.get(list_url).status_code == 200
    with assert_max_queries(16):  # 10 of them the base page: session, tenant, navigation badges
        assert client.get(detail(last)).status_code == 200


def test_the_call_list_uses_a_tenant_index(cw):
    from calls import selectors
    from tests.helpers import assert_uses_tenant_index

    with cw.world.scope("a"):
        assert_uses_tenant_index(selectors.call_list(cw.user("rep"), {"who": "mine"}))


def test_the_form_renders_and_the_hcp_search_finds_only_what_the_rep_sees(cw, login):
    client = login(cw.user())
    form = client.get(reverse("calls:call_new") + f"?hcp={cw.c.zw.code}")
    body = form.content.decode()
    assert form.status_code == 200 and "data-offline-queue" in body and 'name="code"' in body
    assert f'<option value="{cw.c.zw.code}" selected>' in body and "上海市第一人民医院" in body
    found = client.get(reverse("calls:hcp_options") + "?q=liu").content.decode()  # 刘洋 is rep2's
    assert "刘洋" not in found
    assert "李娜" in client.get(reverse("calls:hcp_options") + "?q=li").content.decode()
    other = client.get(reverse("calls:call_new") + f"?hcp={cw.c.h3.code}").content.decode()
    assert f'value="{cw.c.h3.code}" selected' not in other


def test_tasks_list_add_and_done(cw, login):
    with cw.world.scope("a"):
        call = submit(cw)
        task = FollowUp.objects.get(call=call)
    client = login(cw.user())
    assert "送文献" in client.get(reverse("calls:task_list")).content.decode()
    assert client.post(reverse("calls:task_list"), {"title": ""}).status_code == 400
    assert client.post(reverse("calls:task_list"), {"title": "寄样品"}).status_code == 302
    assert client.post(reverse("calls:task_done", kwargs={"code": task.code})).status_code == 302
    assert login(cw.user("rep2")).post(reverse("calls:task_done", kwargs={"code": task.code})).status_code == 404
    with cw.world.scope("a"):
        assert FollowUp.objects.get(pk=task.pk).done_at is not None and FollowUp.objects.count() == 2
    manager = login(cw.user("manager"))
    assert "寄样品" in manager.get(reverse("calls:task_list") + "?who=team").content.decode()


def test_admin_settings_and_key_messages(cw, login):
    from calls.models import CallSettings, KeyMessage

    client = login(cw.user("admin"))
    assert client.get(reverse("calls:settings")).status_code == 200
    bad = client.post(reverse("calls:settings"), {"lock_after_days": "0", "checkin": "off", "far_distance_m": "1000",
                                                   "late_hours": "24"})
    assert bad.status_code == 400 and "lock_after_days" in bad.context["form"].errors
    ok = client.post(reverse("calls:settings"), {"lock_after_days": "5", "checkin": "optional", "far_distance_m": "800",
                                                  "late_hours": "12"})
    assert ok.status_code == 302
    page = client.get(reverse("calls:key_messages")).content.decode()
    assert "每日一次" in page
    assert client.post(reverse("calls:key_messages"), {"brand": str(cw.brand1.code), "text": "每日一次"}).status_code == 400
    assert client.post(reverse("calls:key_messages"), {"brand": str(cw.brand1.code), "text": "安全性好"}).status_code == 302
    change = reverse("calls:key_message_change", kwargs={"code": cw.km["b1b"].code})
    client.post(change, {"op": "up"})
    client.post(change, {"op": "deactivate"})
    with cw.world.scope("a"):
        s = CallSettings.objects.get()
        assert (s.lock_after_days, s.checkin, s.far_distance_m) == (5, "optional", 800)
        order = list(KeyMessage.objects.filter(brand=cw.brand1).order_by("position").values_list("text", "is_active"))
        assert order == [("降低LDL-C", False), ("每日一次", True), ("安全性好", True)]


def test_pages_work_in_chinese(cw, login):
    from accounts.models import User

    User.objects.filter(pk=cw.user().pk).update(language="zh-hans")
    client = login(cw.user())
    client.cookies.load({"sfe_language": "zh-hans"})
    for url in (reverse("calls:call_list"), reverse("calls:call_new"), reverse("calls:task_list")):
        response = client.get(url)
        assert response.status_code == 200 and 'lang="zh-CN"' in response.content.decode()
