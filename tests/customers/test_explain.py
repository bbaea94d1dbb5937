"""Every tenant-scoped hot query of the customer master reads an index that leads with
``tenant_id``, with thousands of rows in two tenants and fresh statistics (ANALYZE).

The rows are made set-based (``INSERT … SELECT`` over ``generate_series``); names are real
Chinese names with their pinyin, so prefixes are as selective as in production. The
manager sees about a fifth of tenant A's HCPs (the institutions aligned to their district).
"""

from __future__ import annotations

import json

import pytest
from django.db import connection, connections, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from customers import selectors
from customers.models import Alignment, Hcp, Institution
from customers.visibility import customer_visible_q
from products.services import product_line_create
from tests.helpers import _index_scans, assert_uses_tenant_index, index_leading_columns

SURNAMES = [("张", "zhang"), ("王", "wang"), ("李", "li"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
            ("赵", "zhao"), ("周", "zhou"), ("吴", "wu"), ("徐", "xu"), ("孙", "sun"), ("郑", "zheng")]
GIVEN = [("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("强", "qiang"), ("磊", "lei"),
         ("洋", "yang"), ("艳", "yan"), ("杰", "jie"), ("文", "wen"), ("婷", "ting"), ("明", "ming"), ("华", "hua")]
SIZES = {"a": (600, 12_000), "b": (300, 6_000)}  # institutions, HCPs


def _fill(world, key: str, n_inst: int, n_hcp: int) -> None:
    """Institutions aligned one in five to the manager's territories (t1, t2), the rest to
    t3; HCPs at those institutions; a few HCPs aligned directly."""
    with world.scope(key), transaction.atomic():
        line = product_line_create(name="心血管")
        nodes = world.nodes[key]
        tenant = world.tenants[key].pk
        s_names, s_py = [s for s, _ in SURNAMES], [p for _, p in SURNAMES]
        g_names, g_py = [g for g, _ in GIVEN], [p for _, p in GIVEN]
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO customers_institution (tenant_id, code, name, name_pinyin, initials, search_alt, "
                "external_code, status, stage, tier, potential, created_at, updated_at, kind, grade, ownership, "
                "province, city, district, address, national_code, phone) "
                "SELECT %s, gen_random_uuid(), '第' || g || '医院', 'di' || g || 'yiyuan', 'd' || g || 'yy', '', "
                "'I' || g, 'active', 'active', 'B', g, now(), now(), 'hospital', '2A', 'public', "
                "'上海市', '上海市', '浦东新区', '', '', '' FROM generate_series(1, %s) g",
                [tenant, n_inst])
            cur.execute(
                "INSERT INTO customers_hcp (tenant_id, code, name, name_pinyin, initials, search_alt, external_code, "
                "status, stage, tier, potential, created_at, updated_at, gender, title, specialty, phone, email, "
                "is_kol, is_target, institution_id) "
                "SELECT %(t)s, gen_random_uuid(), (%(sn)s::text[])[1 + g %% 12] || (%(gn)s::text[])[1 + (g / 12) %% 14] "
                "|| (%(gn)s::text[])[1 + (g / 168) %% 14], "
                "(%(sp)s::text[])[1 + g %% 12] || (%(gp)s::text[])[1 + (g / 12) %% 14] || (%(gp)s::text[])[1 + (g / 168) %% 14], "
                "left((%(sp)s::text[])[1 + g %% 12], 1) || left((%(gp)s::text[])[1 + (g / 12) %% 14], 1) "
                "|| left((%(gp)s::text[])[1 + (g / 168) %% 14], 1), '', 'D' || g, 'active', "
                "(ARRAY['prospect','developing','active','key'])[1 + g %% 4], (ARRAY['A','B','C','D'])[1 + g %% 4], "
                "g %% 1000, now(), now(), 'F', 'attending', 'cardiology', '', '', g %% 50 = 0, g %% 3 = 0, "
                "i.id FROM generate_series(1, %(n)s) g "
                "JOIN customers_institution i ON i.tenant_id = %(t)s AND i.external_code = 'I' || (1 + g %% %(ni)s)",
                {"t": tenant, "sn": s_names, "gn": g_names, "sp": s_py, "gp": g_py, "n": n_hcp, "ni": n_inst})
            cur.execute(
                "INSERT INTO customers_alignment (tenant_id, code, institution_id, territory_id, product_line_id, "
                "start_date, source, created_at) "
                "SELECT %s, gen_random_uuid(), i.id, CASE WHEN i.id %% 10 = 0 THEN %s WHEN i.id %% 10 = 1 THEN %s "
                "ELSE %s END, %s, current_date - 30, 'manual', now() FROM customers_institution i",
                [tenant, nodes["t1"].pk, nodes["t2"].pk, nodes["t3"].pk, line.pk])
            cur.execute(
                "INSERT INTO customers_alignment (tenant_id, code, hcp_id, territory_id, product_line_id, "
                "start_date, source, created_at) "
                "SELECT %s, gen_random_uuid(), h.id, %s, %s, current_date - 30, 'manual', now() "
                "FROM customers_hcp h WHERE h.is_kol",
                [tenant, nodes["t3"].pk, line.pk])


def _seq_scans(plan: dict, tables: set[str]) -> list[str]:
    found = [plan["Relation Name"]] if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in tables \
        else []
    for child in plan.get("Plans", []):
        found += _seq_scans(child, tables)
    return found


# The HCPs are never read whole. (The alignments of this test tenant are few thousand rows:
# the planner may rightly hash them whole for the visibility IN; at scale it reads the
# territory index, which the bench shows.)
BIG = {"customers_hcp"}


def _explain(sql: str) -> dict:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cur.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def _check_sql(sql: str) -> list[str]:
    """The plan PostgreSQL picks with its statistics (sequential scans allowed): an index
    leading with tenant_id drives it, and neither HCPs nor alignments are read whole."""
    plan = _explain(sql)
    indexes = _index_scans(plan)
    assert indexes, json.dumps(plan, indent=1)
    assert any(index_leading_columns(ix)[:1] == ["tenant_id"] for ix in indexes), (sql, indexes)
    assert not _seq_scans(plan, BIG), (sql, json.dumps(plan, indent=1))
    return indexes


def _check(qs, *, chosen: bool = True) -> list[str]:
    """``assert_uses_tenant_index`` (what the planner can use, sequential scans off) and,
    with ``chosen``, ``_check_sql`` (what it does use)."""
    indexes = assert_uses_tenant_index(qs)
    if not chosen:
        return indexes
    sql, params = qs.query.sql_with_params()
    return _check_sql(connection.ops.compose_sql(sql, params))


@pytest.fixture
def filled(tworld):
    for key, (n_inst, n_hcp) in SIZES.items():
        _fill(tworld, key, n_inst, n_hcp)
    with connections["owner"].cursor() as cur:
        for table in ("customers_institution", "customers_hcp", "customers_alignment", "accounts_orgnode",
                      "accounts_position"):
            cur.execute(f"ANALYZE {table}")
    return tworld


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_hot_queries_use_tenant_leading_indexes(filled):
    world = filled
    manager, admin = world.users["a"]["manager"], world.users["a"]["admin"]
    with world.scope("a"), transaction.atomic():
        seen = Hcp.objects.visible_to(manager).count()
        assert 0.15 * SIZES["a"][1] <= seen <= 0.3 * SIZES["a"][1]  # the manager sees about a fifth
        used = set()
        # The HCP list, by pinyin, first page; for the manager and for a tenant-wide admin.
        for user in (manager, admin):
            for params in ({}, {"q": "zw"}, {"q": "zhang"}, {"q": "张"}, {"q": "zhangwie"}, {"sort": "-potential"},
                           {"tier": "A"}, {"stage": "key"}):
                used.update(_check(selectors.hcp_list(user, params)[:51]))
            # 600 institutions are few enough for the planner to read them whole when it likes.
            used.update(_check(selectors.institution_list(user, QueryDict(""))[:51], chosen=False))
            used.update(_check(selectors.institution_list(user, {"q": "d1"})[:51], chosen=False))
        # Search as you type: whatever SQL selectors.search runs, each statement.
        for q in ("zw", "zhangwei", "张", "张伟", "zhangwie", "d12"):
            with CaptureQueriesContext(connection) as ctx:
                selectors.search(manager, q)
            statements = [c["sql"] for c in ctx.captured_queries if c["sql"].lstrip().upper().startswith("SELECT")
                          and ("customers_hcp" in c["sql"] or "customers_institution" in c["sql"])]
            assert statements, q
            for sql in statements:
                used.update(_check_sql(sql))
        # Alignment lookups: a customer's alignments, a territory's customers.
        hcp = Hcp.objects.filter(is_kol=True).first()
        inst = Institution.objects.first()
        today = world.tenants["a"].today()
        used.update(_check(Alignment.objects.filter(hcp=hcp).active_on(today)))
        used.update(_check(Alignment.objects.filter(institution=inst).active_on(today)))
        used.update(_check(Alignment.objects.filter(territory=world.nodes["a"]["t1"]).active_on(today)))
        used.update(_check(Hcp.objects.filter(customer_visible_q(Hcp, world.users["a"]["rep"])).order_by(
            "name_pinyin", "id")[:51]))
        # Row-level security lets PostgreSQL turn only *leakproof* conditions into index
        # conditions: starts_with (^@) is, so it reads just the range 'zw' <= initials < 'zx'
        # (LIKE 'zw%' is not: see the next test).
        tenant = world.tenants["a"].pk
        conds = _conds_with_seqscan_off(f"SELECT id FROM customers_hcp WHERE tenant_id = {tenant} AND initials ^@ 'zw'")
        assert any("~>=~ 'zw'" in c and "~<~ 'zx'" in c for c in conds), conds
    # The lists walk the pinyin indexes (which index serves a search depends on the statistics).
    assert {"hcp_tenant_pinyin", "inst_tenant_pinyin", "align_tenant_hcp", "align_tenant_territory"} <= used, sorted(used)


def _index_conds(plan: dict) -> list[str]:
    found = [plan.get("Index Cond", "")] if "Index Cond" in plan else []
    for child in plan.get("Plans", []):
        found += _index_conds(child)
    return found


def _conds_with_seqscan_off(sql: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        plan = _explain(sql)
        cur.execute("SET LOCAL enable_seqscan = on")
    return _index_conds(plan)


def _index_conds(plan: dict) -> list[str]:
    found = [plan.get("Index Cond", "")] if "Index Cond" in plan else []
    for child in plan.get("Plans", []):
        found += _index_conds(child)
    return found


def _conds_with_seqscan_off(sql: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        plan = _explain(sql)
        cur.execute("SET LOCAL enable_seqscan = on")
    return _index_conds(plan)
