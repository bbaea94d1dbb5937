"""A new call in two statements: the common submit (or draft) of a call the rep has just made.

``call_save`` tries it first when it is given the parsed values (``inputs.parse_call_values``)
of a new call, not an edit:

* one prepared statement reads all that such a call needs: whether its code is taken, the
  HCP and whether the rep sees them on the call's day (the rule of
  ``customers.visibility.customer_visible_q``: the HCP, or their primary institution, aligned
  that day to a node in the subtree of one the rep holds that day; tenant-wide roles see
  every HCP), the institution given and the HCP's affiliation to it, the brands and key
  messages, the co-visitor, the tenant's call settings and the territory the call is
  credited to (``calls.visibility.territory_of``);
* the checks of the general path run on what it read: ``checks.check_when``,
  ``check_products`` and ``check_text_and_people`` themselves, and ``check_customers``'s
  rules (visible, not merged, the institution the primary one or an affiliation) on the
  values read;
* one statement writes the call (``ON CONFLICT`` on its code: a concurrent twin wins and this
  request goes the general way), its products in order with their key messages, and the
  follow-up task of a submitted call's next step — the rows and values ``calls._write``
  writes; the audit trigger records them as any insert.

Anything else — a code already used (a repeated submit, a draft, a planned call), a group call
or attendees, a check-in location (with none sent, a new call records none whatever the
tenant's setting), anything not found, any check that fails — returns None before anything
is written, and the general path runs: it alone words every refusal.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from accounts.models import Membership
from accounts.visibility import TENANT_WIDE_ROLES
from customers.models import Hcp, Status
from products.models import Brand
from sfe.core.tenancy import audit_reason, current_tenant, require_tenant_id

from ..models import Call, CallSettings, FollowUp, KeyMessage
from ..models.calls import CallStatus, CallType
from . import checks
from .inputs import CallValues, ProductInput
from .rows import call_code, follow_up_due, stamp_saved

#: False: every call takes the general path (the tests compare what the two write).
ENABLED = True

#: An alignment or a position active on ``day`` (``DatedQuerySet.active_on``, ``PositionQuerySet.active_on``).
_ALIGNED_ON_DAY = "(a.start_date IS NULL OR a.start_date <= %(day)s) AND (a.end_date IS NULL OR a.end_date >= %(day)s)"
_HELD_ON_DAY = "p.start_date <= %(day)s AND (p.end_date IS NULL OR p.end_date >= %(day)s)"

READ = f"""
WITH held AS (  -- accounts.visibility.visible_nodes_q: the live nodes the rep holds that day
    SELECT n.id, n.kind, n.path FROM accounts_position p
    JOIN accounts_orgnode n ON n.tenant_id = p.tenant_id AND n.id = p.node_id
    WHERE p.tenant_id = %(t)s AND p.holder_id = %(rep)s AND {_HELD_ON_DAY} AND n.retired_on IS NULL
), h AS (
    SELECT h.id, h.name, h.status, h.institution_id, h.department_id, h.created_at
    FROM customers_hcp h WHERE h.tenant_id = %(t)s AND h.code = %(hcp)s
)
SELECT
    EXISTS (SELECT 1 FROM calls_call c WHERE c.tenant_id = %(t)s AND c.code = %(code)s),
    h.id, h.name, h.status, h.institution_id, h.department_id, h.created_at,
    %(wide)s OR EXISTS (
        SELECT 1 FROM customers_alignment a
        JOIN accounts_orgnode v ON v.tenant_id = a.tenant_id AND v.id = a.territory_id
        WHERE a.tenant_id = %(t)s AND a.hcp_id = h.id AND {_ALIGNED_ON_DAY}
          AND EXISTS (SELECT 1 FROM held WHERE starts_with(v.path, held.path))
    ) OR EXISTS (
        SELECT 1 FROM customers_alignment a
        JOIN accounts_orgnode v ON v.tenant_id = a.tenant_id AND v.id = a.territory_id
        WHERE a.tenant_id = %(t)s AND a.institution_id = h.institution_id AND {_ALIGNED_ON_DAY}
          AND EXISTS (SELECT 1 FROM held WHERE starts_with(v.path, held.path))
    ),
    i.id,
    EXISTS (SELECT 1 FROM customers_affiliation af
            WHERE af.tenant_id = %(t)s AND af.hcp_id = h.id AND af.institution_id = i.id),
    cv.id, cv.is_active, cv.roles,
    s.lock_after_days, s.late_hours,
    -- calls.visibility.territory_of: the first territory held, by path
    (SELECT held.id FROM held WHERE held.kind = 'territory' ORDER BY held.path LIMIT 1),
    (SELECT array_agg(b.id ORDER BY u.n) FROM unnest(%(brands)s::uuid[]) WITH ORDINALITY u(code, n)
     LEFT JOIN products_brand b ON b.tenant_id = %(t)s AND b.code = u.code AND b.is_active),
    km.ids, km.brand_ids
