"""Forms of the call pages.

The call form is plain HTML (phone first, offline-queueable, working without JavaScript):
``call_raw_from_post`` turns its POST into the plain values ``services.parse_call_input``
reads (the API sends the same shape as JSON), and ``call_values`` gives the values the
form shows — what was typed (after an error), or a call's (edit), or the defaults (new).
The settings, key-message and task forms are small Django forms; the services check again.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CallSettings

PRODUCT_SLOTS = 6
RAW_FIELDS = ("call_type", "hcp", "institution", "at", "duration_min", "notes", "next_step", "next_step_due",
              "co_visitor", "checkin_lat", "checkin_lng", "checkin_accuracy_m", "checkin_at")


def call_raw_from_post(post) -> dict:
    """The form's POST as the plain values of ``parse_call_input`` (products in slot order;
    a slot with messages but no product is kept, so the service can say what is wrong)."""
    raw = {f: (post.get(f) or "").strip() for f in RAW_FIELDS}
    raw["attendees"] = [a for a in post.getlist("attendees") if a]
    raw["products"] = []
    for i in range(1, PRODUCT_SLOTS + 1):
        brand, messages = (post.get(f"product_{i}") or "").strip(), [m for m in post.getlist(f"messages_{i}") if m]
        if brand or messages:
            raw["products"].append({"brand": brand, "messages": messages})
    return raw


def _slots(products: list[dict]) -> list[dict]:
    slots = [{"n": i + 1, "brand": p.get("brand", ""), "messages": set(p.get("messages") or [])}
             for i, p in enumerate(products[:PRODUCT_SLOTS])]
    slots += [{"n": i + 1, "brand": "", "messages": set()} for i in range(len(slots), PRODUCT_SLOTS)]
    return slots


def call_values(*, raw: dict | None = None, call=None, parts: dict | None = None, hcp=None) -> dict:
    """What the form shows: ``raw`` (a POST, after an error) wins; else the call's values
    (``parts`` from ``selectors.call_parts``); else a new call on ``hcp`` at the current time."""
    if raw is not None:
        values = dict(raw)
    elif call is not None:
        at = timezone.localtime(call.at)
        values = {"call_type": call.call_type, "hcp": str(call.hcp.code) if call.hcp else "",
                  "institution": str(call.institution.code), "at": at.strftime("%Y-%m-%dT%H:%M"),
                  "duration_min": call.duration_min or "", "notes": call.notes, "next_step": call.next_step,
                  "next_step_due": "", "co_visitor": str(call.co_visitor.code) if call.co_visitor else "",
                  "attendees": [str(a.hcp.code) for a in (parts or {}).get("attendees", [])],
                  "products": [{"brand": str(p.brand.code), "messages": [str(m.key_message.code) for m in p.messages.all()]}
                               for p in (parts or {}).get("products", [])]}
        if call.is_planned:  # logging a planned visit: the time is when it happened, now by default
            values["at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    else:
        values = {"call_type": "f2f", "hcp": str(hcp.code) if hcp else "",
                  "institution": str(hcp.institution.code) if hcp else "",
                  "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "attendees": [], "products": []}
    values.setdefault("attendees", [])
    values["slots"] = _slots(values.get("products") or [])
    return values


class SettingsForm(forms.Form):
    lock_after_days = forms.IntegerField(label=_("Lock submitted calls after (days)"), min_value=1, max_value=90,
                                         help_text=_("A submitted call can be edited, with a reason, until this many "
                                                     "days after its visit."))
    checkin = forms.ChoiceField(label=_("Location check-in"), choices=CallSettings.CheckIn.choices)
    far_distance_m = forms.IntegerField(label=_("Flag calls logged farther than (metres)"), min_value=50,
                                        max_value=100_000)
    late_hours = forms.IntegerField(label=_("Flag calls logged later than (hours after the visit)"), min_value=1,
                                    max_value=720)
    signature_required = forms.BooleanField(label=_("Samples need the HCP's signature"), required=False)

    def add_service_error(self, exc) -> None:
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class KeyMessageForm(forms.Form):
    brand = forms.UUIDField(label=_("Brand"))
    text = forms.CharField(label=_("Message"), max_length=200)


class FollowUpForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=300)
    due_date = forms.DateField(label=_("Due"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
