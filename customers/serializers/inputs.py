"""What requests send: list filters, search and timeline queries, writes; and timeline entries."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from ..models import (
    Grade,
    InstitutionKind,
    Specialty,
    Stage,
    Tier,
)
from ..selectors import SORTS
from .common import GenderField, GradeField, KindField, OwnershipField, RecordStatusField, SpecialtyField, StageField, TitleField

# --------------------------------------------------------------------------- filters


def _with_none(choices) -> list[tuple[str, str]]:
    """The choices of a filter; a blank value is asked for as ``none`` (``?tier=none``)."""
    return [(v, label) for v, label in choices.choices if v != ""] + (
        [("none", gettext_lazy("None"))] if "" in choices.values else [])


class _ListFilterSerializer(serializers.Serializer):
    """Query parameters shared by the HCP and institution lists (the pages' filters)."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=100,
                              help_text="Start of the Chinese name, the pinyin or the initials (zw, zhangwei, 张).")
    sort = serializers.ChoiceField(choices=[(k, s.label) for k, s in SORTS.items()], required=False,
                                   help_text="Default: name.")
    stage = serializers.MultipleChoiceField(choices=Stage.choices, required=False, help_text="Repeat for several.")
    tier = serializers.MultipleChoiceField(choices=_with_none(Tier), required=False, help_text="Repeat for several.")
    city = serializers.CharField(required=False, allow_blank=True, max_length=60)
    territory = serializers.UUIDField(required=False, allow_null=True,
                                      help_text="Code of an organisation node: customers aligned under it.")
    mine = serializers.BooleanField(required=False, default=False,
                                    help_text="Only customers aligned to the caller's own positions.")
    show = serializers.ChoiceField(choices=[("all", "all"), ("inactive", "inactive")], required=False,
                                   allow_blank=True,
                                   help_text="Default: active, not terminated; all: also inactive and terminated.")

    def validate_territory(self, value):
        if value is None:
            return None
        from accounts.models import OrgNode

        if not OrgNode.objects.filter(code=value).exists():
            raise serializers.ValidationError(_("No organisation node has this code."))
        return value

    def as_params(self):
        """The validated filter as the QueryDict ``customers.selectors`` reads."""
        from django.http import QueryDict

        params = QueryDict(mutable=True)
        for key, value in self.validated_data.items():
            if isinstance(value, (set, list)):
                params.setlist(key, sorted(value))
            elif isinstance(value, bool):
                if value:
                    params[key] = "1"
            elif value not in (None, ""):
                params[key] = str(value)
        return params


class HcpFilterSerializer(_ListFilterSerializer):
    institution = serializers.UUIDField(required=False, allow_null=True,
                                        help_text="Code of an institution: the HCPs with it as primary institution.")
    specialty = serializers.MultipleChoiceField(choices=Specialty.choices, required=False,
                                                help_text="Repeat for several.")
    kol = serializers.BooleanField(required=False, default=False, help_text="Only key opinion leaders.")
    target = serializers.BooleanField(required=False, default=False, help_text="Only HCPs on the target list.")


class InstitutionFilterSerializer(_ListFilterSerializer):
    kind = serializers.MultipleChoiceField(choices=InstitutionKind.choices, required=False,
                                           help_text="Repeat for several.")
    grade = serializers.MultipleChoiceField(choices=_with_none(Grade), required=False, help_text="Repeat for several.")
    province = serializers.CharField(required=False, allow_blank=True, max_length=40)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100,
                              help_text="Chinese name, full pinyin or initials; typos tolerated from 3 letters.")
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=50,
                                     help_text="HCPs at most (institutions: half, at least 3).")


class TimelineQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=200)
    kind = serializers.MultipleChoiceField(choices=[], required=False,
                                           help_text="Only these sources (stage, alignment, change, merge, …).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ..registry import timeline_sources

        self.fields["kind"].choices = [(s.key, str(s.label)) for s in timeline_sources()]


# --------------------------------------------------------------------------- writes


class _WriteSerializer(serializers.Serializer):
    """Shapes a create or a correction; unknown keys are refused, values are checked by the
    services. ``null`` clears a text field."""

    def validate(self, attrs):
        unknown = sorted(set(getattr(self.initial_data, "keys", dict)()) - set(self.fields) - {"csrfmiddlewaretoken"})
        if unknown:
            raise serializers.ValidationError({k: [_("This field cannot be set here.")] for k in unknown})
        return attrs

    def service_data(self) -> dict:
        """The validated values as the services take them (strings; ``None`` as blank)."""
        out = {}
        for key, value in self.validated_data.items():
            if key in self.reference_fields:
                continue
            out[key] = "" if value is None else value
        return out

    reference_fields: tuple[str, ...] = ()


def _text(max_length=None, **kw):
    return serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=max_length, **kw)


class HcpWriteSerializer(_WriteSerializer):
    name = _text(200, help_text="Required when creating.")
    gender = GenderField(required=False, allow_blank=True, allow_null=True)
    title = TitleField(required=False, allow_blank=True, allow_null=True)
    specialty = SpecialtyField(required=False, allow_blank=True, allow_null=True)
    phone = _text(30, help_text="A mainland mobile number (11 digits starting with 1).")
    email = _text(254)
    is_kol = serializers.BooleanField(required=False)
    external_code = _text(60)
    potential = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True,
                                         help_text="Yearly value, zero or more.")
    institution = serializers.UUIDField(required=False, help_text="Code of the primary institution (required "
                                                                  "when creating).")
    department = _text(120, help_text="Name of the department at the primary institution (created if new); "
                                      "empty: none.")
    stage = StageField(required=False, help_text="When creating only (default: prospect); later use …/stage/.")
    status = RecordStatusField(required=False, help_text="Deactivate (inactive) or reactivate (active); "
                                                         "corrections only.")

    reference_fields = ("institution", "department", "stage", "status")


class InstitutionWriteSerializer(_WriteSerializer):
    name = _text(200, help_text="Required when creating.")
    kind = KindField(required=False, allow_blank=True, allow_null=True, help_text="Required when creating.")
    grade = GradeField(required=False, allow_blank=True, allow_null=True)
    beds = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=99999)
    ownership = OwnershipField(required=False, allow_blank=True, allow_null=True)
    province = _text(40, help_text="Required when creating.")
    city = _text(60, help_text="Required when creating.")
    district = _text(60)
    address = _text(300)
    external_code = _text(60)
    national_code = _text(60)
    phone = _text(30)
    potential = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True,
                                         help_text="Yearly value, zero or more.")
    stage = StageField(required=False, help_text="When creating only (default: prospect); later use …/stage/.")
    status = RecordStatusField(required=False, help_text="Deactivate (inactive) or reactivate (active); "
                                                         "corrections only.")

    reference_fields = ("stage", "status")


class StageChangeSerializer(serializers.Serializer):
    stage = StageField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, help_text="Why the stage changes (required).")


class StageResultSerializer(serializers.Serializer):
    code = serializers.UUIDField(read_only=True)
    stage = StageField(read_only=True)
    stage_changed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    changed = serializers.BooleanField(read_only=True, help_text="False when the record was at this stage already.")


# --------------------------------------------------------------------------- timeline


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.SerializerMethodField(help_text="An ISO date-time, or an ISO date for entries of a whole day.")
    kind = serializers.CharField(read_only=True, help_text="The source: stage, alignment, change, merge, …")
    title = serializers.CharField(read_only=True)
    detail = serializers.CharField(read_only=True)
    by = serializers.CharField(read_only=True, help_text="Who did it (empty when not known).")
    url = serializers.CharField(read_only=True, help_text="A page about the entry, if any.")

    def get_at(self, entry) -> str:
        at = entry.at
        if isinstance(at, dt.datetime):
            return timezone.localtime(at).isoformat() if timezone.is_aware(at) else at.isoformat()
        return at.isoformat()
