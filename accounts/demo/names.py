"""Realistic Chinese personal names, deterministic for a given random generator.

Surnames are weighted roughly by how common they are in mainland China (王, 李, 张 and
刘 alone cover about a fifth of the population); given names are one character (about a
quarter of people) or two, drawn from characters common in names.
"""

from __future__ import annotations

import random

# (surname, weight ≈ share in ‰ of the population), the ~100 most common plus a few compound ones.
SURNAMES: list[tuple[str, float]] = [
    ("王", 71), ("李", 70), ("张", 68), ("刘", 53), ("陈", 45), ("杨", 31), ("黄", 22), ("赵", 20),
    ("吴", 20), ("周", 19), ("徐", 17), ("孙", 15), ("马", 15), ("朱", 14), ("胡", 13), ("郭", 12),
    ("何", 12), ("高", 12), ("林", 12), ("罗", 11), ("郑", 11), ("梁", 10), ("谢", 9), ("宋", 8),
    ("唐", 8), ("许", 8), ("韩", 7), ("冯", 7), ("邓", 7), ("曹", 7), ("彭", 6), ("曾", 6), ("肖", 6),
    ("田", 6), ("董", 6), ("袁", 5), ("潘", 5), ("于", 5), ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 5),
    ("叶", 5), ("程", 5), ("苏", 5), ("魏", 5), ("吕", 5), ("丁", 4), ("任", 4), ("沈", 4), ("姚", 4),
    ("卢", 4), ("姜", 4), ("崔", 4), ("钟", 4), ("谭", 4), ("陆", 4), ("汪", 4), ("范", 4), ("金", 3),
    ("石", 3), ("廖", 3), ("贾", 3), ("夏", 3), ("韦", 3), ("付", 3), ("方", 3), ("白", 3), ("邹", 3),
    ("孟", 3), ("熊", 3), ("秦", 3), ("邱", 3), ("江", 3), ("尹", 3), ("薛", 3), ("闫", 3), ("段", 3),
    ("雷", 3), ("侯", 2), ("龙", 2), ("史", 2), ("陶", 2), ("黎", 2), ("贺", 2), ("顾", 2), ("毛", 2),
    ("郝", 2), ("龚", 2), ("邵", 2), ("万", 2), ("钱", 2), ("严", 2), ("覃", 2), ("武", 2), ("戴", 2),
    ("莫", 2), ("孔", 2), ("向", 2), ("汤", 2), ("单", 1), ("乐", 1), ("解", 1), ("查", 1),
    ("欧阳", 0.5), ("司马", 0.2), ("诸葛", 0.1), ("上官", 0.1),
]

# Characters common in given names, with no gender split (the demo does not need one).
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆"
    "帅旭宁龙林欣怡梓涵子轩雨泽思博文晨阳嘉琪佳慧颖婷雪琳倩瑶晶媛洁宁海波志国建新春晓东亮"
    "峰岩毅飞晖翔鑫昊天一诺若曦欣然梦瑶子墨宇航浩然俊杰德华秀兰丹蕾倩薇璐露莹蓉菲冰晴"
)

SURNAME_LIST = [s for s, _w in SURNAMES]
SURNAME_WEIGHTS = [w for _s, w in SURNAMES]


def person_name(rng: random.Random) -> str:
    surname = rng.choices(SURNAME_LIST, weights=SURNAME_WEIGHTS)[0]
    length = 1 if rng.random() < 0.25 else 2
    given = "".join(rng.choice(GIVEN_CHARS) for _ in range(length))
    return surname + given


def unique_names(rng: random.Random, count: int, taken: set[str] | None = None) -> list[str]:
    """``count`` distinct names (a demo reads better without namesakes), in draw order."""
    seen = set(taken or ())
    out: list[str] = []
    while len(out) < count:
        name = person_name(rng)
        if name in seen or name[-1] == name[-2]:
            continue  # no namesakes; no doubled last character (the draw makes odd ones like 王伟伟)
        seen.add(name)
        out.append(name)
    return out
