"""API shapes of calls and follow-up tasks (codes, never ids).

Writes are checked by the services (``parse_call_input``, ``call_save``); the write
serializers here say the shape, for the schema and for a first 400 on a malformed body.
"""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers


class _Ref(serializers.Serializer):
    code = serializers.UUIDField()
    name = serializers.CharField()


def _ref(obj, name_attr="name"):
    if obj is None:
        return None
    return {"code": obj.code, "name": getattr(obj, name_attr)}


class CallListSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    status = serializers.CharField()
    call_type = serializers.CharField()
    at = serializers.DateTimeField()
    day = serializers.DateField()
    hcp = serializers.SerializerMethodField()
    institution = serializers.SerializerMethodField()
    rep = serializers.SerializerMethodField()
    is_far = serializers.BooleanField()
    is_late = serializers.BooleanField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    locked = serializers.SerializerMethodField()

    def get_hcp(self, call) -> dict | None:
        return _Ref(_ref(call.hcp)).data if call.hcp_id else None

    def get_institution(self, call) -> dict:
        return _Ref(_ref(call.institution)).data

    def get_rep(self, call) -> dict:
        return {"code": str(call.rep.code), "name": call.rep.user.full_name}

    def get_locked(self, call) -> bool:
        return call.locked_at is not None


class CallDetailSerializer(CallListSerializer):
    planned_at = serializers.DateTimeField(allow_null=True)
    duration_min = serializers.IntegerField(allow_null=True)
    notes = serializers.CharField()
    next_step = serializers.CharField()
    co_visitor = serializers.SerializerMethodField()
    products = serializers.SerializerMethodField()
    attendees = serializers.SerializerMethodField()
    checkin_at = serializers.DateTimeField(allow_null=True)
    checkin_lat = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    checkin_lng = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    distance_m = serializers.IntegerField(allow_null=True)
    edit_count = serializers.IntegerField()
    source = serializers.CharField()

    def get_co_visitor(self, call) -> dict | None:
        v = call.co_visitor
        return {"code": str(v.code), "name": v.user.full_name} if v is not None else None

    def get_products(self, call) -> list[dict]:
        return [{"position": p.position, "brand": {"code": str(p.brand.code), "name": p.brand.name},
                 "messages": [{"code": str(m.key_message.code), "text": m.key_message.text} for m in p.messages.all()]}
                for p in self.context.get("products", [])]

    def get_attendees(self, call) -> list[dict]:
        return [{"code": str(a.hcp.code), "name": a.hcp.name} for a in self.context.get("attendees", [])]


class ProductWriteSerializer(serializers.Serializer):
    brand = serializers.UUIDField()
    messages = serializers.ListField(child=serializers.UUIDField(), required=False, default=list)


class CallWriteSerializer(serializers.Serializer):
    """A call as the API sends it. ``code``: a UUID the client makes once per call (a retried
    POST with it answers 200 with the call already made); ``submit``: false saves a draft."""

    code = serializers.UUIDField(required=False)
    submit = serializers.BooleanField(required=False, default=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    call_type = serializers.CharField(required=False)
    hcp = serializers.UUIDField(required=False, allow_null=True)
    institution = serializers.UUIDField(required=False, allow_null=True)
    at = serializers.CharField(required=False)
    duration_min = serializers.IntegerField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    next_step = serializers.CharField(required=False, allow_blank=True)
    next_step_due = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    co_visitor = serializers.UUIDField(required=False, allow_null=True)
    attendees = serializers.ListField(child=serializers.UUIDField(), required=False)
    products = ProductWriteSerializer(many=True, required=False)
    checkin_lat = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    checkin_lng = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    checkin_accuracy_m = serializers.IntegerField(required=False, allow_null=True)
    checkin_at = serializers.CharField(required=False, allow_blank=True, allow_null=True)


def call_raw(call, parts: dict) -> dict:
    """A saved call as the plain values ``parse_call_input`` reads (the base of a PATCH)."""
    return {
        "call_type": call.call_type, "hcp": str(call.hcp.code) if call.hcp_id else "",
        "institution": str(call.institution.code), "at": timezone.localtime(call.at).isoformat(),
        "duration_min": call.duration_min, "notes": call.notes, "next_step": call.next_step,
        "co_visitor": str(call.co_visitor.code) if call.co_visitor_id else "",
        "attendees": [str(a.hcp.code) for a in parts["attendees"]],
        "products": [{"brand": str(p.brand.code), "messages": [str(m.key_message.code) for m in p.messages.all()]}
                     for p in parts["products"]],
    }


class FollowUpSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    title = serializers.CharField()
    due_date = serializers.DateField()
    done_at = serializers.DateTimeField(allow_null=True)
    hcp = serializers.SerializerMethodField()
    call = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()

    def get_hcp(self, task) -> dict | None:
        return {"code": str(task.hcp.code), "name": task.hcp.name} if task.hcp_id else None

    def get_call(self, task) -> str | None:
        return str(task.call.code) if task.call_id else None

    def get_assignee(self, task) -> dict:
        return {"code": str(task.assignee.code), "name": task.assignee.user.full_name}


class FollowUpWriteSerializer(serializers.Serializer):
    code = serializers.UUIDField(required=False)
    title = serializers.CharField(max_length=300)
    due_date = serializers.DateField(required=False, allow_null=True)
    hcp = serializers.UUIDField(required=False, allow_null=True)


class FollowUpDoneSerializer(serializers.Serializer):
    done = serializers.BooleanField(required=False, default=True)
