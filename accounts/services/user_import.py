"""Import users from a CSV file: every row is checked first; all rows are created, or none.

The file is read as bytes: UTF-8 (with or without the BOM Excel writes), else GB18030
(the superset of GBK, which Excel on Chinese Windows writes), else a clear error. Cells
are NFKC-normalised, so full-width letters, digits, ``＠`` and ``；`` read as their
ASCII forms. Headers may be English or Chinese; roles may be codes or Chinese labels.

Row numbers in messages are the row numbers a spreadsheet shows: the header is row 1.
Every attempt is recorded as a ``UserImport`` (file hash, encoding, counts, errors),
including the rejected ones, which create no user.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Language, Membership, Role, User, UserImport
from .users import build_invitation_email, send_after_commit

MAX_ROWS = 10_000
MAX_ERRORS = 200

# Canonical column -> accepted header spellings (compared after NFKC, lower case, and
# with spaces and hyphens read as underscores).
COLUMNS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e_mail", "mail", "邮箱", "电子邮箱", "电子邮件", "邮件"),
    "full_name": ("full_name", "fullname", "name", "姓名", "名字"),
    "roles": ("roles", "role", "角色"),
    "language": ("language", "lang", "语言"),
    "employee_no": ("employee_no", "employee_number", "employee_id", "工号", "员工编号", "员工号"),
    "phone": ("phone", "mobile", "telephone", "电话", "手机", "手机号", "手机号码"),
}
REQUIRED = ("email", "full_name", "roles")
# The Chinese header of each column, used to name a missing column in both forms.
CHINESE_HEADER = {"email": "邮箱", "full_name": "姓名", "roles": "角色", "language": "语言",
                  "employee_no": "工号", "phone": "电话"}

ROLE_ALIASES: dict[str, str] = {
    # Chinese labels (the ones the product shows) and common variants.
    "医药代表": Role.REP, "代表": Role.REP,
    "经理": Role.MANAGER, "地区经理": Role.MANAGER, "大区经理": Role.MANAGER,
    "sfe分析": Role.ANALYST, "sfe分析师": Role.ANALYST, "分析师": Role.ANALYST,
    "系统管理员": Role.ADMIN, "管理员": Role.ADMIN,
    "主数据管理": Role.DATA_STEWARD, "主数据管理员": Role.DATA_STEWARD, "数据管理员": Role.DATA_STEWARD,
    "财务": Role.FINANCE,
    # English labels and the codes with spaces.
    "medical representative": Role.REP, "representative": Role.REP,
    "sfe analyst": Role.ANALYST, "tenant administrator": Role.ADMIN, "administrator": Role.ADMIN,
    "data steward": Role.DATA_STEWARD,
}
LANGUAGE_ALIASES: dict[str, str] = {
    "zh-hans": Language.ZH_HANS, "zh_hans": Language.ZH_HANS, "zh": Language.ZH_HANS,
    "zh-cn": Language.ZH_HANS, "zh_cn": Language.ZH_HANS, "chinese": Language.ZH_HANS,
    "中文": Language.ZH_HANS, "简体中文": Language.ZH_HANS, "汉语": Language.ZH_HANS,
    "en": Language.EN, "en-us": Language.EN, "en-gb": Language.EN, "english": Language.EN,
    "英文": Language.EN, "英语": Language.EN,
}
ROLE_SEPARATORS = re.compile(r"[;|,、/]")  # after NFKC, "，" and "；" are "," and ";"
MAX_LENGTHS = {"full_name": 150, "employee_no": 40, "phone": 40, "email": 254}


@dataclass
class RowError:
    row: int | None  # spreadsheet row number (header = 1); None for the whole file
    column: str  # the header as written in the file, or the canonical column
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "text": str(self)}

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.column:
            return _("Row %(row)s, %(column)s: %(message)s") % {
                "row": self.row, "column": self.column, "message": self.message}
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ParsedRow:
    row: int
    email: str
    full_name: str
    roles: list[str]
    language: str = ""
    employee_no: str = ""
    phone: str = ""


@dataclass
class Parsed:
    encoding: str = ""
    rows: list[ParsedRow] = field(default_factory=list)
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)


def normalise(value: str | None) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def _header_key(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", normalise(value).lower())


_HEADER_LOOKUP = {_header_key(alias): col for col, aliases in COLUMNS.items() for alias in aliases}


def decode(file_bytes: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with; ValidationError if neither fits."""
    if b"\x00" in file_bytes[:4096]:
        raise ValidationError(_(
            "The file is not a CSV text file (is it an Excel workbook or UTF-16 text?). "
            "In Excel choose Save As → \"CSV UTF-8\" or \"CSV (comma delimited)\"."
        ), code="encoding")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return file_bytes.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ValidationError(_(
        "The file could not be read as UTF-8 or GBK text. Save it from Excel as "
        "\"CSV UTF-8\" and upload it again."
    ), code="encoding")


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_roles(value: str) -> tuple[list[str], list[str]]:
    """Role codes read from a cell, and the values that are not roles."""
    roles: list[str] = []
    unknown: list[str] = []
    for part in ROLE_SEPARATORS.split(value):
        part = part.strip()
        if not part:
            continue
        key = part.lower()
        code = key if key in Role.values else ROLE_ALIASES.get(key) or ROLE_ALIASES.get(key.replace("_", " "))
        if code is None:
            # The labels in the current language (once translated) are accepted too.
            code = next((r.value for r in Role if str(r.label).lower() == key), None)
        if code is None:
            unknown.append(part)
        elif code not in roles:
            roles.append(str(code))
    return roles, unknown


