"""Vocabulary of the customer demo (``customers.demo``) and fast pinyin keys for it.

Names of institutions are built from pieces (city, district, pattern, street …) and names
of HCPs from a surname and a given name, so their search keys are composed from the keys
of the pieces, each computed once, instead of calling pypinyin for each of a million rows.
The composition mirrors ``customers.pinyin.name_keys`` exactly: where two adjacent pieces
read differently together than apart (pypinyin reads 于思 as yusai, 市长 as shizhang),
the whole name goes through ``name_keys`` instead (tests/customers/test_demo_names.py).
"""

from __future__ import annotations

import itertools
from functools import cache

from pypinyin import Style, pinyin

from accounts.demo.names import GIVEN_CHARS, SURNAMES

from .pinyin import _COMPOUND, _MAX_VARIANTS, SURNAME_READINGS, _other_readings, _syllables, name_keys

# --------------------------------------------------------------------------- pinyin keys

Parts = tuple[tuple[str, ...], ...]


@cache
def piece_parts(piece: str) -> Parts:
    """The readings of a piece read on its own (phrase-aware), one tuple per syllable."""
    return tuple(_syllables(piece, person=False))


@cache
def _primary(text: str) -> tuple[str, ...]:
    return tuple(r[0] for r in pinyin(text, style=Style.NORMAL, errors="default"))


def pieces_agree(left: str, right: str) -> bool:
    """Do ``left`` and ``right`` read the same side by side as apart? (Only a phrase that
    spans the boundary changes a reading; pypinyin's phrases are short, so the last and
    first two characters decide.)"""
    return _agree(left[-2:], right[:2])


@cache
def _agree(a: str, b: str) -> bool:
    return _primary(a + b) == _primary(a) + _primary(b)


def keys_from_parts(parts) -> tuple[str, str, str]:
    """``(pinyin, initials, alt)`` from syllable readings, exactly as ``name_keys`` does."""
    primary = "".join(p[0] for p in parts)
    initials = "".join(p[0][0] for p in parts)
    alt = ""
    if any(len(p) > 1 for p in parts):
        alts: set[str] = set()
        for combo in itertools.islice(itertools.product(*parts), _MAX_VARIANTS):
            alts.add("".join(combo))
            alts.add("".join(c[0] for c in combo))
        alts.discard(primary)
        alts.discard(initials)
        alt = " ".join(sorted(alts))[:600]
    return primary[:400], initials[:100], alt


@cache
def _combos(parts: Parts) -> tuple[tuple[str, str], ...]:
    """The first readings (full, initials) of ``parts`` in ``itertools.product`` order."""
    return tuple(("".join(c), "".join(x[0] for x in c))
                 for c in itertools.islice(itertools.product(*parts), _MAX_VARIANTS))


def place_keys(pieces: tuple[str, ...]) -> tuple[str, str, str]:
    """Keys of an institution name made of ``pieces`` (``name_keys(name, person=False)``).

    The first eight reading combinations of the name are those of its pieces' combinations
    in the same (``itertools.product``) order, so each piece's are computed once."""
    for left, right in itertools.pairwise(pieces):
        if not pieces_agree(left, right):
            return name_keys("".join(pieces), person=False)
    combos = [_combos(piece_parts(piece)) for piece in pieces]
    primary = "".join(c[0][0] for c in combos)
    initials = "".join(c[0][1] for c in combos)
    if all(len(c) == 1 for c in combos):
        return primary[:400], initials[:100], ""
    alts: set[str] = set()
    for combo in itertools.islice(itertools.product(*combos), _MAX_VARIANTS):
        alts.add("".join(x[0] for x in combo))
        alts.add("".join(x[1] for x in combo))
    alts.discard(primary)
    alts.discard(initials)
    return primary[:400], initials[:100], " ".join(sorted(alts))[:600]


# Where pypinyin reads the demo's names differently in context than character by character
# (tests/customers/test_demo_names.py recomputes both sets over the whole vocabulary).
GIVEN_PHRASES = {"兰若": ("lan", "re")}  # two-character given names read as a phrase
PAIR_EXCEPTIONS = {"于思"}  # surname + first given character read as a phrase (yusai)


@cache
def char_parts(char: str, primary: str | None = None) -> tuple[str, ...]:
    """A character's readings, ``primary`` (or its reading alone) first."""
    primary = primary or _primary(char)[0]
    return (primary, *(r for r in _other_readings(char) if r != primary))


@cache
def given_parts(given: str) -> Parts:
    """``piece_parts(given)`` for a given name of the demo, without calling pypinyin per name."""
    primaries = GIVEN_PHRASES.get(given) or tuple(_primary(c)[0] for c in given)
    return tuple(char_parts(c, p) for c, p in zip(given, primaries, strict=True))


