"""The proposal (one INSERT … SELECT) equals an independent computation on generated data."""

from __future__ import annotations

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from calls.planning.models import CyclePlanLine
from calls.planning.services import plan_propose


def _active(start, end, day) -> bool:
    return (start is None or start <= day) and (end is None or end >= day)


def expected_lines(pw, rep_key: str = "t1") -> set[tuple]:
    """Python over what the fixture generated: (hcp, line, tier, calls)."""
    day = pw.cycle.start_date
    aligned: set[tuple[int, int]] = set()
    for hcp_id, line_id, key, s, e in pw.hcp_align:
        if key == rep_key and _active(s, e, day):
            aligned.add((hcp_id, line_id))
    for inst_id, line_id, key, s, e in pw.inst_align:
        if key == rep_key and _active(s, e, day):
            aligned |= {(h, line_id) for h, spec in pw.spec.items() if spec["institution_id"] == inst_id}
    out = set()
    for hcp_id, line_id in aligned:
        spec = pw.spec[hcp_id]
        if not spec["live"]:
            continue
        if line_id == pw.line.pk:
            tier = spec.get("tier_row") or spec["tier"]
        else:
            tier = spec["tiers2"]
        calls = pw.targets.get((line_id, tier))
        if tier and calls:
            out.add((hcp_id, line_id, tier, calls))
    return out


def test_proposal_equals_an_independent_computation(pw):
    rep = pw.member("rep")
    with pw.world.scope("a"), transaction.atomic():
        with CaptureQueriesContext(connection) as ctx:
            plan = plan_propose(rep=rep, cycle=pw.cycle, by=rep)
        got = set(CyclePlanLine.objects.filter(plan=plan).values_list("hcp_id", "product_line_id", "tier",
                                                                       "proposed_calls"))
        planned_equal = not CyclePlanLine.objects.filter(plan=plan).exclude(
            planned_calls=models_f("proposed_calls")).exists()
    want = expected_lines(pw)
    assert len(want) >= 5, "the generated data should give a real proposal"
    assert got == want
    assert planned_equal
    inserts = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("WITH")]
    assert len(inserts) == 1 and "INSERT INTO planning_cycleplanline" in inserts[0]
    assert len(ctx.captured_queries) < 12, "the proposal does not loop over rows"


def models_f(name):
    from django.db.models import F

    return F(name)


def test_proposing_again_replaces_the_lines_and_other_reps_get_their_own(pw):
    rep, rep2 = pw.member("rep"), pw.member("rep2")
    with pw.world.scope("a"), transaction.atomic():
        plan = plan_propose(rep=rep, cycle=pw.cycle, by=rep)
        first = CyclePlanLine.objects.filter(plan=plan).count()
        CyclePlanLine.objects.filter(plan=plan).update(planned_calls=0)
        again = plan_propose(rep=rep, cycle=pw.cycle, by=rep)
        assert again.pk == plan.pk
        assert CyclePlanLine.objects.filter(plan=plan).count() == first
        assert not CyclePlanLine.objects.filter(plan=plan, planned_calls=0).exists()
        plan2 = plan_propose(rep=rep2, cycle=pw.cycle, by=rep2)
        got2 = set(CyclePlanLine.objects.filter(plan=plan2).values_list("hcp_id", "product_line_id", "tier",
                                                                         "proposed_calls"))
    assert got2 == expected_lines(pw, "t3")
