"""The demo's composed pinyin keys are exactly what ``customers.pinyin.name_keys`` gives
(the services store those), over the whole vocabulary of the demo; no database needed."""

from __future__ import annotations

import random

from pypinyin import Style, pinyin

from customers import demo_names as V
from customers.pinyin import name_keys


def _primary(text: str) -> tuple[str, ...]:
    return tuple(r[0] for r in pinyin(text, style=Style.NORMAL, errors="default"))


def test_the_phrase_exceptions_are_complete_for_the_vocabulary():
    """pypinyin reads a few pairs differently as a phrase; the composition must know each one."""
    single = {c: _primary(c)[0] for c in V.GIVEN}
    phrases = {a + b: _primary(a + b) for a in V.GIVEN for b in V.GIVEN if a != b}
    assert {g: r for g, r in phrases.items() if r != (single[g[0]], single[g[1]])} == V.GIVEN_PHRASES
    pairs = {s + c for s in V.SURNAME_LIST if s not in V.SURNAME_READINGS for c in V.GIVEN
             if _primary(s + c) != _primary(s) + (single[c],)}
    assert pairs == V.PAIR_EXCEPTIONS


def test_person_keys_equal_name_keys():
    for surname in V.SURNAME_LIST:  # every surname with every one-character given name
        for given in V.GIVEN:
            assert V.person_keys(surname, given) == name_keys(surname + given), surname + given
    rng = random.Random(7)  # noqa: S311 - a sample, not a secret
    for _ in range(5000):  # and a sample of two-character given names, weighted like the demo
        surname = rng.choices(V.SURNAME_LIST, cum_weights=V.SURNAME_CUM)[0]
        given = "".join(rng.sample(V.GIVEN, 2))
        assert V.person_keys(surname, given) == name_keys(surname + given), surname + given
    for surname, given in (("于", "思远"), ("兰", "兰若"), ("张", "伟"), ("欧阳", "娜"), ("单", "伟"), ("曾", "强")):
        assert V.person_keys(surname, given) == name_keys(surname + given)
    assert V.person_keys("张", "伟") == ("zhangwei", "zw", "")


def test_place_keys_equal_name_keys_even_across_a_phrase_boundary():
    # 市长 is a phrase to pypinyin: the pieces disagree and the whole name is read instead.
    for pieces in (("重庆市", "长寿区", "人民医院"), ("上海市", "第一人民医院"), ("浦东新区", "人民路", "社区卫生服务中心"),
                   ("康之源", "大药房", "（人民路二店）"), ("杭州市", "康达", "医药有限公司")):
        assert V.place_keys(pieces) == name_keys("".join(pieces), person=False), pieces


def test_credit_codes_carry_the_gb_32100_check_character():
    assert V.credit_code("91350100M000100Y4") == "91350100M000100Y43"  # a published example
    code = V.credit_code("12310000123456789")
    assert len(code) == 18 and code[-1] in V._USCC_CHARS


def test_district_and_city_names():
    assert (V.city_name("上海"), V.city_name("红河")) == ("上海市", "红河州")
    assert (V.district_name("浦东"), V.district_name("西湖"), V.district_name("昆山")) == ("浦东新区", "西湖区", "昆山市")