@cache
def surname_parts(surname: str) -> Parts:
    """Readings of a surname as ``name_keys`` reads it at the start of a name."""
    if surname in SURNAME_READINGS:
        return tuple((r,) for r in SURNAME_READINGS[surname])
    return piece_parts(surname)


_COMPOUND_FIRST = {c[0] for c in _COMPOUND}


def person_keys(surname: str, given: str) -> tuple[str, str, str]:
    """``name_keys(surname + given)`` for a name drawn from the demo's vocabulary.

    ``name_keys`` keeps the first eight reading combinations of the whole name; with the
    surname's and the given name's combinations cached, they are only joined here (a few
    microseconds, against 40 for ``name_keys``).
    """
    if surname[-1] in _COMPOUND_FIRST or (surname + given[0]) in PAIR_EXCEPTIONS:
        return name_keys(surname + given)
    head, tail = _combos(surname_parts(surname)), _combos(given_parts(given))
    (sp, si), (gp, gi) = head[0], tail[0]
    primary, initials = sp + gp, si + gi
    if len(head) == 1 and len(tail) == 1:
        return primary, initials, ""
    alts: set[str] = set()
    n = 0
    for hf, hi in head:
        for tf, ti in tail:
            alts.add(hf + tf)
            alts.add(hi + ti)
            n += 1
            if n == _MAX_VARIANTS:
                break
        if n == _MAX_VARIANTS:
            break
    alts.discard(primary)
    alts.discard(initials)
    return primary, initials, " ".join(sorted(alts))[:600]


# --------------------------------------------------------------------------- people

SURNAME_LIST = [s for s, _w in SURNAMES]
SURNAME_CUM = list(itertools.accumulate(w for _s, w in SURNAMES))
GIVEN = sorted(set(GIVEN_CHARS))
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
                   "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186", "187",
                   "188", "189", "199"]

# --------------------------------------------------------------------------- catalogue

# (product line, specialties it is promoted to, [(brand, English, generic, [(SKU, strength, pack, unit, price)])])
CATALOGUE = [
    ("心血管", ("cardiology", "general", "nephrology"), [
        ("康脉宁", "Kangmaining", "阿托伐他汀钙片", [
            ("康脉宁 阿托伐他汀钙片", "10 mg", "7片/盒", "盒", "32.50"),
            ("康脉宁 阿托伐他汀钙片", "20 mg", "7片/盒", "盒", "58.80"),
            ("康脉宁 阿托伐他汀钙片", "20 mg", "28片/盒", "盒", "215.00")]),
        ("平压安", "Pingya'an", "苯磺酸氨氯地平片", [
            ("平压安 苯磺酸氨氯地平片", "5 mg", "7片/盒", "盒", "28.60"),
            ("平压安 苯磺酸氨氯地平片", "5 mg", "28片/盒", "盒", "99.00")]),
        ("心达安", "Xinda'an", "替格瑞洛片", [
            ("心达安 替格瑞洛片", "90 mg", "14片/盒", "盒", "96.00")]),
    ]),
    ("内分泌", ("endocrinology", "general"), [
        ("糖平", "Tangping", "盐酸二甲双胍缓释片", [
            ("糖平 盐酸二甲双胍缓释片", "0.5 g", "30片/盒", "盒", "18.90"),
            ("糖平 盐酸二甲双胍缓释片", "0.5 g", "60片/盒", "盒", "35.00")]),
        ("优胰达", "Youyida", "甘精胰岛素注射液", [
            ("优胰达 甘精胰岛素注射液", "300 U/3 ml", "1支/盒", "支", "168.00")]),
        ("达格清", "Dageqing", "达格列净片", [
            ("达格清 达格列净片", "10 mg", "14片/盒", "盒", "65.80")]),
    ]),
    ("肿瘤", ("oncology",), [
        ("泰瑞宁", "Tairuining", "甲磺酸奥希替尼片", [
            ("泰瑞宁 甲磺酸奥希替尼片", "80 mg", "30片/盒", "盒", "4980.00"),
            ("泰瑞宁 甲磺酸奥希替尼片", "40 mg", "30片/盒", "盒", "2650.00")]),
        ("安紫素", "Anzisu", "注射用紫杉醇（白蛋白结合型）", [
            ("安紫素 注射用紫杉醇", "100 mg", "1瓶/盒", "瓶", "1380.00")]),
    ]),
    ("呼吸", ("respiratory", "pediatrics"), [
        ("舒畅", "Shuchang", "布地奈德福莫特罗吸入粉雾剂", [
            ("舒畅 布地奈德福莫特罗吸入粉雾剂", "160/4.5 μg", "60吸/支", "支", "198.00")]),
        ("清肺宁", "Qingfeining", "孟鲁司特钠片", [
            ("清肺宁 孟鲁司特钠片", "10 mg", "5片/盒", "盒", "31.50"),
            ("清肺宁 孟鲁司特钠咀嚼片", "4 mg", "5片/盒", "盒", "26.00")]),
    ]),
    ("消化", ("gastroenterology", "general", "surgery"), [
        ("胃安泰", "Wei'antai", "艾司奥美拉唑镁肠溶片", [
            ("胃安泰 艾司奥美拉唑镁肠溶片", "20 mg", "7片/盒", "盒", "45.60"),
            ("胃安泰 艾司奥美拉唑镁肠溶片", "40 mg", "7片/盒", "盒", "79.00")]),
    ]),
]
DISCONTINUED_SKU = ("糖平 盐酸二甲双胍片", "0.25 g", "48片/盒", "盒", "9.80")  # an old pack, no longer sold

