"""Build the demo tenants: a pure *plan* (names, tree, who holds what), then *steps* that
bulk-insert it.

The plan is a function of the seed and the size alone, so the same seed always gives the
same people and the same tree. The steps write it with a few ``bulk_create`` calls per
table inside ``tenant_scope(tenant)`` and the caller's transaction — never one ``save()``
per row — and hash the password once for everybody.

To extend the demo (customers, calls …), write a ``step_*(ctx)`` function that reads what
earlier steps left on the ``DemoContext`` (``ctx.node_ids``, ``ctx.memberships``,
``ctx.rng``) and append it to ``STEPS``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction

from accounts.models import Membership, OrgNode, OrgNodeVersion, Position, Tenant, User
from accounts.services.tenants import tenant_create
from sfe.core.tenancy import audit_context, tenant_scope

from . import geo
from .names import unique_names

SIZES = {"small": 30, "medium": 300, "large": 3000}
START = dt.date(2025, 1, 1)  # the day the demo organisation came into being
VACANT_SHARE = 0.03  # about 3 % of territories have no rep
DISTRICTS_PER_REP = 293 / 3000  # large: 3,000 reps under 293 districts + 7 regions = 300 managers
DISTRICTS_PER_REGION = 4  # below 28 districts, fewer regions
BATCH = 2000

TITLES = {"territory": "医药代表", "district": "地区经理", "region": "大区经理"}


def demo_rng(*parts: object) -> random.Random:
    """A generator seeded by ``parts`` (a str seed is hashed the same way on every run and machine)."""
    return random.Random(":".join(map(str, parts)))  # noqa: S311 - demo data, not secrets


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class TenantSpec:
    slug: str
    name: str
    reps: int
    domain: str  # e-mail domain: rep0001@<domain>
    prefix: str  # employee numbers: HK00001
    first_region: int = 0  # index into geo.REGIONS where this tenant's tree starts
    staff: tuple[tuple[str, str], ...] = ()  # (role, fixed e-mail local part) of one-person roles
    fixed_logins: tuple[str, ...] = ("admin", "rep")  # roles whose fixed e-mail is printed


def demo_specs(reps: int) -> list[TenantSpec]:
    return [
        TenantSpec(
            slug="huakang", name="华康制药 Huakang Pharma", reps=reps, domain="huakang.demo", prefix="HK",
            staff=(("analyst", "analyst"), ("data_steward", "steward"), ("finance", "finance")),
            fixed_logins=("admin", "manager", "rep", "analyst", "data_steward", "finance"),
        ),
        TenantSpec(slug="ruian", name="瑞安医药 Ruian Medical", reps=8, domain="ruian.demo", prefix="RA",
                   first_region=2),
    ]


# --------------------------------------------------------------------------- the plan


@dataclass
class NodePlan:
    name: str
    kind: str
    parent: int | None  # index into Plan.nodes (parents come first)
    depth: int
    external_code: str


@dataclass
class PersonPlan:
    email: str
    full_name: str
    role: str
    employee_no: str
    phone: str
    holds: int | None = None  # index into Plan.nodes


@dataclass
class Plan:
    spec: TenantSpec
    admin: PersonPlan
    nodes: list[NodePlan] = field(default_factory=list)
    people: list[PersonPlan] = field(default_factory=list)  # everyone but the admin
    vacant: list[int] = field(default_factory=list)  # node indices of territories with no rep


def _spread(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` into len(weights) parts ≥ 1, proportional to weights (largest remainder)."""
    n = len(weights)
    if total < n:
        raise ValueError("fewer items than buckets")
    rest = total - n
    exact = [rest * w / sum(weights) for w in weights]
    parts = [math.floor(x) for x in exact]
    order = sorted(range(n), key=lambda i: (parts[i] - exact[i], i))
    for i in order[: rest - sum(parts)]:
        parts[i] += 1
    return [p + 1 for p in parts]


