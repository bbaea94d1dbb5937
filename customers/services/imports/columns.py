"""The columns an import file may have, per kind, and how its header row maps onto them.

Headers are matched in Chinese or English, case-, width- and space-insensitively
(``外部编码``, ``External code``, ``external_code`` are one column); a trailing ``*``
(the usual "required" mark of a template) is ignored. Unknown headers are ignored and
reported in the job's message.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...models import ImportJob

Kind = ImportJob.Kind


@dataclass(frozen=True)
class Column:
    field: str
    #: The template's header in Chinese and in English; more accepted spellings in ``aliases``.
    zh: str
    en: str
    label: str | Promise
    required: bool = False
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {fold(n) for n in (self.zh, self.en, self.field, *self.aliases)}


def fold(header) -> str:
    """The comparable form of a header: NFKC, no spaces, underscores or required marks, case-folded."""
    value = unicodedata.normalize("NFKC", str(header or "")).strip().rstrip("*").strip()
    return "".join(ch for ch in value if ch not in " _-\u3000\ufeff").casefold()


C = Column
COLUMNS: dict[str, tuple[Column, ...]] = {
    Kind.INSTITUTIONS: (
        C("external_code", "外部编码", "external_code", gettext_lazy("external code"), True,
          ("机构编码", "编码", "externalcode", "code")),
        C("name", "名称", "name", gettext_lazy("name"), True, ("机构名称", "医院名称")),
        C("kind", "类型", "kind", gettext_lazy("type"), True, ("机构类型", "type")),
        C("grade", "等级", "grade", gettext_lazy("grade"), False, ("医院等级",)),
        C("beds", "床位数", "beds", gettext_lazy("beds"), False, ("床位",)),
        C("ownership", "所有制", "ownership", gettext_lazy("ownership"), False, ("性质", "所有制形式")),
        C("province", "省份", "province", gettext_lazy("province"), True, ("省",)),
        C("city", "城市", "city", gettext_lazy("city"), True, ("市",)),
        C("district", "区县", "district", gettext_lazy("district"), False, ("区",)),
        C("address", "地址", "address", gettext_lazy("address"), False, ("详细地址",)),
        C("national_code", "国家编码", "national_code", gettext_lazy("national code"), False,
          ("机构代码", "执业许可证号", "登记号")),
        C("phone", "电话", "phone", gettext_lazy("phone"), False, ("联系电话",)),
        C("potential", "潜力", "potential", gettext_lazy("potential (yearly value)"), False, ("年潜力",)),
    ),
    Kind.HCPS: (
        C("external_code", "外部编码", "external_code", gettext_lazy("external code"), True,
          ("医生编码", "编码", "externalcode", "code")),
        C("name", "姓名", "name", gettext_lazy("name"), True, ("名称", "医生姓名")),
        C("institution_code", "机构编码", "institution_code", gettext_lazy("primary institution (external code)"),
          True, ("医院编码", "所属机构编码", "institution")),
        C("department", "科室", "department", gettext_lazy("department"), False, ("科室名称",)),
        C("gender", "性别", "gender", gettext_lazy("gender"), False, ("sex",)),
        C("title", "职称", "title", gettext_lazy("title"), False),
        C("specialty", "专业", "specialty", gettext_lazy("specialty"), False, ("专科",)),
        C("phone", "手机", "phone", gettext_lazy("mobile phone"), False, ("手机号", "电话", "mobile")),
        C("email", "邮箱", "email", gettext_lazy("email"), False, ("电子邮件", "电子邮箱")),
        C("is_kol", "KOL", "is_kol", gettext_lazy("key opinion leader"), False, ("是否KOL", "kol")),
        C("potential", "潜力", "potential", gettext_lazy("potential (yearly value)"), False, ("年潜力",)),
    ),
    Kind.ALIGNMENTS: (
        C("customer_code", "客户编码", "customer_code", gettext_lazy("customer (external code)"), True,
          ("外部编码", "external_code", "customer")),
        C("customer_kind", "客户类型", "customer_kind", gettext_lazy("customer type (HCP or institution)"), False,
          ("customer_type",)),
        C("territory", "辖区", "territory", gettext_lazy("territory (external code or name)"), True,
          ("区域", "辖区编码", "territory_code")),
        C("product_line", "产品线", "product_line", gettext_lazy("product line"), True),
        C("start_date", "开始日期", "start_date", gettext_lazy("start date"), True, ("生效日期", "start")),
        C("end_date", "结束日期", "end_date", gettext_lazy("end date"), False, ("失效日期", "end")),
    ),
}
del C


@dataclass
class HeaderMap:
    """Which position of the row holds which field, and the header as the file spells it."""

    positions: dict[str, int]
    headers: dict[str, str]
    ignored: list[str]

    def column_name(self, field: str) -> str:
        """The header of ``field`` as written in the file (errors name the column so)."""
        return self.headers.get(field, field)


class HeaderProblem(ValueError):
    pass


def match_headers(kind: str, row: list) -> HeaderMap | None:
    """Map a header row; ``None`` when it names no known column."""
    lookup = {name: col for col in COLUMNS[kind] for name in col.names()}
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for i, cell in enumerate(row):
        raw = str(cell if cell is not None else "").strip()
        if not raw:
            continue
        col = lookup.get(fold(raw))
        if col is None:
            ignored.append(raw)
            continue
        if col.field in positions:
            raise HeaderProblem(_("The columns “%(a)s” and “%(b)s” are the same column (%(label)s); keep one.") % {
                "a": headers[col.field], "b": raw, "label": col.label})
        positions[col.field] = i
        headers[col.field] = raw
    if not positions:
        return None
    return HeaderMap(positions, headers, ignored)


def missing_required(kind: str, header: HeaderMap) -> list[Column]:
    return [c for c in COLUMNS[kind] if c.required and c.field not in header.positions]


def describe(columns) -> str:
    return "、".join(f"{c.zh} / {c.en}" for c in columns)
