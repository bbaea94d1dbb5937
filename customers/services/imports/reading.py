"""Reading an import file: what it is, whether it is safe, and its rows, streamed.

* **Size** is checked before anything is read (``MAX_BYTES``, 50 MB).
* **Type**: ``.csv`` or ``.xlsx`` by name *and* content (an .xlsx is a zip holding
  ``xl/workbook.xml``; a CSV is text). An ``.xlsx`` is refused when its entries would expand
  past ``XLSX_MAX_UNCOMPRESSED`` or one of them is compressed more than ``XLSX_MAX_RATIO``
  times (a zip bomb) — checked on the zip's directory, before the workbook is opened.
* **Encoding** of a CSV: UTF-8 (with or without BOM) or GBK/GB18030, decided by its first
  line that is not plain ASCII; a later line in the other encoding (or in neither) refuses
  the file with that line's number. Python's ``zipfile`` never inflates an entry past the
  size its directory declares, so the checks above bound what reading can expand to.
* **Rows** are streamed: ``csv.reader`` over a decoding wrapper, or openpyxl's read-only
  worksheet (cells parsed as the XML streams by); only the current chunk is ever in memory.
  Rows are numbered as a spreadsheet shows them (the header row is usually 1); blank rows
  are skipped.
"""

from __future__ import annotations

import abc
import codecs
import csv
import datetime as dt
import io
import os
import zipfile
from collections.abc import Iterator

from django.utils.translation import gettext as _

from .columns import COLUMNS, HeaderMap, HeaderProblem, describe, match_headers

MB = 1024 * 1024
MAX_BYTES = 50 * MB
XLSX_MAX_UNCOMPRESSED = 400 * MB
XLSX_MAX_RATIO = 100
XLSX_MAX_ENTRIES = 5000
#: The header row may sit under a few title lines.
HEADER_SEARCH_ROWS = 10
#: Lines read to decide the encoding when only the header is wanted (the upload form).
PEEK_LINES = 50
BOM = codecs.BOM_UTF8


class FileRefused(Exception):
    """The file as a whole cannot be imported; the message says why (in the active language)."""