def make_plan(spec: TenantSpec, seed: int) -> Plan:
    """Everything about one demo tenant that does not need the database. Deterministic."""
    rng = demo_rng(seed, spec.slug)
    vacancies = max(1, round(spec.reps * VACANT_SHARE))
    n_territories = spec.reps + vacancies
    n_districts = max(1, min(round(spec.reps * DISTRICTS_PER_REP), n_territories))
    region_names = list(geo.REGIONS)
    n_regions = min(len(region_names), max(1, math.ceil(n_districts / DISTRICTS_PER_REGION)), n_districts)
    regions = [region_names[(spec.first_region + i) % len(region_names)] for i in range(n_regions)]
    districts_per_region = _spread(n_districts, [len(geo.region_cities(r)) for r in regions])
    territories_per_district = _spread(n_territories, [1] * n_districts)

    plan_nodes: list[NodePlan] = [NodePlan("全国", "nation", None, 0, "CN")]
    territories: list[int] = []
    managed: list[tuple[str, int]] = []  # (kind, node index) in tree order
    d_no = t_no = 0
    for r_no, (region, n_d) in enumerate(zip(regions, districts_per_region, strict=True), start=1):
        r_idx = len(plan_nodes)
        plan_nodes.append(NodePlan(region, "region", 0, 1, f"R{r_no:02d}"))
        managed.append(("region", r_idx))
        cities = geo.region_cities(region)
        for i in range(n_d):
            city = cities[i % len(cities)]
            round_ = i // len(cities)
            d_name = f"{city}地区" if round_ == 0 else f"{city}第{geo.chinese_number(round_ + 1)}地区"
            d_idx = len(plan_nodes)
            plan_nodes.append(NodePlan(d_name, "district", r_idx, 2, f"D{d_no + 1:03d}"))
            managed.append(("district", d_idx))
            areas = geo.areas_of(city)
            for k in range(territories_per_district[d_no]):
                area, ordinal = areas[k % len(areas)], k // len(areas) + 1
                # A second pass over the areas is told apart by the city prefix (上海浦东一区, 上海浦东二区).
                territories.append(len(plan_nodes))
                t_no += 1
                plan_nodes.append(NodePlan(f"{city}{area}{geo.chinese_number(ordinal)}区", "territory",
                                           d_idx, 3, f"T{t_no:04d}"))
            d_no += 1

    # The first territory always has a rep (the fixed rep login holds it).
    vacant = sorted(rng.sample(territories[1:], vacancies)) if len(territories) > 1 else []
    held = [t for t in territories if t not in set(vacant)]

    employee_no = iter(range(1, 2 + len(spec.staff) + len(managed) + len(held)))

    def person(local: str, role: str, holds: int | None = None) -> PersonPlan:
        phone = "1" + rng.choice(["38", "39", "35", "36", "37", "50", "51", "58", "59", "86", "87", "88"]) + \
            f"{rng.randrange(10**8):08d}"
        return PersonPlan(email=f"{local}@{spec.domain}", full_name="", role=role,
                          employee_no=f"{spec.prefix}{next(employee_no):05d}", phone=phone, holds=holds)

    plan = Plan(spec=spec, admin=person("admin", "admin"), nodes=plan_nodes, vacant=vacant)
    for role, local in spec.staff:
        plan.people.append(person(local, role))
    first_district = next(i for kind, i in managed if kind == "district")
    rm = dm = 0
    for kind, idx in managed:
        if idx == first_district:
            local = "manager"
        elif kind == "region":
            rm += 1
            local = f"rm{rm:02d}"
        else:
            dm += 1
            local = f"dm{dm:04d}"
        plan.people.append(person(local, "manager", holds=idx))
    for k, idx in enumerate(held):
        plan.people.append(person("rep" if k == 0 else f"rep{k:04d}", "rep", holds=idx))

    # Names come from their own generator, the memorable logins first: admin@, manager@, rep@ …
    # keep their names whatever the size.
    everyone = [plan.admin, *plan.people]
    fixed = {f"{local}@{spec.domain}" for local in ("admin", "manager", "rep", *dict(spec.staff).values())}
    everyone.sort(key=lambda p: p.email not in fixed)  # stable: otherwise tree order
    for p, name in zip(everyone, unique_names(demo_rng(seed, spec.slug, "names"), len(everyone)),
                       strict=True):
        p.full_name = name
    return plan


# --------------------------------------------------------------------------- the steps


@dataclass
class DemoContext:
    plan: Plan
    tenant: Tenant
    admin: Membership  # the first admin, made by tenant_create
    password_hash: str
    rng: random.Random
    memberships: dict[str, Membership] = field(default_factory=dict)  # e-mail → Membership
    node_ids: list[int] = field(default_factory=list)  # plan node index → OrgNode id
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def step_users(ctx: DemoContext) -> None:
    """Users (global table) and their memberships in the tenant."""
    people = ctx.plan.people
    users = User.objects.bulk_create(
        [User(email=p.email, full_name=p.full_name, language=ctx.tenant.default_language,
              password=ctx.password_hash, date_joined=ctx.admin.user.date_joined) for p in people],
        batch_size=BATCH,
    )
    memberships = Membership.objects.bulk_create(
        [Membership(user=u, roles=[p.role], employee_no=p.employee_no, phone=p.phone)
         for u, p in zip(users, people, strict=True)],
        batch_size=BATCH,
    )
    ctx.memberships = {ctx.admin.user.email: ctx.admin}
    ctx.memberships.update({p.email: m for p, m in zip(people, memberships, strict=True)})
    ctx.counts["users"] = len(users)
    ctx.counts["memberships"] = len(memberships)