# --------------------------------------------------------------------------- institutions

# Departments (科室) by specialty; the share of a hospital's HCPs in each.
DEPARTMENTS = [
    ("cardiology", "心内科", 20), ("endocrinology", "内分泌科", 12), ("oncology", "肿瘤科", 12),
    ("respiratory", "呼吸内科", 12), ("neurology", "神经内科", 8), ("gastroenterology", "消化内科", 8),
    ("nephrology", "肾内科", 5), ("general", "全科医学科", 5), ("surgery", "普外科", 8), ("pediatrics", "儿科", 5),
    ("pharmacy", "药剂科", 5),
]
DEPARTMENTS_BY_GRADE = {  # how many of DEPARTMENTS (in this order of importance) a hospital has
    "3A": 11, "3B": 11, "3C": 9, "2A": 9, "2B": 7, "2C": 6, "1": 4,
}
_DEPT_ORDER = ["cardiology", "endocrinology", "respiratory", "general", "gastroenterology", "pharmacy", "surgery",
               "pediatrics", "neurology", "nephrology", "oncology"]

# Expected institutions per territory, by (kind, grade), and HCPs in the master data per institution.
INSTITUTION_MIX = [
    ("hospital", "3A", 0.55, 120), ("hospital", "3B", 0.4, 60), ("hospital", "3C", 0.1, 40),
    ("hospital", "2A", 1.2, 30), ("hospital", "2B", 0.7, 18), ("hospital", "2C", 0.3, 12), ("hospital", "1", 1.5, 6),
    ("clinic", "", 5.3, 2.5), ("retail_pharmacy", "", 8.6, 1.2), ("pharmacy_chain", "", 0.25, 2),
    ("distributor", "", 0.5, 0),
]
BEDS = {"3A": (1000, 4000), "3B": (600, 1500), "3C": (500, 900), "2A": (300, 800), "2B": (150, 500),
        "2C": (100, 300), "1": (20, 99)}
# Product lines an institution is aligned for, by kind and grade (names from CATALOGUE).
LINES_FOR = {
    ("hospital", "3A"): ("心血管", "内分泌", "肿瘤", "呼吸", "消化"),
    ("hospital", "3B"): ("心血管", "内分泌", "肿瘤", "呼吸", "消化"),
    ("hospital", "3C"): ("心血管", "内分泌", "呼吸", "消化"),
    ("hospital", "2A"): ("心血管", "内分泌", "呼吸", "消化"),
    ("hospital", "2B"): ("心血管", "内分泌", "呼吸"),
    ("hospital", "2C"): ("心血管", "内分泌"),
    ("hospital", "1"): ("心血管", "内分泌"),
    ("clinic", ""): ("心血管", "内分泌"),
    ("retail_pharmacy", ""): ("心血管", "内分泌"),
    ("pharmacy_chain", ""): ("心血管", "内分泌", "呼吸", "消化"),
    ("distributor", ""): ("心血管", "内分泌", "肿瘤", "呼吸", "消化"),
}

STREETS = ["人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "胜利路", "文化路", "长江路", "黄河路", "青年路",
           "朝阳路", "光明路", "幸福路", "友谊路", "团结路", "振兴路", "滨江路", "湖滨路", "东风路", "红旗路", "迎宾路",
           "花园路", "学府路", "科技路", "金桥路", "五一路", "延安路", "北京路", "南京路", "健康路", "育才路", "公园路",
           "体育路", "环城路", "工业路", "新民路", "春风路", "复兴路", "民主路"]
WORDS = ["仁爱", "博爱", "仁和", "康宁", "惠民", "安康", "福华", "明德", "华信", "益民", "康泰", "济华", "和美", "瑞康",
         "永安", "德济", "天和", "佳美", "颐和", "怡康"]
