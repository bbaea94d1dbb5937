"""``manage.py seed_demo``: the demo tenants huakang (sized) and ruian (small), one
memorable login per role, all with one password.

    manage.py seed_demo --size small|medium|large   # ≈30 / 300 / 3,000 reps
    manage.py seed_demo --reps 12 --seed 7
    manage.py seed_demo --size small --if-empty     # what `make run` calls on every start

It refuses to touch existing demo tenants: there is no ``--reset``. Tenant rows can be
deleted only together with their audit trail, which the application role may not touch
(the audit is tamper-evident by design), so starting over means a fresh database
(``make clean-db``). Everything is created in one transaction: a failure leaves nothing.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.demo import builder
from accounts.models import Tenant

# Next to the embedded servers' state (var/run, or $SFE_VAR_DIR/run like sfe.embedded).
DEFAULT_LOGINS_FILE = Path(os.environ.get("SFE_VAR_DIR", Path(settings.BASE_DIR) / "var")) / "run" / "demo_logins.json"


class Command(BaseCommand):
    help = "Create the demo tenants (huakang, sized; ruian, small) with one login per role."

    def add_arguments(self, parser):
        size = parser.add_mutually_exclusive_group()
        size.add_argument("--size", choices=sorted(builder.SIZES), default="small",
                          help="small ≈ 30 reps, medium ≈ 300, large = 3,000 reps and 300 managers")
        size.add_argument("--reps", type=int, help="number of reps of huakang (instead of --size)")
        parser.add_argument("--seed", type=int, default=42, help="same seed, same names and tree (default 42)")
        parser.add_argument("--password", default="Demo-Pharma-2026", help="password of every demo user")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing (and succeed) when the demo tenant already exists")
        parser.add_argument("--logins-file", default=str(DEFAULT_LOGINS_FILE),
                            help="where to write the logins as JSON ('' to skip)")

    def handle(self, *args, **options):
        reps = options["reps"] if options["reps"] is not None else builder.SIZES[options["size"]]
        if reps < 1:
            raise CommandError("--reps must be at least 1")
        main_slug = builder.demo_specs(reps)[0].slug
        if options["if_empty"] and Tenant.objects.filter(slug=main_slug).exists():
            self.stdout.write("demo data already present")
            return

        plans = builder.make_plans(reps, options["seed"])
        slugs, emails = builder.existing_conflicts(plans)
        if slugs or emails:
            what = f"tenant(s) {', '.join(slugs)}" if slugs else f"user(s) {', '.join(emails)}"
            raise CommandError(
                f"The demo data already exists ({what}). seed_demo never overwrites it: use --if-empty "
                "to skip, or start from an empty database (make clean-db)."
            )

        started = time.perf_counter()
        password_hash = make_password(options["password"])  # once, for every demo user
        hashed = time.perf_counter() - started
        with transaction.atomic():
            ctxs = builder.build_demo(plans, password_hash=password_hash, seed=options["seed"])
        elapsed = time.perf_counter() - started

        logins = builder.fixed_logins(plans, options["password"])
        if options["verbosity"] >= 2:
            self.stdout.write(f"password hashed once in {hashed:.2f} s")
        for ctx in ctxs:
            counts = ", ".join(f"{v:,} {k}" for k, v in ctx.counts.items())
            self.stdout.write(f"{ctx.plan.spec.slug}: {counts}")
            if options["verbosity"] >= 2:
                for step, seconds in ctx.timings.items():
                    self.stdout.write(f"    {step:<18} {seconds:7.2f} s")
        self.stdout.write(f"seeded in {elapsed:.2f} s (seed {options['seed']})")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password {options['password']}):"))
        for row in logins:
            holds = f"  {row['holds']}" if row["holds"] else ""
            self.stdout.write(f"  {row['tenant']:<8} {row['role']:<13} {row['email']:<24} {row['name']}{holds}")
        if options["logins_file"]:
            path = Path(options["logins_file"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(logins, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            self.stdout.write(f"written to {path}")
