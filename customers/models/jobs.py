"""Bulk imports (a Celery task with progress) and the saved filters of the lists."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantOwned, tenant_upload_to


class ImportJob(TenantOwned, Coded):
    class Kind(models.TextChoices):
        INSTITUTIONS = "institutions", _("Institutions")
        HCPS = "hcps", _("HCPs")
        ALIGNMENTS = "alignments", _("Alignments")

    class Mode(models.TextChoices):
        VALID_ROWS = "valid_rows", _("Import every valid row")
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        VALIDATING = "validating", _("Checking rows")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused: nothing imported")
        FAILED = "failed", _("Failed: nothing imported")

    kind = models.CharField(_("what"), max_length=12, choices=Kind.choices)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.VALID_ROWS)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    file = models.FileField(upload_to=tenant_upload_to("imports"), max_length=200)
    original_name = models.CharField(max_length=200)
    encoding = models.CharField(max_length=20, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_rows = models.PositiveIntegerField(default=0)
    updated_rows = models.PositiveIntegerField(default=0)
    unchanged_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    #: [{"row": 7, "column": "phone", "message": "…"}, …] (the first thousand).
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = ("processed_rows",)

    class Meta:
        verbose_name = _("import")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="import_tenant_created")]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="import_tenant_code")]

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.REFUSED, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class SavedFilter(TenantOwned, Coded):
    """A named query string of a list, kept per member."""

    class ListName(models.TextChoices):
        HCPS = "hcps", _("HCPs")
        INSTITUTIONS = "institutions", _("Institutions")

    owner = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="+", db_index=False)
    list_name = models.CharField(max_length=16, choices=ListName.choices)
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="savedfilter_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "owner", "list_name", "name"], name="savedfilter_unique_name",
                                    violation_error_message=_("You have a saved filter with this name already.")),
        ]

    def __str__(self) -> str:
        return self.name
