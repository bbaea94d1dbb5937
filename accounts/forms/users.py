"""Forms of the tenant admin's user pages. They parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import Language, Role

MAX_IMPORT_BYTES = 5 * 1024 * 1024


def language_choices():
    return [("", _("Tenant default"))] + list(Language.choices)


class UserFilterForm(forms.Form):
    """The list's filters; kept in the URL query string."""

    STATUS_ACTIVE = "active"
    STATUS_INACTIVE = "inactive"
    STATUS_INVITED = "invited"

    q = forms.CharField(label=_("Search"), required=False, max_length=100, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Name, email or employee number"), "autocomplete": "off",
    }))
    role = forms.ChoiceField(label=_("Role"), required=False,
                             choices=[("", _("All roles"))] + list(Role.choices))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("", _("All")), (STATUS_ACTIVE, _("Active")), (STATUS_INACTIVE, _("Deactivated")),
        (STATUS_INVITED, _("No password chosen yet")),
    ])


class _UserFieldsForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one role.")},
        help_text=_("A user may hold several roles."),
    )
    language = forms.ChoiceField(label=_("Language"), required=False, choices=language_choices)
    employee_no = forms.CharField(label=_("Employee number"), max_length=40, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))


class UserCreateForm(_UserFieldsForm):
    email = forms.EmailField(label=_("Email"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    send_invitation = forms.BooleanField(
        label=_("Send an invitation email"), required=False, initial=True,
        help_text=_("The user gets a link to choose their own password."),
    )

    field_order = ["email", "full_name", "roles", "language", "employee_no", "phone", "send_invitation"]


class UserEditForm(_UserFieldsForm):
    pass


class UserImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 or GBK (as Excel saves it), up to 5 MB. The first row names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    send_invitations = forms.BooleanField(
        label=_("Send an invitation email to every new user"), required=False, initial=True,
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("The file is larger than 5 MB: split it into several files."))
        return f


def apply_service_errors(form: forms.Form, error: ValidationError) -> list[str]:
    """Put a service's ValidationError on the form's fields; return what has no field."""
    leftover: list[str] = []
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            if name in form.fields:
                form.add_error(name, errors)
            else:
                leftover += [m for e in errors for m in e.messages]
    else:
        leftover += error.messages
    for message in leftover:
        form.add_error(None, message)
    return leftover
