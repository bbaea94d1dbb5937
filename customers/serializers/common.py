"""Named enumerations and the small parts the record serializers nest."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import (
    Affiliation,
    Alignment,
    Department,
    Gender,
    Grade,
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