FROM (SELECT 1) one
LEFT JOIN h ON true
LEFT JOIN customers_institution i ON i.tenant_id = %(t)s AND i.code = %(institution)s
LEFT JOIN accounts_membership cv ON cv.tenant_id = %(t)s AND cv.code = %(co_visitor)s
LEFT JOIN calls_callsettings s ON s.tenant_id = %(t)s
LEFT JOIN LATERAL (
    SELECT array_agg(k.id ORDER BY u.n) AS ids, array_agg(k.brand_id ORDER BY u.n) AS brand_ids
    FROM unnest(%(messages)s::uuid[]) WITH ORDINALITY u(code, n)
    LEFT JOIN calls_keymessage k ON k.tenant_id = %(t)s AND k.code = u.code AND k.is_active
) km ON true
"""

_q = connection.ops.quote_name
_CALL_FIELDS = [f for f in Call._meta.concrete_fields if not f.primary_key]
_TASK_FIELDS = [f for f in FollowUp._meta.concrete_fields if not f.primary_key and f.attname != "call_id"]

_INSERT_CALL = f"""
WITH c AS (
    INSERT INTO calls_call ({", ".join(_q(f.column) for f in _CALL_FIELDS)})
    VALUES ({", ".join(f"%(c_{f.attname})s" for f in _CALL_FIELDS)})
    ON CONFLICT (tenant_id, code) DO NOTHING
    RETURNING id
)"""
_INSERT_PRODUCTS = """, p AS (
    INSERT INTO calls_callproduct (tenant_id, call_id, brand_id, position)
    SELECT %(t)s, c.id, u.brand_id, u.position
    FROM c, unnest(%(brands)s::bigint[]) WITH ORDINALITY u(brand_id, position)
    ORDER BY u.position
    RETURNING id, position
)"""
_INSERT_MESSAGES = """, m AS (
    INSERT INTO calls_callmessage (tenant_id, call_product_id, key_message_id)
    SELECT %(t)s, p.id, u.key_message_id
    FROM p JOIN unnest(%(positions)s::bigint[], %(messages)s::bigint[]) WITH ORDINALITY u(position, key_message_id, n)
         ON u.position = p.position
    ORDER BY u.n
)"""
_INSERT_TASK = f""", f AS (
    INSERT INTO calls_followup ({", ".join(_q(f.column) for f in _TASK_FIELDS)}, call_id)
    SELECT {", ".join(f"%(f_{f.attname})s" for f in _TASK_FIELDS)}, c.id FROM c
)"""


@functools.cache
def write_sql(*, products: bool, messages: bool, task: bool) -> str:
    """The write, with only the parts this call has: as ``bulk_create([])``, a table with no
    row to add gets no statement (whose audit trigger, per statement, would still run)."""
    return "".join([_INSERT_CALL, _INSERT_PRODUCTS if products else "", _INSERT_MESSAGES if messages else "",
                    _INSERT_TASK if task else "", "\nSELECT c.id FROM c"])


def _insert_values(db, prefix: str, obj, fields) -> dict:
    """What ``save()`` would send for ``obj`` (``auto_now`` stamps included)."""
    return {f"{prefix}{f.attname}": f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields}


def call_new(*, rep, code, values: CallValues, submit: bool, source: str, reason: str = "") -> Call | None:
    """Make the new call ``code`` of ``rep`` from ``values`` in two statements; None when this
    is not the common case or any check fails (nothing written: take the general path)."""
    data = values.data
    try:
        code = call_code(code)
    except ValidationError:
        return None  # the general path words it
    if (not ENABLED or data.at is None or data.call_type == CallType.GROUP or values.hcp is None
            or values.attendees or data.checkin_lat is not None or not rep.is_active):
        return None
    t, tenant = require_tenant_id(), current_tenant()
    day = checks.local_day(data.at, tenant)
    messages = [list(dict.fromkeys(codes)) for _brand, codes in values.products]  # as resolve_call_values
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is read a few dozen times below
    with transaction.atomic(using=db.alias, savepoint=False), db.prepared_cursor() as cursor:
        cursor.execute(READ, {
            "t": t, "rep": rep.pk, "day": day, "code": code, "hcp": values.hcp, "institution": values.institution,
            "co_visitor": values.co_visitor, "wide": rep.has_role(*TENANT_WIDE_ROLES),
            "brands": [b for b, _m in values.products], "messages": [c for codes in messages for c in codes]})
        (taken, hcp_id, hcp_name, hcp_status, primary_id, department_id, hcp_created_at, visible, institution_id,
         affiliated, visitor_id, visitor_active, visitor_roles, lock_after_days, late_hours, territory_id,
         brand_ids, message_ids, message_brands) = cursor.fetchone()
        if taken or hcp_id is None or not visible or hcp_status == Status.MERGED:
            return None
        if values.institution is None:
            institution_id = primary_id
        elif institution_id is None or (institution_id != primary_id and not affiliated):
            return None
        if values.co_visitor is not None and visitor_id is None:
            return None
        products = _products(values, messages, brand_ids or [], message_ids or [], message_brands or [])
        if products is None:
            return None
        settings = CallSettings() if lock_after_days is None else CallSettings(lock_after_days=lock_after_days,
                                                                                 late_hours=late_hours)
        visitor = None if visitor_id is None else Membership(id=visitor_id, is_active=visitor_active,
                                                             roles=visitor_roles)
        checked = dataclasses.replace(data, products=products, co_visitor=visitor, hcp=Hcp(
            id=hcp_id, name=hcp_name, status=hcp_status, institution_id=primary_id, department_id=department_id,
            created_at=hcp_created_at))
        errors: dict[str, str] = {}
        now = timezone.now()
        checks.check_when(checked, tenant, settings, errors, now=now, new=True)
        checks.check_products(checked, errors)
        checks.check_text_and_people(checked, rep, errors)
        if errors:
            return None
        call = _call(rep, code, data, t=t, day=day, now=now, submit=submit, source=source, settings=settings,
                     hcp_id=hcp_id, institution_id=institution_id, department_id=department_id,
                     visitor_id=visitor_id, territory_id=territory_id)
        params = {"t": t, **_insert_values(db, "c_", call, _CALL_FIELDS), "brands": [p.brand.pk for p in products],
                  "positions": [i + 1 for i, p in enumerate(products) for _m in p.messages],
                  "messages": [m.pk for p in products for m in p.messages]}
        task = call.status == CallStatus.SUBMITTED and bool(data.next_step)  # calls._follow_up
        if task:
            params.update(_insert_values(db, "f_", FollowUp(
                tenant_id=t, assignee_id=rep.pk, hcp_id=hcp_id, title=data.next_step,
                due_date=follow_up_due(data.next_step_due, tenant.today())), _TASK_FIELDS))
        sql = write_sql(products=bool(products), messages=bool(params["messages"]), task=task)
        with audit_reason(reason):  # as calls._call_save writes
            cursor.execute(sql, params)
            row = cursor.fetchone()
    if row is None:  # the same code saved by a concurrent request: the general path answers
        return None
    call.pk = row[0]
    call._state.adding, call._state.db = False, db.alias
    return call


def _products(values: CallValues, messages: list[list[uuid.UUID]], brand_ids: list, message_ids: list,
              message_brands: list) -> list[ProductInput] | None:
    """The products as ``resolve_call_values`` makes them (None: a code names nothing here)."""
    if (len(brand_ids) != len(values.products) or None in brand_ids
            or len(message_ids) != sum(map(len, messages)) or None in message_ids):
        return None
    found = iter(zip(message_ids, message_brands, strict=True))
    return [ProductInput(brand=Brand(id=brand_id), messages=[KeyMessage(id=k, brand_id=b) for k, b in
                                                             (next(found) for _c in codes)])
            for brand_id, codes in zip(brand_ids, messages, strict=True)]


def _call(rep, code, data, *, t, day, now, submit, source, settings, hcp_id, institution_id, department_id,
          visitor_id, territory_id) -> Call:
    """The call as ``calls._write`` fills a new one."""
    call = Call(tenant_id=t, code=code, rep=rep, call_type=data.call_type, at=data.at, day=day, hcp_id=hcp_id,
                institution_id=institution_id, department_id=department_id, duration_min=data.duration_min,
                notes=data.notes, next_step=data.next_step, co_visitor_id=visitor_id, territory_id=territory_id)
    stamp_saved(call, submit=submit, source=source, late_hours=settings.late_hours, now=now)
    return call

