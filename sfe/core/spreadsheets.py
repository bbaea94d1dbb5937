"""What every export to a spreadsheet shares: the formula guard and UTF-8 CSV with a BOM.

* ``neutralise``: a text cell a spreadsheet would run as a formula (``= + - @``, tab,
  carriage return first) gets a leading single quote; other values pass unchanged;
* ``csv_bytes``: rows as CSV in UTF-8 with a BOM (Excel on Chinese Windows reads UTF-8 only
  then), every cell neutralised, dates as ISO.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cell(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(value)


def csv_text(rows) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def csv_bytes(rows) -> bytes:
    return csv_text(rows).encode("utf-8")
