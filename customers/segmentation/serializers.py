"""API representations of rules, tiers, history, runs and pins (read-only, except the run
request's input). No business rules here: the services and selectors decide."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import CustomerKind

from .definition import describe
from .models import CustomerTier, Purpose, RunPurpose, SegmentationRule, SegmentationRun, TierChange
from .selectors import run_status, why_text


def _enum_field(choices, component: str):
    """A read-only string documented as the named enum ``component`` (no name collisions
    with other apps' ``status`` or ``kind`` in the schema)."""

    @extend_schema_field(serializers.ChoiceField(choices=choices.choices), component_name=component)
    class EnumField(serializers.CharField):
        pass

    EnumField.__name__ = EnumField.__qualname__ = f"{component}Field"
    return EnumField


PurposeField = _enum_field(Purpose, "SegmentationPurpose")
KindField = _enum_field(CustomerKind, "SegmentationCustomerKind")
RunPurposeField = _enum_field(RunPurpose, "SegmentationRunPurpose")
RunStatusField = _enum_field(SegmentationRun.Status, "SegmentationRunStatus")
RunTriggerField = _enum_field(SegmentationRun.Trigger, "SegmentationRunTrigger")
ChangeKindField = _enum_field(TierChange.Kind, "SegmentationChangeKind")


def _line(line) -> dict | None:
    return {"code": str(line.code), "name": line.name} if line is not None else None


def _member(membership) -> str | None:
    return membership.user.full_name if membership is not None else None


class RuleSerializer(serializers.ModelSerializer):
    purpose = PurposeField(read_only=True)
    kind = KindField(read_only=True)
    product_line = serializers.SerializerMethodField()
    method = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    updated_by = serializers.SerializerMethodField()

    class Meta:
        model = SegmentationRule
        fields = ["code", "purpose", "product_line", "kind", "name", "method", "summary", "definition", "version",
                  "is_active", "updated_at", "updated_by"]

    def get_product_line(self, obj) -> dict | None:
        return _line(obj.product_line)

    def get_method(self, obj) -> str:
        return obj.method

    def get_summary(self, obj) -> str:
        return describe(obj.definition or {})

    def get_updated_by(self, obj) -> str | None:
        return _member(obj.updated_by)


def _customer(obj) -> dict:
    record, kind = (obj.hcp, "hcp") if obj.hcp_id else (obj.institution, "institution")
    return {"kind": kind, "code": str(record.code), "name": record.name}


class TierSerializer(serializers.ModelSerializer):
    purpose = PurposeField(read_only=True)
    product_line = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    pin = serializers.SerializerMethodField()

    class Meta:
        model = CustomerTier
        fields = ["purpose", "product_line", "customer", "tier", "computed_tier", "potential_band", "adoption_band",
                  "score_band", "pin", "changed_at"]

    def get_product_line(self, obj) -> dict | None:
        return _line(obj.product_line)

    def get_customer(self, obj) -> dict:
        """The HCP or institution: kind, code and name."""
        return _customer(obj)

    def get_pin(self, obj) -> dict | None:
        """The analyst's pin (tier, reason, who, when), if any."""
        if not obj.pinned_tier:
            return None
        return {"tier": obj.pinned_tier, "reason": obj.pin_reason, "by": _member(obj.pinned_by), "at": obj.pinned_at}


class TierChangeSerializer(serializers.ModelSerializer):
    purpose = PurposeField(read_only=True)
    kind = ChangeKindField(read_only=True)
    product_line = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    by = serializers.SerializerMethodField()
    run = serializers.SerializerMethodField()
    why = serializers.SerializerMethodField()
    why_text = serializers.SerializerMethodField()

    class Meta:
        model = TierChange
        fields = ["purpose", "product_line", "customer", "from_tier", "to_tier", "kind", "at", "by", "run", "why",
                  "why_text", "reason"]

    def get_product_line(self, obj) -> dict | None:
        return _line(obj.product_line)

    def get_customer(self, obj) -> dict:
        return _customer(obj)

    def get_by(self, obj) -> str | None:
        return _member(obj.by)

    def get_run(self, obj) -> str | None:
        return str(obj.run.code) if obj.run_id and obj.run else None

    def get_why(self, obj) -> dict:
        """The bands before and after (``{"potential_band": [1, 3], …}``) and the rule's version."""
        return obj.why

    def get_why_text(self, obj) -> str:
        return why_text(obj)


class RunSerializer(serializers.ModelSerializer):
    purpose = RunPurposeField(read_only=True)
    trigger = RunTriggerField(read_only=True)
    status = RunStatusField(read_only=True)
    product_line = serializers.SerializerMethodField()
    requested_by = serializers.SerializerMethodField()

    class Meta:
        model = SegmentationRun
        fields = ["code", "purpose", "product_line", "trigger", "status", "requested_by", "created_at", "started_at",
                  "finished_at", "rows_changed", "tier_changes", "customers_updated", "error"]

    def get_product_line(self, obj) -> dict | None:
        return _line(obj.product_line)

    def get_requested_by(self, obj) -> str | None:
        return _member(obj.requested_by)


class RunDetailSerializer(RunSerializer):
    progress = serializers.SerializerMethodField()

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "counts", "progress"]

    def get_progress(self, obj) -> dict:
        """``percent`` 0–100 and the current ``step`` while the run is open (poll until ``finished``)."""
        status = run_status(obj)
        return {k: status[k] for k in ("finished", "percent", "step", "tier_changes")}


class RunRequestSerializer(serializers.Serializer):
    """``purpose``: ``tier`` (give ``product_line``) or ``channel`` (channel classes and credit ratings)."""

    purpose = RunPurposeField(default=RunPurpose.TIER)
    product_line = serializers.UUIDField(required=False, allow_null=True,
                                         help_text="The product line's code (tier runs).")

    def validate_purpose(self, value: str) -> str:
        if value not in RunPurpose.values:
            raise serializers.ValidationError(_("Choose tier or channel."))
        return value