def size_limit_message() -> str:
    return _("The file is larger than %(limit)s MB: split it into smaller files.") % {"limit": MAX_BYTES // MB}


def check_size(size: int | None) -> None:
    if size is None:
        return
    if size > MAX_BYTES:
        raise FileRefused(size_limit_message())
    if size == 0:
        raise FileRefused(_("The file is empty."))


def file_type(name: str, head: bytes) -> str:
    """``"csv"`` or ``"xlsx"``, from the name and the first bytes."""
    ext = os.path.splitext(name or "")[1].lower()
    is_zip = head.startswith(b"PK\x03\x04")
    if ext == ".xlsx":
        if not is_zip:
            raise FileRefused(_("This is not an Excel (.xlsx) file, whatever its name says."))
        return "xlsx"
    if ext == ".csv":
        if is_zip or head.startswith(b"\xd0\xcf\x11\xe0"):
            raise FileRefused(_("This is an Excel file named .csv: save it as CSV, or upload it as .xlsx."))
        return "csv"
    if ext in (".xls", ".xlsm", ".xlsb", ".ods", ".numbers"):
        raise FileRefused(_("Save the file as .xlsx (Excel workbook) or .csv, then upload it again."))
    raise FileRefused(_("Upload a .csv or .xlsx file."))


# --------------------------------------------------------------------------- xlsx


def check_zip(fileobj) -> None:
    """Refuse zip bombs and zips that are no workbook, from the directory alone."""
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused(_("This .xlsx file is damaged or not an Excel workbook.")) from None
    infos = archive.infolist()
    if len(infos) > XLSX_MAX_ENTRIES:
        raise FileRefused(_("This .xlsx file holds too many parts to be a workbook."))
    total = sum(i.file_size for i in infos)
    if total > XLSX_MAX_UNCOMPRESSED:
        raise FileRefused(_("This .xlsx file would expand to %(size)s MB, more than the %(limit)s MB allowed.") % {
            "size": total // MB, "limit": XLSX_MAX_UNCOMPRESSED // MB})
    for info in infos:
        if info.file_size > MB and info.file_size > XLSX_MAX_RATIO * max(info.compress_size, 1):
            raise FileRefused(_("This .xlsx file is compressed more than %(ratio)s times, as zip bombs are: "
                                "it was not opened.") % {"ratio": XLSX_MAX_RATIO})
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        raise FileRefused(_("This .xlsx file is damaged or not an Excel workbook."))


def cell_text(value) -> str:
    """A cell as the text a CSV would hold (13800138000.0 is 13800138000; dates are ISO)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- csv encoding


def _decodes(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def detect_encoding(f, *, max_lines: int | None = None) -> tuple[str, int]:
    """The encoding of a CSV (``utf-8-sig``, ``utf-8`` or ``gb18030``) and its number of lines.

    Reads ``f`` (binary, seekable) line by line to the end (or ``max_lines``) and rewinds it.
    """
    head = f.read(4)
    f.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused(_("This file is in UTF-16 (“Unicode text”): save it as CSV UTF-8, or as .xlsx."))
    encoding = "utf-8-sig" if head.startswith(BOM) else None
    n = 0
    for n, line in enumerate(f, 1):
        if n == 1 and encoding:
            line = line[len(BOM):]
        if b"\x00" in line:
            raise FileRefused(_("Line %(line)s holds binary data: this is not a CSV text file.") % {"line": n})
        if line.isascii():
            pass
        elif encoding is None:
            if _decodes(line, "utf-8"):
                encoding = "utf-8"
            elif _decodes(line, "gb18030"):
                encoding = "gb18030"
            else:
                raise FileRefused(_("Line %(line)s is neither UTF-8 nor GBK text: save the file as CSV UTF-8.")
                                  % {"line": n})
        elif encoding != "gb18030":
            if not _decodes(line, "utf-8"):
                if _decodes(line, "gb18030"):
                    raise FileRefused(_("Line %(line)s is in GBK but the lines before it are in UTF-8: the file mixes "
                                        "encodings. Save it again as CSV UTF-8.") % {"line": n})
                raise FileRefused(_("Line %(line)s is not UTF-8 text: save the file as CSV UTF-8.") % {"line": n})
        else:
            # GB18030 decodes almost any bytes: a line that is valid UTF-8 with Chinese in it is UTF-8.
            if _decodes(line, "utf-8") and _has_han(line.decode("utf-8")):
                raise FileRefused(_("Line %(line)s is in UTF-8 but the lines before it are in GBK: the file mixes "
                                    "encodings. Save it again as CSV UTF-8.") % {"line": n})
            if not _decodes(line, "gb18030"):
                raise FileRefused(_("Line %(line)s is not GBK text: save the file as CSV UTF-8.") % {"line": n})
        if max_lines and n >= max_lines:
            break
    f.seek(0)
    return encoding or "utf-8", n


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


# --------------------------------------------------------------------------- tables


class Table(abc.ABC):
    """An open import file: its header and its data rows, as ``(row number, [cell text …])``."""

    kind: str
    encoding: str = ""
    header: HeaderMap
    header_row: int
    #: Rows expected (for the progress bar): lines or the sheet's dimension; 0 if unknown.
    total_hint: int = 0

    def _find_header(self, records: Iterator[tuple[int, list]]) -> None:
        for row_no, cells in records:
            if row_no > HEADER_SEARCH_ROWS:
                break
            try:
                header = match_headers(self.kind, cells)
            except HeaderProblem as exc:
                raise FileRefused(str(exc)) from None
            if header is not None:
                self.header, self.header_row = header, row_no
                return
        raise FileRefused(_("No known column headers were found in the first %(n)s rows. The columns are: "
                            "%(columns)s.") % {"n": HEADER_SEARCH_ROWS, "columns": describe(COLUMNS[self.kind])})

    @abc.abstractmethod
    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Each format (CSV, XLSX) yields ``(row number, cells)`` after the header."""

    def close(self) -> None:  # noqa: B027 - formats with nothing to release keep this no-op
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class CsvTable(Table):
    def __init__(self, f, kind: str, *, peek: bool = False):
        self.kind = kind
        self.encoding, lines = detect_encoding(f, max_lines=PEEK_LINES if peek else None)
        # Every line was checked above, unless only the first lines were (peek: just the header).
        self._text = io.TextIOWrapper(f, encoding=self.encoding, newline="", errors="replace" if peek else "strict")
        first = self._text.readline()
        self._text.seek(0)
        self._reader = csv.reader(self._text, delimiter=_delimiter(first))
        self._records = self._numbered()
        self._find_header(self._records)
        self.total_hint = max(lines - self.header_row, 0)

    def _numbered(self) -> Iterator[tuple[int, list]]:
        n = 0
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileRefused(_("Row %(row)s cannot be read as CSV (%(error)s).") % {"row": n + 1, "error": exc}) from None
            except UnicodeDecodeError:
                raise FileRefused(_("Row %(row)s is not %(encoding)s text: the file mixes encodings.") % {
                    "row": n + 1, "encoding": self.encoding}) from None
            n += 1
            yield n, cells

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        for n, cells in self._records:
            if any(c.strip() for c in cells):
                yield n, cells

    def close(self) -> None:
        self._text.detach()  # the caller owns (and closes) the binary file


class XlsxTable(Table):
    def __init__(self, f, kind: str):
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        self.kind = kind
        check_zip(f)
        f.seek(0)
        try:
            # Not data_only: a formula arrives as its text ("=HYPERLINK(…)") and is refused by the
            # validators rather than silently replaced by a cached value.
            self._book = openpyxl.load_workbook(f, read_only=True, data_only=False, keep_links=False)
            sheet = self._book.worksheets[0]
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, IndexError, OSError, EOFError):
            raise FileRefused(_("This .xlsx file is damaged or not an Excel workbook.")) from None
        self._records = self._numbered(sheet)
        self._find_header(self._records)
        try:
            self.total_hint = max((sheet.max_row or 0) - self.header_row, 0)
        except (TypeError, ValueError):
            self.total_hint = 0

    def _numbered(self, sheet) -> Iterator[tuple[int, list]]:
        try:
            for n, values in enumerate(sheet.iter_rows(values_only=True), 1):
                yield n, [cell_text(v) for v in values]
        except (zipfile.BadZipFile, KeyError, ValueError, EOFError) as exc:
            raise FileRefused(_("This .xlsx file cannot be read to the end (%(error)s).") % {"error": exc}) from None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        for n, cells in self._records:
            if any(c.strip() for c in cells):
                yield n, cells

    def close(self) -> None:
        self._book.close()


def open_table(f, name: str, kind: str, *, peek: bool = False) -> Table:
    """Open a binary, seekable file ``f`` named ``name`` as a table of ``kind``.

    ``peek``: only the header is wanted (the upload form): a CSV's encoding is decided on
    its first lines instead of all of them.
    """
    f.seek(0, os.SEEK_END)
    check_size(f.tell())
    f.seek(0)
    head = f.read(8)
    f.seek(0)
    if file_type(name, head) == "xlsx":
        return XlsxTable(f, kind)
    return CsvTable(f, kind, peek=peek)
