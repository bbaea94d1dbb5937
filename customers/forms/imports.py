"""The upload form of an import: what the file holds, how to import, the file."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import ImportJob
from ..services.imports import MAX_BYTES


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportJob.Kind.choices)
    mode = forms.ChoiceField(label=_("How to import"), choices=ImportJob.Mode.choices, widget=forms.RadioSelect,
                             initial=ImportJob.Mode.VALID_ROWS,
                             help_text=_("Every row is checked first. “All or nothing” imports nothing if one row "
                                         "has an error."))
    file = forms.FileField(
        label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
        help_text=_("CSV (UTF-8 or GBK) or Excel .xlsx, at most %(limit)s MB; the first sheet is read. Headers "
                    "in Chinese or English.") % {"limit": MAX_BYTES // (1024 * 1024)})
