"""What an import page hands out as files: the errors of a job and an empty template.

Both are CSV in UTF-8 with a BOM (Excel on Windows reads it as UTF-8 then). A cell that
starts like a spreadsheet formula (``= + - @``, tab, carriage return) gets a leading single
quote, so opening the file never runs what a row of the upload contained.
"""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sfe.core.spreadsheets import csv_text as _csv
from sfe.core.spreadsheets import neutralise  # noqa: F401 - re-exported by customers.services.imports

from ...models import ImportJob
from .columns import COLUMNS


def errors_csv(job: ImportJob) -> str:
    """The job's errors: row, column, message (one line each)."""
    rows = [(_("Row"), _("Column"), _("Message"))]
    rows += [(e.get("row", ""), e.get("column", ""), e.get("message", "")) for e in job.errors or []]
    return _csv(rows)


def template_csv(kind: str) -> str:
    """The header row of ``kind``: Chinese headers in Chinese, English ones otherwise (both are read)."""
    chinese = (get_language() or "").startswith("zh")
    return _csv([[c.zh if chinese else c.en for c in COLUMNS[kind]]])
