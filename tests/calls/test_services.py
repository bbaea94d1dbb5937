"""``calls.services``: logging a call — every bad input refused by field with nothing
saved; idempotency by code; planned → done; edits with a reason (audited); locking."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from calls.models import Call, CallAttendee, CallMessage, CallProduct, FollowUp
from calls.models.calls import CallStatus
from calls.services import call_save, parse_call_input, settings_update

from .conftest import FAR_LAT, FAR_LNG, submit

pytestmark = pytest.mark.usefixtures("english")


def _refused(cw, field, role="rep", code=None, *, edit=False, reason="", **over):
    before = (Call.objects.count(), CallProduct.objects.count(), FollowUp.objects.count())
    with pytest.raises(ValidationError) as exc:
        call_save(rep=cw.m(role), code=code or uuid.uuid4(), data=parse_call_input(cw.raw(**over)), submit=True,
                  edit=edit, reason=reason)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert (Call.objects.count(), CallProduct.objects.count(), FollowUp.objects.count()) == before
    return " ".join(exc.value.message_dict[field])


def test_a_submitted_call_carries_products_in_order_messages_territory_and_a_follow_up(cw):
    with cw.world.scope("a"):
        call = submit(cw)
        assert call.status == CallStatus.SUBMITTED and call.submitted_at and call.rep == cw.m()
        assert call.institution == cw.c.i1 and call.territory == cw.world.nodes["a"]["t1"]
        assert call.day == timezone.localtime(call.at).date()
        products = list(CallProduct.objects.filter(call=call).order_by("position"))
        assert [p.brand for p in products] == [cw.brand1, cw.brand2]
        assert set(CallMessage.objects.filter(call_product=products[0]).values_list("key_message__text", flat=True)) \
            == {"每日一次", "降低LDL-C"}
        task = FollowUp.objects.get(call=call)
        assert task.title == "送文献" and task.assignee == cw.m()
        assert task.due_date == cw.world.tenants["a"].today() + dt.timedelta(days=7)
        assert not call.is_far and not call.is_late


def test_the_same_submit_twice_makes_one_call(cw):
    code = uuid.uuid4()
    with cw.world.scope("a"):
        first = submit(cw, code=code)
        again, changed = call_save(rep=cw.m(), code=code, data=parse_call_input(cw.raw(notes="changed")), submit=True)
        assert again.pk == first.pk and changed is False
        assert Call.objects.count() == 1 and FollowUp.objects.count() == 1
        assert Call.objects.get().notes == "讨论了疗效"


def test_a_draft_then_submit_with_the_same_code_is_one_call(cw):
    code = uuid.uuid4()
    with cw.world.scope("a"):
        draft = submit(cw, code=code, submit=False, notes="草稿")
        assert draft.status == CallStatus.DRAFT and draft.submitted_at is None
        assert not FollowUp.objects.exists()
        done = submit(cw, code=code)
        assert done.pk == draft.pk and done.status == CallStatus.SUBMITTED and Call.objects.count() == 1
        assert CallProduct.objects.count() == 2


def test_another_reps_code_is_refused_and_another_tenants_is_unknown(cw):
    code = uuid.uuid4()
    with cw.world.scope("a"):
        submit(cw, code=code)
        cw.c.zw.refresh_from_db()
        assert "someone else" in _refused(cw, "code", role="manager", code=code)
        assert "valid" in _refused(cw, "code", code="not-a-code")
    with cw.world.scope("b"):
        # Tenant A's call is not there: the code makes tenant B's own call, A's stays as it was.
        call = call_save(rep=cw.m("rep", "b"), code=code, submit=True, data=parse_call_input(
            {"hcp": str(cw.b_hcp.code), "at": timezone.now().isoformat()}))[0]
        assert call.tenant_id == cw.world.tenants["b"].pk and Call.objects.count() == 1
    with cw.world.scope("a"):
        assert Call.objects.get(code=code).rep == cw.m()


def test_a_planned_call_becomes_the_logged_call(cw):
    with cw.world.scope("a"):
        planned_at = timezone.now() - dt.timedelta(hours=3)
        planned = Call.objects.create(rep=cw.m(), status=CallStatus.PLANNED, hcp=cw.c.zw, institution=cw.c.i1,
                                      at=planned_at, day=timezone.localdate(planned_at))
        call = submit(cw, code=planned.code)
        assert call.pk == planned.pk and call.status == CallStatus.SUBMITTED and call.planned_at == planned_at
        assert Call.objects.count() == 1


def test_hcps_and_institutions_the_rep_cannot_see_are_refused(cw):
    with cw.world.scope("a"):
        assert "do not see" in _refused(cw, "hcp", hcp=str(cw.c.h3.code))          # rep2's
        assert "do not see" in _refused(cw, "hcp", hcp=str(cw.c.unaligned.code))
        assert "not found" in _refused(cw, "hcp", hcp=str(cw.b_hcp.code))           # other tenant's
        assert "not found" in _refused(cw, "hcp", hcp=str(uuid.uuid4()))
        assert "does not work" in _refused(cw, "institution", institution=str(cw.c.i2.code))
        assert "HCP" in _refused(cw, "hcp", hcp="")
        # seen on a day the rep held the territory, not before it
        long_ago = (timezone.now() - dt.timedelta(days=5)).isoformat()
        from accounts.models import Position
        Position.objects.filter(holder=cw.m()).update(start_date=cw.world.tenants["a"].today() - dt.timedelta(days=2))
        assert "do not see" in _refused(cw, "hcp", at=long_ago)


def test_an_affiliated_institution_is_accepted(cw):
    from customers.models import Affiliation

    with cw.world.scope("a"):
        Affiliation.objects.create(hcp=cw.c.zw, institution=cw.c.i2)
        assert submit(cw, institution=str(cw.c.i2.code)).institution == cw.c.i2


def test_dates_in_the_future_before_the_hcp_existed_or_too_old_are_refused(cw):
    from customers.models import Hcp

    with cw.world.scope("a"):
        assert "future" in _refused(cw, "at", at=(timezone.now() + dt.timedelta(hours=1)).isoformat())
        assert "date and time" in _refused(cw, "at", at="yesterday")
        assert "older than 7 days" in _refused(cw, "at", at=(timezone.now() - dt.timedelta(days=9)).isoformat())
        Hcp.objects.filter(pk=cw.c.zw.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
        assert "before 张伟" in _refused(cw, "at", at=(timezone.now() - dt.timedelta(days=3)).isoformat())
        assert submit(cw, at=(timezone.now() + dt.timedelta(minutes=3)).isoformat())  # clock skew is fine


def test_products_and_messages_are_checked(cw):
    b1 = str(cw.brand1.code)
    with cw.world.scope("a"):
        assert "twice" in _refused(cw, "products", products=[{"brand": b1}, {"brand": b1}])
        assert "not a key message of 立普妥" in _refused(
            cw, "products", products=[{"brand": b1, "messages": [str(cw.km["b2a"].code)]}])
        assert "not found" in _refused(cw, "products", products=[{"brand": str(cw.b_brand.code)}])
        assert "list" in _refused(cw, "products", products="立普妥")


def test_a_product_or_key_message_switched_off_is_refused_but_an_old_call_keeps_it(cw):
    """Both ways in (the lookups done, and the values for the fast path) refuse what an admin
    switched off; an edit of a call that already had it stays possible."""
    from calls.models import KeyMessage
    from calls.services import parse_call_values
    from products.models import Brand

    with cw.world.scope("a"):
        old = submit(cw)
        Brand.objects.filter(pk=cw.brand2.pk).update(is_active=False)
        assert "平稳降压" not in (message := _refused(cw, "products")) and "no longer promoted" in message
        with pytest.raises(ValidationError) as exc:
            call_save(rep=cw.m(), code=uuid.uuid4(), data=parse_call_values(cw.raw()), submit=True)
        assert "no longer promoted" in " ".join(exc.value.message_dict["products"])
        edited, changed = call_save(rep=cw.m(), code=old.code, data=parse_call_input(cw.raw(notes="补充")),
                                    submit=True, edit=True, reason="补充记录")
        assert changed and edited.notes == "补充"
        Brand.objects.filter(pk=cw.brand2.pk).update(is_active=True)
        KeyMessage.objects.filter(pk=cw.km["b1b"].pk).update(is_active=False)
        assert "“降低LDL-C” is no longer a key message in use" in _refused(cw, "products")
        with pytest.raises(ValidationError):
            call_save(rep=cw.m(), code=uuid.uuid4(), data=parse_call_values(cw.raw()), submit=True)
        assert call_save(rep=cw.m(), code=old.code, data=parse_call_input(cw.raw(notes="再补充")), submit=True,
                         edit=True, reason="再补充")[1]
        assert Call.objects.count() == 1


def test_group_calls_need_attendees_the_rep_sees(cw):
    with cw.world.scope("a"):
        assert "attendee" in _refused(cw, "attendees", call_type="group", hcp="", attendees=[])
        assert "刘洋" in _refused(cw, "attendees", call_type="group", attendees=[str(cw.c.h3.code)])
        call = submit(cw, call_type="group", hcp="", institution=str(cw.c.i1.code),
                      attendees=[str(cw.c.zw.code), str(cw.c.h1.code), str(cw.c.zw.code)])
        assert call.hcp is None and set(CallAttendee.objects.filter(call=call).values_list("hcp", flat=True)) \
            == {cw.c.zw.pk, cw.c.h1.pk}


def test_the_co_visitor_must_be_an_active_manager(cw):
    with cw.world.scope("a"):
        assert "manager role" in _refused(cw, "co_visitor", co_visitor=str(cw.m("rep2").code))
        assert "other than you" in _refused(cw, "co_visitor", role="manager", co_visitor=str(cw.m("manager").code),
                                            hcp=str(cw.c.h2.code))
        assert submit(cw, co_visitor=str(cw.m("manager").code)).co_visitor == cw.m("manager")


def test_text_lengths_and_numbers_are_checked(cw):
    with cw.world.scope("a"):
        assert "300" in _refused(cw, "next_step", next_step="步" * 301)
        assert "4000" in _refused(cw, "notes", notes="x" * 4001)
        assert "600" in _refused(cw, "duration_min", duration_min="900")
        assert "call type" in _refused(cw, "call_type", call_type="fax")
        assert "YYYY" in _refused(cw, "next_step_due", next_step_due="soon")


def test_editing_a_submitted_call_needs_a_reason_and_is_audited(cw):
    from sfe.core.models import AuditEvent

    code = uuid.uuid4()
    with cw.world.scope("a"):
        call = submit(cw, code=code)
        assert "why" in _refused(cw, "reason", code=code, edit=True)
        edited, changed = call_save(rep=cw.m(), code=code, data=parse_call_input(cw.raw(notes="改正")), submit=True,
                                    edit=True, reason="写错了")
        assert changed and edited.pk == call.pk and edited.edit_count == 1 and edited.notes == "改正"
        event = AuditEvent.objects.filter(table_name="calls_call", row_id=call.pk, action="U").latest("at")
        assert event.reason == "写错了" and "notes" in event.changes


def test_a_locked_call_or_one_past_the_lock_is_refused_and_locked(cw):
    code, old = uuid.uuid4(), uuid.uuid4()
    with cw.world.scope("a"):
        call = submit(cw, code=code)
        Call.objects.filter(pk=call.pk).update(locked_at=timezone.now())
        assert "locked" in _refused(cw, "__all__", code=code, edit=True, reason="改")
        aged = submit(cw, code=old)
        Call.objects.filter(pk=aged.pk).update(day=cw.world.tenants["a"].today() - dt.timedelta(days=8))
        assert "7 days" in _refused(cw, "__all__", code=old, edit=True, reason="改")
        assert Call.objects.get(pk=aged.pk).locked_at is not None


def test_check_in_measures_the_distance_and_flags_far_and_late_calls(cw):
    with cw.world.scope("a"):
        settings_update(checkin="optional", far_distance_m=1000, late_hours=24)
        near = submit(cw, checkin_lat="31.2451", checkin_lng="121.4801", checkin_accuracy_m="20")
        assert near.distance_m is not None and near.distance_m < 50 and not near.is_far
        far = submit(cw, checkin_lat=FAR_LAT, checkin_lng=FAR_LNG)
        assert 5000 < far.distance_m < 6000 and far.is_far
        refused = submit(cw, checkin_lat="", checkin_lng="")  # the browser's location was refused
        assert refused.checkin_lat is None and refused.distance_m is None and not refused.is_far
        late = submit(cw, at=(timezone.now() - dt.timedelta(hours=30)).isoformat())
        assert late.is_late
        no_coords = submit(cw, hcp=str(cw.c.h1.code), checkin_lat=FAR_LAT, checkin_lng=FAR_LNG)
        assert no_coords.checkin_lat is not None and no_coords.distance_m is None and not no_coords.is_far
        assert "location" in _refused(cw, "checkin_lat", checkin_lat="95", checkin_lng="121")


def test_check_in_is_ignored_when_the_tenant_has_it_off(cw):
    with cw.world.scope("a"):
        call = submit(cw, checkin_lat=FAR_LAT, checkin_lng=FAR_LNG)
        assert call.checkin_lat is None and not call.is_far


def test_settings_are_checked(cw):
    from calls.services import settings_get

    with cw.world.scope("a"):
        for field, value in (("lock_after_days", 0), ("far_distance_m", "x"), ("late_hours", 9999), ("checkin", "on")):
            with pytest.raises(ValidationError) as exc:
                settings_update(**{field: value})
            assert field in exc.value.message_dict
        assert settings_get().pk is None
        assert settings_update(lock_after_days="3").lock_after_days == 3 and settings_get().lock_after_days == 3