CHAINS = ["康之源", "仁济堂", "百信", "益民堂", "同泰", "惠众", "福寿堂", "安泰", "万家康", "德仁", "众康", "好药师"]
DISTRIBUTOR_WORDS = ["康达", "华润达", "瑞丰", "九州通达", "国康", "恒安", "鹭华", "新特", "联华", "汇通"]
CLINIC_PATTERNS = ["社区卫生服务中心", "社区卫生服务站", "门诊部", "诊所"]
HOSPITAL_3A = ["人民医院", "第一人民医院", "中心医院", "中医院", "第二人民医院", "肿瘤医院", "第三人民医院",
               "妇幼保健院", "儿童医院", "胸科医院", "第四人民医院", "中西医结合医院"]
HOSPITAL_MID = ["第五人民医院", "第六人民医院", "第七人民医院", "第八人民医院", "第九人民医院", "第十人民医院",
                "中医医院", "骨科医院", "第二中医院", "老年病医院", "传染病医院", "眼科医院"]
AFFILIATION_ROLES = ["多点执业", "特聘专家", "会诊专家", "学科带头人", "专家门诊"]
STAGE_REASONS = {
    "developing": "首次拜访后有处方意向", "active": "开始稳定处方", "key": "成为核心客户", "dormant": "连续三个月无处方",
    "terminated": "调离或退休", "prospect": "重新评估",
}

# Telephone area codes of the cities the demo uses most; others get no landline.
AREA_CODES = {
    "北京": "010", "上海": "021", "天津": "022", "重庆": "023", "广州": "020", "深圳": "0755", "杭州": "0571",
    "南京": "025", "苏州": "0512", "宁波": "0574", "武汉": "027", "成都": "028", "西安": "029", "郑州": "0371",
    "长沙": "0731", "济南": "0531", "青岛": "0532", "沈阳": "024", "大连": "0411", "哈尔滨": "0451", "长春": "0431",
    "福州": "0591", "厦门": "0592", "合肥": "0551", "南昌": "0791", "昆明": "0871", "贵阳": "0851", "南宁": "0771",
    "石家庄": "0311", "太原": "0351", "兰州": "0931", "乌鲁木齐": "0991", "无锡": "0510", "佛山": "0757",
    "东莞": "0769", "呼和浩特": "0471", "海口": "0898", "银川": "0951", "西宁": "0971", "拉萨": "0891",
    "温州": "0577", "绍兴": "0575", "嘉兴": "0573", "金华": "0579", "台州": "0576", "常州": "0519",
    "南通": "0513", "徐州": "0516", "烟台": "0535", "潍坊": "0536", "泉州": "0595", "珠海": "0756",
    "中山": "0760", "惠州": "0752", "宜昌": "0717", "洛阳": "0379", "株洲": "0731", "绵阳": "0816",
}
# Administrative division codes (first six characters of a unified social credit code).
PROVINCE_CODES = {
    "北京市": "110000", "天津市": "120000", "河北省": "130000", "山西省": "140000", "内蒙古自治区": "150000",
    "辽宁省": "210000", "吉林省": "220000", "黑龙江省": "230000", "上海市": "310000", "江苏省": "320000",
    "浙江省": "330000", "安徽省": "340000", "福建省": "350000", "江西省": "360000", "山东省": "370000",
    "河南省": "410000", "湖北省": "420000", "湖南省": "430000", "广东省": "440000", "广西壮族自治区": "450000",
    "海南省": "460000", "重庆市": "500000", "四川省": "510000", "贵州省": "520000", "云南省": "530000",
    "西藏自治区": "540000", "陕西省": "610000", "甘肃省": "620000", "青海省": "630000", "宁夏回族自治区": "640000",
    "新疆维吾尔自治区": "650000",
}
CITY_NAMES = {"红河": "红河州", "恩施": "恩施州"}  # prefecture names that are not "<name>市"
COUNTY_CITIES = {"昆山", "常熟", "张家港", "太仓", "余姚", "慈溪", "浏阳", "章丘", "即墨", "胶州", "江阴", "宜兴",
                 "长乐", "虎门", "长安", "塘厦"}
SPECIAL_DISTRICTS = {"浦东": "浦东新区", "滨海": "滨海新区", "高新": "高新区", "工业园": "工业园区", "长沙县": "长沙县",
                     "开发区": "开发区", "新区": "新区", "郑东": "郑东新区", "经开": "经开区", "红谷滩": "红谷滩区"}


def city_name(city: str) -> str:
    return CITY_NAMES.get(city, city + "市")


def district_name(area: str) -> str:
    if area in SPECIAL_DISTRICTS:
        return SPECIAL_DISTRICTS[area]
    return area + ("市" if area in COUNTY_CITIES else "区")


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_CHARS)}
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(body: str) -> str:
    """A unified social credit code (统一社会信用代码, GB 32100-2015): the 17-character
    ``body`` (12 public institution / 52 private non-profit / 91 company, the six-digit
    region, the nine-character organisation code) and its check character."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


__all__ = ["CATALOGUE", "GIVEN", "SURNAME_CUM", "SURNAME_LIST", "keys_from_parts", "person_keys", "place_keys"]
