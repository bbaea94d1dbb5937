"""A member asks for an extra role: the first request type that goes through the engine."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from accounts.permissions import tenant_member_required

from ..access import role_request_submit


class RoleRequestForm(forms.Form):
    # Not required here: the service's own messages ("choose a role", "say why") are shown.
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=(), required=False)
    reason = forms.CharField(label=gettext_lazy("Why do you need it?"), max_length=1000, required=False,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=gettext_lazy("The approvers read this."))

    def __init__(self, *args, held: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        # Every role is accepted here (the service says "you already have it"); the
        # select offers only the roles the member does not hold.
        self.fields["role"].choices = [("", "—"), *Role.choices]
        self.fields["role"].widget.choices = [("", "—"), *[(v, lbl) for v, lbl in Role.choices if v not in held]]


def _add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@tenant_member_required
def new_role_request(request):
    member = request.membership
    if request.method == "POST":
        form = RoleRequestForm(request.POST, held=list(member.roles))
        if form.is_valid():
            try:
                req = role_request_submit(requester=member, role=form.cleaned_data["role"],
                                          reason=form.cleaned_data["reason"])
            except ValidationError as e:
                _add_service_errors(form, e)
            else:
                messages.success(request, _("Your request was sent for approval."))
                return redirect("approvals:detail", code=req.code)
    else:
        form = RoleRequestForm(held=list(member.roles))
    return render(request, "approvals/role_request_form.html", {"form": form},
                  status=400 if form.is_bound else 200)