def step_org_tree(ctx: DemoContext) -> None:
    """The tree with its materialised paths, and one "created" version per node.

    Ids are taken from the sequence first, so every path is known before the one insert.
    """
    nodes = ctx.plan.nodes
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence('accounts_orgnode', 'id')) "
                    "FROM generate_series(1, %s)", [len(nodes)])
        ids = sorted(row[0] for row in cur.fetchall())
    paths: list[str] = []
    for n, pk in zip(nodes, ids, strict=True):
        paths.append(f"{paths[n.parent] if n.parent is not None else '/'}{pk}/")
    OrgNode.objects.bulk_create(
        [OrgNode(id=pk, name=n.name, kind=n.kind, parent_id=ids[n.parent] if n.parent is not None else None,
                 path=path, depth=n.depth, external_code=n.external_code)
         for n, pk, path in zip(nodes, ids, paths, strict=True)],
        batch_size=BATCH,
    )
    OrgNodeVersion.objects.bulk_create(
        [OrgNodeVersion(node_id=pk, name=n.name, kind=n.kind,
                        parent_id=ids[n.parent] if n.parent is not None else None,
                        valid_from=START, valid_to=None, change="created", changed_by_id=ctx.admin.user_id)
         for n, pk in zip(nodes, ids, strict=True)],
        batch_size=BATCH,
    )
    ctx.node_ids = ids
    ctx.counts["org nodes"] = len(ids)
    ctx.counts["org node versions"] = len(ids)


def step_positions(ctx: DemoContext) -> None:
    """One open position per held node, from the day the organisation started."""
    nodes = ctx.plan.nodes
    positions = Position.objects.bulk_create(
        [Position(node_id=ctx.node_ids[p.holds], holder=ctx.memberships[p.email],
                  title=TITLES[nodes[p.holds].kind], start_date=START)
         for p in ctx.plan.people if p.holds is not None],
        batch_size=BATCH,
    )
    ctx.counts["positions"] = len(positions)


STEPS: list[Callable[[DemoContext], None]] = [step_users, step_org_tree, step_positions]


# --------------------------------------------------------------------------- entry point


def existing_conflicts(plans: list[Plan]) -> tuple[list[str], list[str]]:
    """(slugs, e-mails) of the plans that already exist: the demo refuses to overwrite them."""
    slugs = list(Tenant.objects.filter(slug__in=[p.spec.slug for p in plans]).values_list("slug", flat=True))
    emails = [e for p in plans for e in [p.admin.email] + [x.email for x in p.people]]
    taken = list(User.objects.filter(email__in=emails).values_list("email", flat=True)[:5])
    return slugs, taken


def build_tenant(plan: Plan, *, password_hash: str, seed: int) -> DemoContext:
    """Create one tenant from its plan, all in the caller's transaction."""
    spec = plan.spec
    with audit_context(reason="demo data (seed_demo)"), transaction.atomic():
        started = time.perf_counter()
        # No password here: tenant_create would hash it again (~0.5 s); the shared hash is set below.
        tenant, admin = tenant_create(name=spec.name, slug=spec.slug, admin_email=plan.admin.email,
                                      admin_name=plan.admin.full_name, admin_password=None,
                                      default_language="zh-hans", time_zone="Asia/Shanghai", currency="CNY")
        admin.user.password = password_hash
        admin.user.save(update_fields=["password"])
        ctx = DemoContext(plan=plan, tenant=tenant, admin=admin, password_hash=password_hash,
                          rng=demo_rng(seed, spec.slug, "steps"))
        with tenant_scope(tenant):
            admin.employee_no, admin.phone = plan.admin.employee_no, plan.admin.phone
            admin.save(update_fields=["employee_no", "phone"])
            ctx.timings["tenant and admin"] = time.perf_counter() - started
            for step in STEPS:
                started = time.perf_counter()
                step(ctx)
                ctx.timings[step.__name__.removeprefix("step_")] = time.perf_counter() - started
    return ctx


def make_plans(reps: int, seed: int) -> list[Plan]:
    return [make_plan(spec, seed) for spec in demo_specs(reps)]


def build_demo(plans: list[Plan], *, password_hash: str, seed: int) -> list[DemoContext]:
    """The planned demo tenants, in the caller's transaction (the command wraps it in one).

    ``password_hash`` is ``make_password(password)``, computed once by the caller: hashing
    for each of thousands of users would take minutes.
    """
    return [build_tenant(p, password_hash=password_hash, seed=seed) for p in plans]


def fixed_logins(plans: list[Plan], password: str) -> list[dict]:
    """The memorable logins, one per role (and tenant), for the console and demo_logins.json."""
    out = []
    for plan in plans:
        spec = plan.spec
        local_part = {"admin": "admin", "manager": "manager", "rep": "rep", **dict(spec.staff)}
        people = {p.email: p for p in [plan.admin, *plan.people]}
        for role in spec.fixed_logins:
            p = people[f"{local_part[role]}@{spec.domain}"]
            holds = plan.nodes[p.holds].name if p.holds is not None else ""
            out.append({"tenant": spec.slug, "tenant_name": spec.name, "role": role, "email": p.email,
                        "password": password, "name": p.full_name, "holds": holds})
    return out