def _known_role_words() -> str:
    return ", ".join(list(Role.values) + ["医药代表", "经理", "SFE分析", "系统管理员", "主数据管理", "财务"])


def parse(file_bytes: bytes) -> Parsed:
    """Read and check every row; never touches the database except to find existing emails."""
    out = Parsed()
    try:
        text, out.encoding = decode(file_bytes)
    except ValidationError as e:
        out.errors.append(RowError(None, "", e.messages[0]))
        return out
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader, None)
    except csv.Error as e:
        out.errors.append(RowError(1, "", _("The header row cannot be read: %(error)s") % {"error": e}))
        return out
    if not header or not any(normalise(h) for h in header):
        out.errors.append(RowError(None, "", _("The file is empty: the first row must name the columns.")))
        return out

    index: dict[str, int] = {}
    label: dict[str, str] = {}
    for i, raw in enumerate(header):
        col = _HEADER_LOOKUP.get(_header_key(raw))
        if col is None:
            continue  # other columns are ignored
        if col in index:
            out.errors.append(RowError(1, normalise(raw), _(
                "the column appears twice (also column %(other)s)") % {"other": normalise(header[index[col]])}))
            continue
        index[col] = i
        label[col] = normalise(raw)
    for col in REQUIRED:
        if col not in index:
            out.errors.append(RowError(None, col, _(
                "The required column %(column)s is missing (accepted headers: %(accepted)s). Nothing was imported."
            ) % {"column": f"{col} / {CHINESE_HEADER[col]}", "accepted": ", ".join(COLUMNS[col])}))
    if out.errors:
        return out

    seen: dict[str, int] = {}
    try:
        for row_no, cells in enumerate(reader, start=2):
            if not any(normalise(c) for c in cells):
                continue  # blank line (Excel leaves some at the end)
            out.row_count += 1
            if out.row_count > MAX_ROWS:
                out.errors.append(RowError(None, "", _(
                    "The file has more than %(max)s users: split it into several files.") % {"max": MAX_ROWS}))
                return out
            values = {col: normalise(cells[i]) if i < len(cells) else "" for col, i in index.items()}
            row, errors = _check_row(row_no, values, label, seen)
            out.errors += errors
            if row is not None:
                out.rows.append(row)
    except csv.Error as e:
        out.errors.append(RowError(reader.line_num, "", _("This line cannot be read: %(error)s") % {"error": e}))
        return out
    if out.row_count == 0:
        out.errors.append(RowError(None, "", _("The file has a header but no users.")))
        return out

    # Against the users that already exist (any tenant: an email signs in to one account).
    emails = [r.email for r in out.rows]
    existing: set[str] = set()
    for start in range(0, len(emails), 1000):
        chunk = emails[start:start + 1000]
        existing |= set(
            User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk)
            .values_list("email_lower", flat=True)
        )
    for r in out.rows:
        if r.email in existing:
            out.errors.append(RowError(r.row, label["email"], _(
                "a user with the email %(email)s already exists") % {"email": r.email}))
    out.errors.sort(key=lambda e: (e.row or 0,))
    return out


