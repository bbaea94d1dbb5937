"""Serializers of the samples API (shapes only: the services decide)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import MoveKind, SampleMove, SampleOrder, SampleStock


class StockSerializer(serializers.ModelSerializer):
    rep = serializers.UUIDField(source="rep.code", read_only=True)
    rep_name = serializers.CharField(source="rep.user.full_name", read_only=True)
    sku = serializers.UUIDField(source="lot.sku.code", read_only=True)
    sku_name = serializers.CharField(source="lot.sku.__str__", read_only=True)
    lot = serializers.UUIDField(source="lot.code", read_only=True)
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    expiry = serializers.DateField(source="lot.expiry", read_only=True)

    class Meta:
        model = SampleStock
        fields = ["rep", "rep_name", "sku", "sku_name", "lot", "lot_number", "expiry", "quantity"]


class MoveSerializer(serializers.ModelSerializer):
    rep = serializers.UUIDField(source="rep.code", read_only=True)
    lot = serializers.UUIDField(source="lot.code", read_only=True)
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    sku = serializers.UUIDField(source="lot.sku.code", read_only=True)
    call = serializers.UUIDField(source="call.code", read_only=True, allow_null=True, default=None)
    hcp = serializers.UUIDField(source="hcp.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = SampleMove
        fields = ["code", "kind", "quantity", "rep", "sku", "lot", "lot_number", "call", "hcp", "reason", "at"]


class GiveLineSerializer(serializers.Serializer):
    lot = serializers.UUIDField(help_text=_("The lot's code (from the inventory)."))
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class SignatureSerializer(serializers.Serializer):
    svg_path = serializers.CharField(required=False, allow_blank=True, max_length=200_000,
                                     help_text=_("The strokes as an SVG path (M x y L x y …) in a 600 × 200 box."))
    png = serializers.CharField(required=False, allow_blank=True, max_length=800_000,
                                help_text=_("The drawing as a base64 PNG (at most 512 KB)."))


class GiveSerializer(serializers.Serializer):
    code = serializers.UUIDField(help_text=_("Made by the client; a retry with the same code gives nothing twice."))
    call = serializers.UUIDField(help_text=_("The call's code."))
    lines = GiveLineSerializer(many=True)
    signature = SignatureSerializer(required=False, allow_null=True)


class OrderLineSerializer(serializers.Serializer):
    sku = serializers.UUIDField(source="sku.code")
    sku_name = serializers.CharField(source="sku.__str__", read_only=True)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)


class OrderSerializer(serializers.ModelSerializer):
    rep = serializers.UUIDField(source="rep.code", read_only=True)
    rep_name = serializers.CharField(source="rep.user.full_name", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = SampleOrder
        fields = ["code", "rep", "rep_name", "state", "note", "approval_code", "decision_comment", "created_at",
                  "decided_at", "received_at", "lines"]


class OrderCreateSerializer(serializers.Serializer):
    code = serializers.UUIDField(help_text=_("Made by the client; a retry with the same code orders once."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    lines = OrderLineSerializer(many=True)


__all__ = ["GiveSerializer", "MoveKind", "MoveSerializer", "OrderCreateSerializer", "OrderSerializer",
           "StockSerializer"]
