"""Base models: tenant-owned rows, UUID codes, and the audit trail."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from .tenancy import TenantScopeError, current_scope, require_tenant_id


class TenantQuerySet(models.QuerySet):
    """QuerySet of a tenant-owned model; always filtered to the current tenant."""

    def bulk_create(self, objs, *args, **kwargs):
        tenant_id = require_tenant_id()
        for obj in objs:
            if obj.tenant_id is None:
                obj.tenant_id = tenant_id
            elif obj.tenant_id != tenant_id:
                raise TenantScopeError(f"bulk_create of a row of tenant {obj.tenant_id} in tenant {tenant_id}")
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager):
    """Fail-closed manager: raises when no tenant is active (pretix's ScopedManager)."""

    _queryset_class = TenantQuerySet

    def get_queryset(self):
        scope = current_scope()
        qs = super().get_queryset()
        if scope.all_tenants:
            return qs
        if scope.tenant_id is None:
            raise TenantScopeError(
                f"{self.model.__name__} is tenant-owned and no tenant is active: "
                "enter one with tenant_scope(tenant)."
            )
        return qs.filter(tenant_id=scope.tenant_id)


class TenantOwned(models.Model):
    """Every tenant-owned model derives from this.

    The schema invariants (``sfe.core.schema``) give each such table forced row-level
    security, a ``(tenant_id, id)`` key and composite foreign keys to other tenant-owned
    tables, and the audit trigger (``sfe_audit``: one ``AuditEvent`` per row created,
    changed or deleted).

    Two class attributes tune the audit: ``audit_exclude`` names the columns the trigger
    leaves out (computed or noisy columns); ``audit_trigger = False`` opts the whole model
    out (no trigger, and one already there is dropped on the next ``migrate``) — for derived
    rows written in bulk whose history is recorded elsewhere (e.g. ``RealignmentItem``: the
    ``Alignment`` rows a batch changes are audited). ``tenant_key = False`` leaves out the
    ``(tenant_id, id)`` key, which only composite foreign keys need: for append-only rows
    nothing points at, written a million at a time (``TierChange``); a checked foreign key
    to such a model is refused when the invariants run.
    """

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.PROTECT, editable=False, related_name="+", db_index=False
    )

    objects = TenantManager()
    # Columns the audit trigger leaves out (computed or noisy columns).
    audit_exclude: tuple[str, ...] = ()
    # False: no audit trigger on this model's table (derived rows audited elsewhere).
    audit_trigger: bool = True
    # False: no (tenant_id, id) key (nothing points at these rows; see the docstring).
    tenant_key: bool = True

    class Meta:
        abstract = True
        base_manager_name = "objects"

    def save(self, *args, **kwargs):
        tenant_id = require_tenant_id() if not current_scope().all_tenants else self.tenant_id
        if self.tenant_id is None:
            self.tenant_id = tenant_id
        elif self.tenant_id != tenant_id:
            raise TenantScopeError(f"Saving a row of tenant {self.tenant_id} in tenant {tenant_id}")
        super().save(*args, **kwargs)


class Coded(models.Model):
    """A public UUID used in URLs and the API; integer ids stay inside."""

    code = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class AuditEvent(TenantOwned):
    """One row per create, update or delete of a tenant record, written by a trigger.

    The application's database role may only SELECT this table (row-level security
    scopes it to the tenant); the trigger function runs as the owner.
    """

    class Action(models.TextChoices):
        INSERT = "I", _("created")
        UPDATE = "U", _("changed")
        DELETE = "D", _("deleted")

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.DO_NOTHING, null=True, related_name="+", db_index=False,
        db_constraint=False,
    )
    at = models.DateTimeField(db_default=models.Func(function="clock_timestamp"))
    table_name = models.CharField(max_length=63)
    row_id = models.BigIntegerField()
    row_code = models.UUIDField(null=True)
    action = models.CharField(max_length=1, choices=Action.choices)
    changes = models.JSONField(default=dict)
    actor_id = models.BigIntegerField(null=True)
    request_id = models.CharField(max_length=64, blank=True, null=True)
    reason = models.TextField(blank=True, null=True)
    txid = models.BigIntegerField(null=True)

    tenant_key = False  # nothing points at an audit row: one index less to write per audited row

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "table_name", "row_id", "-at"], name="audit_row_idx"),
            models.Index(fields=["tenant", "-at"], name="audit_recent_idx"),
            models.Index(fields=["tenant", "actor_id", "-at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.table_name}#{self.row_id} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        raise TenantScopeError("Audit events are written by the database trigger only.")

    def change_rows(self, hide: tuple[str, ...] = ("id", "tenant_id")) -> list[tuple[str, object, object]]:
        """``(column, old, new)`` sorted by column. A change stores ``[old, new]`` pairs of
        the columns that changed; a creation stores the new row and a deletion the old one
        (empty values left out)."""
        changes = self.changes or {}
        if self.action == self.Action.UPDATE:
            rows = ((k, v[0], v[1]) for k, v in changes.items())
        elif self.action == self.Action.INSERT:
            rows = ((k, None, v) for k, v in changes.items() if v is not None)
        else:
            rows = ((k, v, None) for k, v in changes.items() if v is not None)
        return sorted((r for r in rows if r[0] not in hide), key=lambda r: r[0])


@deconstructible(path="sfe.core.models.TenantUploadTo")
class TenantUploadTo:
    """``upload_to`` for a FileField of a tenant-owned model: ``t<tenant>/<prefix>/<uuid><ext>``.

    Stored paths carry the tenant (and no user-chosen name), so one tenant's file can
    never be served at, or overwrite, another tenant's path.
    """

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __call__(self, instance, filename: str) -> str:
        import os

        tenant_id = instance.tenant_id or require_tenant_id()
        ext = os.path.splitext(filename)[1].lower()[:10]
        return f"t{tenant_id}/{self.prefix}/{uuid.uuid4().hex}{ext}"

    def __eq__(self, other) -> bool:
        return isinstance(other, TenantUploadTo) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)


def tenant_upload_to(prefix: str) -> TenantUploadTo:
    return TenantUploadTo(prefix)
