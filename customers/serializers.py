"""API representations of the customer master's core records (``/api/v1/customers/``).

No integer ids: records, institutions, departments, territories and product lines are
named by their UUID ``code``. Lists read what ``customers.selectors`` already joined
(``institution``, ``department``), so a page is one query whatever its size; the detail
views load their parts (affiliations, KOL links, alignments, departments, the supply
network, HCP counts) with one query each and pass them in the context.

Writes go through ``customers.services``: the write serializers only shape the request
(every value is checked by the services, whose ``ValidationError`` the view returns as
400 field by field), so the API accepts what the pages and imports accept.

Enumerations are named schema components (``CustomerStage``, ``InstitutionKind`` …), not
per-field enums, so the OpenAPI schema has one enum per choice set and no naming
collision with other apps' ``status`` or ``kind``.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import (
    Affiliation,
    Alignment,
    Department,
    Gender,
    Grade,
    Hcp,
    Institution,
    InstitutionKind,
    KolLink,
    Ownership,
    Specialty,
    Stage,
    Status,
    SupplyRelation,
    Tier,
    Title,
)
from .selectors import SORTS

# --------------------------------------------------------------------------- enumerations


def _enum_field(choices, component: str):
    """A string field documented as the named enum component ``component``.

    It does not refuse values itself: in requests the services check them (and also take
    the labels, e.g. 三级甲等 or 主任医师, as the imports do); in responses the values come
    from the database.
    """

    choices = getattr(choices, "choices", choices)

    @extend_schema_field(serializers.ChoiceField(choices=choices), component_name=component)
    class EnumField(serializers.CharField):
        pass

    EnumField.__name__ = EnumField.__qualname__ = f"{component}Field"
    return EnumField


StageField = _enum_field(Stage, "CustomerStage")
StatusField = _enum_field(Status, "CustomerStatus")
TierField = _enum_field(Tier, "CustomerTier")
GenderField = _enum_field(Gender, "HcpGender")
TitleField = _enum_field(Title, "HcpTitle")
SpecialtyField = _enum_field(Specialty, "HcpSpecialty")
KindField = _enum_field(InstitutionKind, "InstitutionKind")
GradeField = _enum_field(Grade, "InstitutionGrade")
OwnershipField = _enum_field(Ownership, "InstitutionOwnership")
KolKindField = _enum_field(KolLink.Kind, "KolLinkKind")
AlignmentSourceField = _enum_field(Alignment.Source, "AlignmentSource")
RecordStatusField = _enum_field([(Status.ACTIVE.value, Status.ACTIVE.label), (Status.INACTIVE.value, Status.INACTIVE.label)],
                                "CustomerSettableStatus")


# --------------------------------------------------------------------------- small parts


class NamedRefSerializer(serializers.Serializer):
    """Another record named by its code and name."""

    code = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class InstitutionRefSerializer(NamedRefSerializer):
    kind = KindField(read_only=True)
    city = serializers.CharField(read_only=True)


def ref(obj) -> dict | None:
    return {"code": str(obj.code), "name": obj.name} if obj is not None else None


def institution_ref(inst: Institution) -> dict:
    return {"code": str(inst.code), "name": inst.name, "kind": inst.kind, "city": inst.city}


class AlignmentSerializer(serializers.ModelSerializer):
    territory = NamedRefSerializer(read_only=True)
    product_line = NamedRefSerializer(read_only=True)
    source = AlignmentSourceField(read_only=True)

    class Meta:
        model = Alignment
        fields = ["code", "territory", "product_line", "start_date", "end_date", "source"]
        read_only_fields = fields


class AffiliationSerializer(serializers.ModelSerializer):
    institution = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()

    class Meta:
        model = Affiliation
        fields = ["code", "institution", "department", "role", "start_date", "end_date"]
        read_only_fields = fields

    @extend_schema_field(InstitutionRefSerializer)
    def get_institution(self, obj: Affiliation) -> dict:
        return institution_ref(obj.institution)

    def get_department(self, obj: Affiliation) -> str:
        return obj.department.name if obj.department_id else ""


class KolLinkSerializer(serializers.Serializer):
    """A link seen from the record: ``out`` when the record is the source ("mentor of …"),
    ``in`` when it is the target."""

    code = serializers.UUIDField(read_only=True)
    kind = KolKindField(read_only=True)
    kind_label = serializers.CharField(read_only=True)
    direction = serializers.ChoiceField(choices=[("out", "out"), ("in", "in")], read_only=True)
    hcp = NamedRefSerializer(read_only=True)
    note = serializers.CharField(read_only=True)


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name", "specialty", "is_active"]
        read_only_fields = fields


class SupplySerializer(serializers.Serializer):
    """One supply relation seen from the institution: the other party and the product."""

    code = serializers.UUIDField(read_only=True)
    institution = InstitutionRefSerializer(read_only=True)
    brand = NamedRefSerializer(read_only=True, allow_null=True,
                               help_text="The product; null when the supplier delivers every product.")
    start_date = serializers.DateField(read_only=True, allow_null=True)
    end_date = serializers.DateField(read_only=True, allow_null=True)


def supply_item(relation: SupplyRelation, other: Institution) -> dict:
    return {"code": relation.code, "institution": institution_ref(other), "brand": ref(relation.brand),
            "start_date": relation.start_date, "end_date": relation.end_date}


class SupplyNetworkSerializer(serializers.Serializer):
    suppliers = SupplySerializer(many=True, read_only=True, help_text="Who delivers to this institution.")
    suppliers_more = serializers.BooleanField(read_only=True, help_text="More suppliers than listed.")
    customers = SupplySerializer(many=True, read_only=True, help_text="Whom this institution delivers to.")
    customers_more = serializers.BooleanField(read_only=True, help_text="More customers than listed.")


class HcpCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(read_only=True, help_text="HCPs with this primary institution (not merged).")
    active = serializers.IntegerField(read_only=True)
    kol = serializers.IntegerField(read_only=True, help_text="Active key opinion leaders.")
    target = serializers.IntegerField(read_only=True, help_text="Active HCPs on the target list.")


# --------------------------------------------------------------------------- HCPs


class HcpListSerializer(serializers.ModelSerializer):
    gender = GenderField(read_only=True)
    title = TitleField(read_only=True)
    specialty = SpecialtyField(read_only=True)
    institution = NamedRefSerializer(read_only=True)
    department = serializers.SerializerMethodField()
    tier = TierField(read_only=True)
    stage = StageField(read_only=True)
    status = StatusField(read_only=True)

    class Meta:
        model = Hcp
        fields = ["code", "name", "name_pinyin", "gender", "title", "specialty", "institution", "department", "tier",
                  "stage", "status", "is_kol", "is_target", "potential", "external_code", "updated_at"]
        read_only_fields = fields

    def get_department(self, obj: Hcp) -> str:
        return obj.department.name if obj.department_id else ""


class HcpDetailSerializer(HcpListSerializer):
    initials = serializers.CharField(read_only=True)
    merged_into = serializers.SerializerMethodField(help_text="The surviving record of a merged one.")
    affiliations = serializers.SerializerMethodField()
    kol_links = serializers.SerializerMethodField(help_text="Links to the HCPs the caller sees.")
    alignments = serializers.SerializerMethodField(help_text="The record's own alignments today.")

    class Meta(HcpListSerializer.Meta):
        fields = [*HcpListSerializer.Meta.fields, "initials", "phone", "email", "stage_changed_at", "created_at",
                  "merged_into", "affiliations", "kol_links", "alignments"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.UUID)
    def get_merged_into(self, obj: Hcp) -> str | None:
        return str(obj.merged_into.code) if obj.merged_into_id else None

    @extend_schema_field(AffiliationSerializer(many=True))
    def get_affiliations(self, obj: Hcp) -> list[dict]:
        return AffiliationSerializer(self.context.get("affiliations", []), many=True).data

    @extend_schema_field(KolLinkSerializer(many=True))
    def get_kol_links(self, obj: Hcp) -> list[dict]:
        return KolLinkSerializer(self.context.get("kol_links", []), many=True).data

    @extend_schema_field(AlignmentSerializer(many=True))
    def get_alignments(self, obj: Hcp) -> list[dict]:
        return AlignmentSerializer(self.context.get("alignments", []), many=True).data


class HcpSearchSerializer(serializers.ModelSerializer):
    institution = NamedRefSerializer(read_only=True)
    department = serializers.SerializerMethodField()
    title = TitleField(read_only=True)
    specialty = SpecialtyField(read_only=True)
    status = StatusField(read_only=True)

    class Meta:
        model = Hcp
        fields = ["code", "name", "name_pinyin", "title", "specialty", "institution", "department", "status"]
        read_only_fields = fields

    def get_department(self, obj: Hcp) -> str:
        return obj.department.name if obj.department_id else ""


# --------------------------------------------------------------------------- institutions


class InstitutionListSerializer(serializers.ModelSerializer):
    kind = KindField(read_only=True)
    grade = GradeField(read_only=True)
    ownership = OwnershipField(read_only=True)
    tier = TierField(read_only=True)
    stage = StageField(read_only=True)
    status = StatusField(read_only=True)

    class Meta:
        model = Institution
        fields = ["code", "name", "name_pinyin", "kind", "grade", "beds", "ownership", "province", "city", "district",
                  "tier", "stage", "status", "potential", "external_code", "national_code", "updated_at"]
        read_only_fields = fields


class InstitutionDetailSerializer(InstitutionListSerializer):
    initials = serializers.CharField(read_only=True)
    merged_into = serializers.SerializerMethodField(help_text="The surviving record of a merged one.")
    departments = serializers.SerializerMethodField()
    hcp_counts = serializers.SerializerMethodField()
    supply_network = serializers.SerializerMethodField(
        help_text="Current and upcoming supply relations (the first 100 each way).")
    alignments = serializers.SerializerMethodField(help_text="The institution's alignments today.")

    class Meta(InstitutionListSerializer.Meta):
        fields = [*InstitutionListSerializer.Meta.fields, "initials", "address", "phone", "stage_changed_at",
                  "created_at", "merged_into", "departments", "hcp_counts", "supply_network", "alignments"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.UUID)
    def get_merged_into(self, obj: Institution) -> str | None:
        return str(obj.merged_into.code) if obj.merged_into_id else None

    @extend_schema_field(DepartmentSerializer(many=True))
    def get_departments(self, obj: Institution) -> list[dict]:
        return DepartmentSerializer(self.context.get("departments", []), many=True).data

    @extend_schema_field(HcpCountsSerializer)
    def get_hcp_counts(self, obj: Institution) -> dict:
        return self.context.get("hcp_counts", {"total": 0, "active": 0, "kol": 0, "target": 0})

    @extend_schema_field(SupplyNetworkSerializer)
    def get_supply_network(self, obj: Institution) -> dict:
        network = self.context.get("supply_network", {})
        return SupplyNetworkSerializer({"suppliers": network.get("suppliers", []),
                                        "suppliers_more": network.get("suppliers_more", False),
                                        "customers": network.get("customers", []),
                                        "customers_more": network.get("customers_more", False)}).data

    @extend_schema_field(AlignmentSerializer(many=True))
    def get_alignments(self, obj: Institution) -> list[dict]:
        return AlignmentSerializer(self.context.get("alignments", []), many=True).data


class InstitutionSearchSerializer(serializers.ModelSerializer):
    kind = KindField(read_only=True)
    grade = GradeField(read_only=True)
    status = StatusField(read_only=True)

    class Meta:
        model = Institution
        fields = ["code", "name", "name_pinyin", "kind", "grade", "province", "city", "status"]
        read_only_fields = fields


class SearchSerializer(serializers.Serializer):
    hcps = HcpSearchSerializer(many=True, read_only=True)
    institutions = InstitutionSearchSerializer(many=True, read_only=True)


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
        from .registry import timeline_sources

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
