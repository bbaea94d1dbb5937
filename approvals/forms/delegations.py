"""The delegation form. It parses input; ``delegation_create`` decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.full_name


def _members():
    return Membership.objects.active().select_related("user").order_by("user__full_name", "pk")


class DelegationForm(forms.Form):
    delegator = MemberChoiceField(label=_("Who is away"), queryset=None, to_field_name="code")
    delegate = MemberChoiceField(label=_("Who decides instead"), queryset=None,
                                 to_field_name="code",
                                 help_text=_("They see your waiting approvals in their inbox during these days."))
    start_date = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("Until (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("For example: annual leave")}))

    def __init__(self, *args, member: Membership, on_behalf: bool, **kwargs):
        """Build inside the tenant (the member lists are tenant-scoped). ``on_behalf``:
        an administrator may choose who is away; everyone else delegates their own."""
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = _members()
        if on_behalf:
            self.fields["delegator"].queryset = _members()
            self.fields["delegator"].initial = member.code
        else:
            del self.fields["delegator"]
