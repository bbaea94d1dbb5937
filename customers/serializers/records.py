"""HCPs and institutions: list, detail and search representations."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import (
    Hcp,
    Institution,
)
from .common import (
    AffiliationSerializer,
    AlignmentSerializer,
    DepartmentSerializer,
    GenderField,
    GradeField,
    HcpCountsSerializer,
    KindField,
    KolLinkSerializer,
    NamedRefSerializer,
    OwnershipField,
    SpecialtyField,
    StageField,
    StatusField,
    SupplyNetworkSerializer,
    TierField,
    TitleField,
)

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
