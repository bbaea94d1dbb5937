"""Search keys of a Chinese name: full pinyin, initials and the other readings of heteronyms.

A surname read differently from the everyday word (单 shan, 曾 zeng, 区 ou …) uses the
surname reading; every other reading of a heteronym goes to ``alt`` so search finds it too.
Latin letters and digits pass through lower-cased, so "Smith 张" still sorts and searches.
"""

from __future__ import annotations

import itertools
import unicodedata
from functools import lru_cache

from pypinyin import Style, pinyin

#: Surnames whose reading differs from the common reading of the character.
SURNAME_READINGS = {
    "单": ("shan",), "曾": ("zeng",), "乐": ("yue",), "区": ("ou",), "朴": ("piao",), "解": ("xie",),
    "查": ("zha",), "仇": ("qiu",), "尉": ("yu",), "召": ("shao",), "缪": ("miao",), "翟": ("zhai",),
    "盖": ("ge",), "覃": ("qin",), "种": ("chong",), "员": ("yun",), "繁": ("po",), "过": ("guo",),
    "纪": ("ji",), "沈": ("shen",), "万": ("wan",), "长": ("chang",),
    "尉迟": ("yu", "chi"), "长孙": ("zhang", "sun"), "万俟": ("mo", "qi"), "单于": ("chan", "yu"),
}
_COMPOUND = sorted((s for s in SURNAME_READINGS if len(s) > 1), key=len, reverse=True)
_MAX_VARIANTS = 8


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


@lru_cache(maxsize=65536)
def _other_readings(char: str) -> tuple[str, ...]:
    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(dict.fromkeys(found[0])) if found and found[0] else ()


def _syllables(name: str, *, person: bool) -> list[tuple[str, ...]]:
    """One tuple of readings per syllable (the phrase-aware reading first) or Latin word."""
    surname = ""
    if person:
        surname = next((s for s in _COMPOUND if name.startswith(s)), "")
        if not surname and name[:1] in SURNAME_READINGS:
            surname = name[:1]
    out: list[tuple[str, ...]] = [(r,) for r in SURNAME_READINGS.get(surname, ())]
    rest = name[len(surname):]
    if not rest:
        return out
    # Phrase-aware readings (重庆 is chongqing, not zhongqing); non-Chinese runs come back whole.
    for chunk, reading in zip(_chunks(rest), pinyin(rest, style=Style.NORMAL, errors="default"), strict=False):
        if len(chunk) == 1 and _is_han(chunk):
            primary = reading[0]
            out.append((primary, *(r for r in _other_readings(chunk) if r != primary)))
        else:
            out += [(w,) for w in "".join(ch if ch.isalnum() else " " for ch in chunk.lower()).split()]
    return out


def _chunks(text: str) -> list[str]:
    """Split like pypinyin does: each Chinese character alone, other runs together."""
    chunks: list[str] = []
    for char in text:
        if _is_han(char) or not chunks or _is_han(chunks[-1][-1]):
            chunks.append(char)
        else:
            chunks[-1] += char
    return chunks


def name_keys(name: str, *, person: bool = True) -> tuple[str, str, str]:
    """``(pinyin, initials, alt)`` for a name: ``("zhangwei", "zw", "")`` for 张伟.

    ``person`` applies the surname readings (an institution named 解放军… is jiefangjun).
    """
    parts = _syllables(_clean(name), person=person)
    if not parts:
        return "", "", ""
    primary = "".join(p[0] for p in parts)
    initials = "".join(p[0][0] for p in parts)
    alts: set[str] = set()
    if any(len(p) > 1 for p in parts):
        for combo in itertools.islice(itertools.product(*parts), _MAX_VARIANTS):
            alts.add("".join(combo))
            alts.add("".join(c[0] for c in combo))
    alts.discard(primary)
    alts.discard(initials)
    return primary[:400], initials[:100], " ".join(sorted(alts))[:600]


def normalise_query(text: str) -> str:
    """What the user typed, ready to match: NFKC, lower case, spaces and apostrophes removed
    (``zhang wei`` and ``zhang'wei`` find zhangwei)."""
    text = _clean(text).lower()
    return "".join(ch for ch in text if ch not in " '’·-")[:100]
