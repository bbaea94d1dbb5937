"""API representations of expense claims, lines, receipts, budgets, caps and categories, and
the inputs of a claim's create and update. No business rules here: the services check the
input (``expenses.services.claims``) and name the field of each refusal."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from .models import Budget, ClaimState, ExpenseCategory, ExpenseClaim, ExpenseLine, Receipt, SpendCap


class ExpenseRefSerializer(serializers.Serializer):
    """Something shown by its code and name (a territory, an organisation node)."""

    code = serializers.UUIDField()
    name = serializers.CharField()


class ExpenseMemberSerializer(serializers.Serializer):
    code = serializers.UUIDField(help_text="The membership code.")
    name = serializers.CharField(source="user.full_name")


class ExpenseCategoryRefSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    key = serializers.CharField()
    name = serializers.CharField()


class ExpenseApprovalRefSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    state = serializers.CharField(help_text="The approval request's state (see the approvals API).")


class ExpenseLineHcpSerializer(serializers.Serializer):
    code = serializers.UUIDField(source="hcp.code")
    name = serializers.CharField(source="hcp.name")
    share = serializers.DecimalField(source="amount", max_digits=14, decimal_places=2,
                                     help_text="This HCP's share of the line, in the tenant's currency.")


class ExpenseLineSerializer(serializers.ModelSerializer):
    category = ExpenseCategoryRefSerializer()
    hcps = ExpenseLineHcpSerializer(many=True)
    call = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    event = serializers.UUIDField(source="event_code", allow_null=True)

    class Meta:
        model = ExpenseLine
        fields = ["code", "position", "category", "day", "amount", "currency", "rate", "base_amount", "description",
                  "call", "event", "hcps"]
        read_only_fields = fields


class ExpenseReceiptSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = ["code", "original_name", "content_type", "size", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        url = reverse("api-expenses-receipts-file", kwargs={"code": obj.code})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class ExpenseClaimSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=ClaimState.choices, read_only=True)
    rep = ExpenseMemberSerializer(read_only=True)
    territory = ExpenseRefSerializer(read_only=True, allow_null=True,
                                     help_text="The rep's territory when the claim was made.")
    approval = ExpenseApprovalRefSerializer(read_only=True, allow_null=True)
    corrects = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True,
                                            help_text="The approved claim this one corrects.")
    lines = ExpenseLineSerializer(many=True, read_only=True)
    receipts = ExpenseReceiptSerializer(many=True, read_only=True)
    editable = serializers.BooleanField(source="is_editable", read_only=True,
                                        help_text="Draft or sent back: its rep may still change it.")

    class Meta:
        model = ExpenseClaim
        fields = ["code", "state", "editable", "purpose", "rep", "territory", "currency", "total", "over_soft_cap",
                  "approval", "corrects", "submitted_at", "decided_at", "exported_at", "created_at", "updated_at",
                  "lines", "receipts"]
        read_only_fields = fields


# --------------------------------------------------------------------------- inputs


class ExpenseLineWriteSerializer(serializers.Serializer):
    code = serializers.UUIDField(required=False, allow_null=True,
                                 help_text="The line's code, to keep it when a claim is changed (optional).")
    category = serializers.UUIDField(help_text="An expense category's code.")
    day = serializers.DateField(help_text="The date of the expense; not in the future.")
    amount = serializers.CharField(help_text="A decimal above zero, with no more decimals than the currency has "
                                             "(\"1280.50\"); a string is best, a JSON number is accepted.")
    currency = serializers.CharField(required=False, allow_blank=True, default="",
                                     help_text="ISO 4217 code; empty: the tenant's currency.")
    description = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    hcps = serializers.ListField(child=serializers.UUIDField(), required=False, default=list,
                                 help_text="Codes of the HCPs who benefited (HCPs the rep sees).")
    call = serializers.UUIDField(required=False, allow_null=True, help_text="The code of one of the rep's calls.")


class ExpenseClaimWriteSerializer(serializers.Serializer):
    code = serializers.UUIDField(required=False, help_text="Generated by the client on create: a retried create "
                                                           "finds the claim it made. Ignored on update.")
    purpose = serializers.CharField(allow_blank=True, trim_whitespace=False)
    lines = ExpenseLineWriteSerializer(many=True, help_text="Every line of the claim (an update replaces them all).")


class ExpenseReceiptUploadSerializer(serializers.Serializer):
    receipt = serializers.FileField(help_text="A photo (JPEG, PNG, WebP, HEIC) or a PDF, at most 10 MB; the type "
                                              "is read from the content.")


# --------------------------------------------------------------------------- spend control


class ExpenseCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ExpenseCategory
        fields = ["code", "key", "name", "needs_hcp", "position", "is_active"]
        read_only_fields = fields


class ExpenseSpendCapSerializer(serializers.ModelSerializer):
    category = ExpenseCategoryRefSerializer(read_only=True, allow_null=True, help_text="Empty: all categories.")

    class Meta:
        model = SpendCap
        fields = ["code", "category", "annual_limit", "is_hard", "warn_percent", "is_active"]
        read_only_fields = fields


class ExpenseBudgetSerializer(serializers.ModelSerializer):
    node = ExpenseRefSerializer(read_only=True, help_text="For the organisation under this node.")
    category = ExpenseCategoryRefSerializer(read_only=True, allow_null=True, help_text="Empty: every category.")
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True,
                                          help_text="The budget this one was allocated from.")
    used = serializers.DecimalField(max_digits=15, decimal_places=2, read_only=True,
                                    help_text="committed + spent")
    used_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Budget
        fields = ["code", "name", "node", "category", "campaign", "start_date", "end_date", "amount", "committed",
                  "spent", "used", "used_percent", "is_hard", "parent"]
        read_only_fields = fields
