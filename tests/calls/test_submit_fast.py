"""``calls.services.fast``: a new call in two statements writes exactly what the general path
writes, and everything out of the common case (or refused) goes the general way, which words
the refusal as before."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, CallAttendee, CallMessage, CallProduct, FollowUp
from calls.services import call_save, fast, parse_call_values, settings_update
from sfe.core.models import AuditEvent
from tests.helpers import assert_max_queries

from .conftest import FAR_LAT, FAR_LNG

pytestmark = pytest.mark.usefixtures("english")

#: What differs between two calls made one after the other by nature.
DIFFERS = {"id", "code", "created_at", "updated_at", "submitted_at", "call_id", "call_product_id"}


@pytest.fixture
def answers(monkeypatch):
    """What each ``fast.call_new`` answered: the call made, or None (the general path ran)."""
    found = []
    real = fast.call_new

    def spy(**kwargs):
        found.append(real(**kwargs))
        return found[-1]

    monkeypatch.setattr(fast, "call_new", spy)
    return found


def _save(cw, role="rep", code=None, *, submit=True, reason="", **over):
    call, _changed = call_save(rep=cw.m(role), code=code or uuid.uuid4(), data=parse_call_values(cw.raw(**over)),
                               submit=submit, reason=reason)
    return call


def _audit(table: str, ids) -> list[dict]:
    events = AuditEvent.objects.filter(table_name=table, row_id__in=list(ids)).order_by("row_id")
    return [{"action": e.action, "actor": e.actor_id, "reason": e.reason,
             "changes": {k: v for k, v in e.changes.items() if k not in DIFFERS}} for e in events]


def _written(call) -> dict:
    """Every row the call wrote (and their audit), without what differs by nature."""
    def plain(rows):
        return [{k: v for k, v in row.items() if k not in DIFFERS} for row in rows]

    products = CallProduct.objects.filter(call=call).order_by("id")
    messages = CallMessage.objects.filter(call_product__call=call).order_by("id")
    tasks = FollowUp.objects.filter(call=call).order_by("id")
    return {
        "call": plain(Call.objects.filter(pk=call.pk).values()),
        "products": plain(products.values()),
        "messages": plain(messages.values("tenant_id", "call_product__position", "key_message_id")),
        "tasks": plain(tasks.values()),
        "audit": [_audit("calls_call", [call.pk]), _audit("calls_callproduct", products.values_list("id", flat=True)),
                  _audit("calls_callmessage", messages.values_list("id", flat=True)),
                  _audit("calls_followup", tasks.values_list("id", flat=True))],
    }


def _both_ways(cw, answers, role="rep", *, submit=True, reason="", **over):
    """The same input through the general path and the fast one: what each wrote."""
    fast.ENABLED = False
    try:
        general = _save(cw, role, submit=submit, reason=reason, **over)
    finally:
        fast.ENABLED = True
    assert answers[-1] is None
    with assert_max_queries(2):  # one read, one write
        quick = _save(cw, role, submit=submit, reason=reason, **over)
    assert answers[-1] is quick and quick.pk is not None and quick.pk != general.pk
    assert (quick.code, quick.status) == Call.objects.filter(pk=quick.pk).values_list("code", "status").get()
    return _written(general), _written(quick)


@pytest.mark.parametrize("case", [
    {},  # products with key messages, a next step
    {"submit": False},  # a draft: no follow-up
    {"products": [], "next_step": "", "notes": ""},
    {"next_step_due": "2031-01-02", "duration_min": "25"},
    {"at_hours": 30},  # logged late
    {"hcp": "h1"},  # seen through the HCP's own alignment (zw: through the primary institution's)
    {"institution": "i1"},  # the primary institution, given
    {"institution": "i2", "affiliated": True},
    {"co_visitor": "manager", "reason": "经理同访"},  # a reason sent with a new call goes to its audit rows
    {"role": "manager", "hcp": "h2"},  # seen through the district, no territory to credit
    {"role": "analyst", "hcp": "h3"},  # a tenant-wide role sees every HCP
    {"call_type": "phone", "products": [{"brand": "brand2"}, {"brand": "brand1", "messages": ["b1b"]}]},
    {"second_territory": True},  # credited to the first territory held, by path
])
def test_the_fast_path_writes_what_the_general_path_writes(cw, answers, case):
    from customers.models import Affiliation

    case = dict(case)
    role, submit, reason = case.pop("role", "rep"), case.pop("submit", True), case.pop("reason", "")
    over = {"at": (timezone.now() - dt.timedelta(hours=case.pop("at_hours", 1))).isoformat()}
    with cw.world.scope("a"):
        if case.pop("affiliated", False):
            Affiliation.objects.create(hcp=cw.c.zw, institution=cw.c.i2)
        if case.pop("second_territory", False):
            from accounts.models import Position

            Position.objects.create(node=cw.world.nodes["a"]["t2"], holder=cw.m(),
                                    start_date=cw.world.tenants["a"].today() - dt.timedelta(days=3))
        for key in ("hcp", "institution"):
            if key in case:
                over[key] = str(getattr(cw.c, case.pop(key)).code)
        if "co_visitor" in case:
            over["co_visitor"] = str(cw.m(case.pop("co_visitor")).code)
        if "products" in case:
            over["products"] = [{"brand": str(getattr(cw, p["brand"]).code),
                                 "messages": [str(cw.km[m].code) for m in p.get("messages", [])]}
                                for p in case.pop("products")]
        over.update(case)
        general, quick = _both_ways(cw, answers, role, submit=submit, reason=reason, **over)
    assert quick == general
    assert general["call"][0]["status"] == ("submitted" if submit else "draft")
    assert general["audit"][0][0]["reason"] == (reason or None)


def test_a_submit_by_the_form_is_the_principal_and_two_statements(cw, login, answers):
    from .test_pages import _post

    client = login(cw.user())
    client.get(reverse("calls:call_new"))
    data = _post(cw)
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(reverse("calls:call_new"), data)
    assert response.status_code == 302 and answers[-1] is not None
    # The signed-in principal, the read, the write (and the request's transaction: here a
    # savepoint inside the test's).
    statements = [q["sql"].split()[0] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert statements == ["SELECT", "WITH", "WITH"], statements
    with cw.world.scope("a"):
        call = Call.objects.get(code=data["code"])
        assert response.url == reverse("calls:call_detail", kwargs={"code": call.code})
        assert call.status == "submitted" and call.products.count() == 2 and FollowUp.objects.filter(call=call).exists()


def _general(cw, answers, field, role="rep", code=None, **over) -> str:
    """Refused by the general path (the fast one gave way), nothing written; the message."""
    before = (Call.objects.count(), CallProduct.objects.count(), FollowUp.objects.count())
    with pytest.raises(ValidationError) as exc:
        _save(cw, role, code=code, **over)
    assert answers[-1] is None
    assert field in exc.value.message_dict, exc.value.message_dict
    assert (Call.objects.count(), CallProduct.objects.count(), FollowUp.objects.count()) == before
    return " ".join(exc.value.message_dict[field])


def test_refusals_give_way_to_the_general_path_and_keep_its_messages(cw, answers):
    from accounts.models import Position
    from customers.models import Hcp, Status

    b1, hour_ago = str(cw.brand1.code), (timezone.now() - dt.timedelta(hours=1)).isoformat()
    with cw.world.scope("a"):
        assert "do not see" in _general(cw, answers, "hcp", hcp=str(cw.c.h3.code))
        assert "do not see" in _general(cw, answers, "hcp", hcp=str(cw.c.unaligned.code))
        assert "does not work" in _general(cw, answers, "institution", institution=str(cw.c.i2.code))
        assert "future" in _general(cw, answers, "at", at=(timezone.now() + dt.timedelta(hours=1)).isoformat())
        assert "older than 7 days" in _general(cw, answers, "at", at=(timezone.now() - dt.timedelta(days=9)).isoformat())
        assert "not found" in _general(cw, answers, "products", products=[{"brand": str(uuid.uuid4())}])
        assert "not found" in _general(cw, answers, "products", products=[{"brand": b1, "messages": [str(uuid.uuid4())]}])
        assert "not a key message of 立普妥" in _general(
            cw, answers, "products", products=[{"brand": b1, "messages": [str(cw.km["b2a"].code)]}])
        assert "twice" in _general(cw, answers, "products", products=[{"brand": b1}, {"brand": b1}])
        assert "manager role" in _general(cw, answers, "co_visitor", co_visitor=str(cw.m("rep2").code))
        assert "other than you" in _general(cw, answers, "co_visitor", role="manager", hcp=str(cw.c.h2.code),
                                            co_visitor=str(cw.m("manager").code))
        assert "not found" in _general(cw, answers, "co_visitor", co_visitor=str(uuid.uuid4()))
        assert "not found" in _general(cw, answers, "institution", institution=str(uuid.uuid4()))
        assert "4000" in _general(cw, answers, "notes", notes="x" * 4001)
        assert "300" in _general(cw, answers, "next_step", next_step="步" * 301)
        assert "valid" in _general(cw, answers, "code", code="not-a-code")
        Hcp.objects.filter(pk=cw.c.zw.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
        assert "before 张伟" in _general(cw, answers, "at", at=(timezone.now() - dt.timedelta(days=3)).isoformat())
        Hcp.objects.filter(pk=cw.c.h1.pk).update(status=Status.MERGED, merged_into=cw.c.zw)
        assert "merged" in _general(cw, answers, "hcp", hcp=str(cw.c.h1.code), at=hour_ago)
        # seen on a day the rep held the territory, not before it
        Position.objects.filter(holder=cw.m()).update(start_date=cw.world.tenants["a"].today() - dt.timedelta(days=2))
        assert "do not see" in _general(cw, answers, "hcp", hcp=str(cw.c.h1.code),
                                        at=(timezone.now() - dt.timedelta(days=5)).isoformat())


def test_another_tenants_codes_are_not_found_and_give_way(cw, answers):
    from calls.services import key_message_create

    with cw.world.scope("b"):
        b_message = key_message_create(brand=cw.b_brand, text="每日一次")
    with cw.world.scope("a"):
        assert "not found" in _general(cw, answers, "hcp", hcp=str(cw.b_hcp.code))
        assert "not found" in _general(cw, answers, "products", products=[{"brand": str(cw.b_brand.code)}])
        assert "not found" in _general(cw, answers, "products", products=[
            {"brand": str(cw.brand1.code), "messages": [str(b_message.code)]}])
        assert "not found" in _general(cw, answers, "co_visitor", co_visitor=str(cw.m("manager", "b").code))


def test_a_code_already_used_goes_the_general_way(cw, answers):
    code = uuid.uuid4()
    with cw.world.scope("a"):
        first = _save(cw, code=code)
        assert answers[-1] is first
        again, changed = call_save(rep=cw.m(), code=code, data=parse_call_values(cw.raw(notes="again")), submit=True)
        assert answers[-1] is None and again.pk == first.pk and changed is False
        assert Call.objects.count() == 1 and FollowUp.objects.count() == 1 and CallProduct.objects.count() == 2
        assert "someone else" in _general(cw, answers, "code", role="manager", code=code, hcp=str(cw.c.h2.code))
        draft_code = uuid.uuid4()
        _save(cw, code=draft_code, submit=False)
        done = _save(cw, code=draft_code, notes="写完")
        assert answers[-1] is None and done.status == "submitted" and done.notes == "写完"
        assert Call.objects.count() == 2 and CallProduct.objects.count() == 4


def test_a_concurrent_twin_of_the_code_is_answered_by_the_general_path(cw, answers, monkeypatch):
    """The read saw the code free, a concurrent request saved it first: the insert does
    nothing and the general path answers the repeat (one call)."""
    code = uuid.uuid4()
    taken = "EXISTS (SELECT 1 FROM calls_call c WHERE c.tenant_id = %(t)s AND c.code = %(code)s)"
    assert taken in fast.READ
    monkeypatch.setattr(fast, "READ", fast.READ.replace(taken, "%(code)s::uuid IS NULL"))
    with cw.world.scope("a"):
        first = _save(cw, code=code)
        again, changed = call_save(rep=cw.m(), code=code, data=parse_call_values(cw.raw()), submit=True)
        assert answers == [first, None] and again.pk == first.pk and changed is False
        assert Call.objects.count() == 1 and FollowUp.objects.count() == 1 and CallProduct.objects.count() == 2
        assert CallMessage.objects.count() == 3


def test_group_calls_planned_calls_and_check_ins_go_the_general_way(cw, answers):
    with cw.world.scope("a"):
        group = _save(cw, call_type="group", hcp="", institution=str(cw.c.i1.code),
                      attendees=[str(cw.c.zw.code), str(cw.c.h1.code)])
        assert answers[-1] is None and CallAttendee.objects.filter(call=group).count() == 2
        with_attendees = _save(cw, attendees=[str(cw.c.h1.code)])
        assert answers[-1] is None and CallAttendee.objects.filter(call=with_attendees).count() == 1
        planned_at = timezone.now() - dt.timedelta(hours=3)
        planned = Call.objects.create(rep=cw.m(), status="planned", hcp=cw.c.zw, institution=cw.c.i1,
                                      at=planned_at, day=timezone.localdate(planned_at))
        done = _save(cw, code=planned.code)
        assert answers[-1] is None and done.pk == planned.pk and done.planned_at == planned_at
        settings_update(checkin="optional")
        far = _save(cw, checkin_lat=FAR_LAT, checkin_lng=FAR_LNG)
        assert answers[-1] is None and far.is_far and 5000 < far.distance_m < 6000
        refused = _save(cw)  # check-in on, the browser's location refused: nothing to record
        assert answers[-1] is refused and refused.checkin_lat is None and not refused.is_far


def test_edits_never_take_the_fast_path(cw, answers):
    code = uuid.uuid4()
    with cw.world.scope("a"):
        _save(cw, code=code)
        answers.clear()
        edited, changed = call_save(rep=cw.m(), code=code, data=parse_call_values(cw.raw(notes="改正")), submit=True,
                                    edit=True, reason="写错了")
        assert answers == [] and changed and edited.edit_count == 1 and edited.notes == "改正"