def _check_row(row_no: int, values: dict[str, str], label: dict[str, str],
               seen: dict[str, int]) -> tuple[ParsedRow | None, list[RowError]]:
    errors: list[RowError] = []

    def err(col: str, message: str) -> None:
        errors.append(RowError(row_no, label[col], message))

    email = values["email"].lower()
    if not email:
        err("email", _("the email is missing"))
    else:
        try:
            validate_email(email)
        except ValidationError:
            err("email", _("“%(email)s” is not a valid email address") % {"email": email})
        else:
            if email in seen:
                err("email", _("%(email)s appears twice in the file (first on row %(first)s)") % {
                    "email": email, "first": seen[email]})
            else:
                seen[email] = row_no
    full_name = values["full_name"]
    if not full_name:
        err("full_name", _("the name is missing"))
    roles, unknown = parse_roles(values["roles"])
    if unknown:
        err("roles", _("unknown role %(values)s (known roles: %(known)s)") % {
            "values": ", ".join(f"“{u}”" for u in unknown), "known": _known_role_words()})
    elif not roles:
        err("roles", _("at least one role is needed"))
    language = ""
    if values.get("language"):
        language = LANGUAGE_ALIASES.get(values["language"].lower(), "")
        if not language:
            err("language", _("unknown language “%(value)s” (use zh-hans or en)") % {"value": values["language"]})
    for col, limit in MAX_LENGTHS.items():
        if col in values and len(values[col]) > limit:
            err(col, _("longer than %(max)s characters") % {"max": limit})
    if errors:
        return None, errors
    return ParsedRow(row=row_no, email=email, full_name=full_name, roles=roles, language=language,
                     employee_no=values.get("employee_no", ""), phone=values.get("phone", "")), []


def _cap(errors: Iterable[RowError]) -> list[dict]:
    errors = list(errors)
    out = [e.as_dict() for e in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        more = _("… and %(count)s more errors.") % {"count": len(errors) - MAX_ERRORS}
        out.append({"row": None, "column": "", "message": more, "text": more})
    return out


@transaction.atomic
def users_import_csv(*, file_bytes: bytes, filename: str, uploaded_by: User | None,
                     send_invitations: bool = False, base_url: str = "") -> UserImport:
    """Check every row of the CSV; if all are right, create every user (with its
    membership) in one transaction, else create none. The returned ``UserImport``
    records the outcome: ``errors`` is empty exactly when the users were created."""
    parsed = parse(file_bytes)
    record = UserImport(
        filename=(filename or "")[:200], sha256=hashlib.sha256(file_bytes).hexdigest(),
        encoding=parsed.encoding, rows=parsed.row_count, uploaded_by=uploaded_by,
    )
    if parsed.errors:
        record.errors = _cap(parsed.errors)
        record.save()
        return record

    now = timezone.now()
    users = []
    for r in parsed.rows:
        user = User(email=r.email, full_name=r.full_name, language=r.language, date_joined=now)
        user.set_unusable_password()
        users.append(user)
    try:
        with transaction.atomic():
            User.objects.bulk_create(users)
            memberships = Membership.objects.bulk_create([
                Membership(user=user, roles=r.roles, employee_no=r.employee_no, phone=r.phone,
                           invited_at=now if send_invitations else None)
                for user, r in zip(users, parsed.rows, strict=True)
            ])
    except IntegrityError:
        # Someone created one of these emails between the check and the insert.
        record.errors = _cap([RowError(None, "", _(
            "One of the emails was registered by someone else while the file was being checked. "
            "Nothing was imported; upload the file again to see which row."))])
        record.save()
        return record
    record.created = len(memberships)
    record.save()
    if send_invitations:
        send_after_commit([
            build_invitation_email(user=user, invited_by=uploaded_by, base_url=base_url) for user in users
        ])
    return record
