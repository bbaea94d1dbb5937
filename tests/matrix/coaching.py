"""``/coaching/`` and ``/api/v1/coaching/``: co-visit evaluations (issue 5, R13).

Reps, managers, analysts and admins use coaching; data stewards and finance get 403. A rep
sees their own shared evaluations (``rep2``, outside the manager's team, sees none: 404); the
manager sees the team's and their own drafts; analysts and admins every shared one. Only
managers record and share, only the evaluated rep acknowledges, only admins edit skills. The
other tenant gets 404 for tenant A's codes (403 where its role may not open the page at all).
"""

from __future__ import annotations

from . import Row

ROLES = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance")
READERS = ("rep", "rep2", "manager", "analyst", "admin")


def PREPARE(w):  # noqa: N802 - the matrix's hook name
    from calls.coaching.models import Evaluation, Skill
    from calls.coaching.services import ScoreIn, evaluation_create, skill_create

    if Skill.objects.exists():
        return
    admin, manager = w.users["a"]["admin"].membership_row, w.users["a"]["manager"].membership_row
    skill = skill_create(name="矩阵开场", by=admin)
    skill_create(name="矩阵缔结", by=admin)
    today = w.tenants["a"].today()
    rep = w.users["a"]["rep"].membership_row
    evaluation_create(manager=manager, rep=rep, day=today, scores=[ScoreIn(skill=skill, score=4)], comment="矩阵共享",
                      share=True)
    evaluation_create(manager=manager, rep=rep, day=today, scores=[ScoreIn(skill=skill, score=3)], comment="矩阵草稿")
    assert Evaluation.objects.count() == 2


def _skill(w):
    from calls.coaching.models import Skill

    return {"code": Skill.objects.get(name="矩阵开场").code}


def _shared(w):
    from calls.coaching.models import Evaluation

    return {"code": Evaluation.objects.get(comment="矩阵共享").code}


def _draft(w):
    from calls.coaching.models import Evaluation

    return {"code": Evaluation.objects.get(comment="矩阵草稿").code}


def _form(w, **over):
    from calls.coaching.models import Skill

    skill = Skill.objects.get(name="矩阵开场")
    data = {"rep": str(w.users["a"]["rep"].membership_row.code), "day": w.tenants["a"].today().isoformat(),
            f"score_{skill.code}": "4", "comment": "矩阵新评估"}
    data.update(over)
    return data


def _rows(name, expect: dict, *, method="get", kwargs=None, data=None, anon=302, b_admin=403, b_rep=403, query=""):
    return [
        Row(name, "anon", anon, method=method, kwargs=kwargs, data=data, query=query),
        *[Row(name, r, expect.get(r, 403), method=method, kwargs=kwargs, data=data, query=query) for r in ROLES],
        Row(name, "b_admin", b_admin, method=method, kwargs=kwargs, data=data, query=query),
        Row(name, "b_rep", b_rep, method=method, kwargs=kwargs, data=data, query=query),
    ]


ALL_READ = {r: 200 for r in READERS}

ROWS = [
    # --------------------------------------------------------------------- pages
    *_rows("coaching:evaluation_list", ALL_READ, b_admin=200, b_rep=200),
    Row("coaching:evaluation_list", "manager", 200, query="state=shared"),
    *_rows("coaching:evaluation_new", {"manager": 200}),
    *_rows("coaching:evaluation_new", {"manager": 302}, method="post", data=_form),
    Row("coaching:evaluation_new", "manager", 400, method="post",
        data=lambda w: _form(w, rep=str(w.users["a"]["rep2"].membership_row.code))),
    *_rows("coaching:trends", ALL_READ, b_admin=200, b_rep=200),
    Row("coaching:trends", "manager", 200, query="rep=not-a-code"),
    *_rows("coaching:skill_list", {"admin": 200}, b_admin=200),
    *_rows("coaching:skill_list", {"admin": 302}, method="post", data=lambda w: {"name": "矩阵新技能"}, b_admin=302),
    Row("coaching:skill_list", "admin", 400, method="post", data=lambda w: {"name": "矩阵开场"}),
    *_rows("coaching:skill_edit", {"admin": 200}, kwargs=_skill, b_admin=404),
    *_rows("coaching:skill_edit", {"admin": 302}, method="post", kwargs=_skill,
           data=lambda w: {"name": "矩阵开场白", "is_active": "on"}, b_admin=404),
    *_rows("coaching:skill_move", {"admin": 302}, method="post", kwargs=_skill, data=lambda w: {"direction": "down"},
           b_admin=404),
    Row("coaching:skill_move", "admin", 405, kwargs=_skill),
    *_rows("coaching:evaluation_detail", {"rep": 200, "rep2": 404, "manager": 200, "analyst": 200, "admin": 200},
           kwargs=_shared, b_admin=404, b_rep=404),
    Row("coaching:evaluation_detail", "rep", 404, kwargs=_draft),
    Row("coaching:evaluation_detail", "analyst", 404, kwargs=_draft),
    Row("coaching:evaluation_detail", "manager", 200, kwargs=_draft),
    *_rows("coaching:evaluation_edit", {"manager": 200}, kwargs=_draft),
    *_rows("coaching:evaluation_edit", {"manager": 302}, method="post", kwargs=_draft, data=_form),
    Row("coaching:evaluation_edit", "manager", 400, method="post", kwargs=_draft,
        data=lambda w: _form(w, day="2999-01-01")),
    *_rows("coaching:evaluation_share", {"manager": 302}, method="post", kwargs=_draft),
    Row("coaching:evaluation_share", "manager", 405, kwargs=_draft),
    *_rows("coaching:evaluation_acknowledge", {"rep": 302, "rep2": 404}, method="post", kwargs=_shared,
           data=lambda w: {"rep_comment": "收到"}, b_rep=404),
    Row("coaching:evaluation_acknowledge", "rep", 404, method="post", kwargs=_draft),
    # --------------------------------------------------------------------- API
    *_rows("api-coaching-skills-list", ALL_READ, anon=403, b_admin=200, b_rep=200),
    *_rows("api-coaching-skills-detail", ALL_READ, kwargs=_skill, anon=403, b_admin=404, b_rep=404),
    *_rows("api-coaching-evaluations-list", ALL_READ, anon=403, b_admin=200, b_rep=200),
    Row("api-coaching-evaluations-list", "manager", 400, query="state=lost"),
    *_rows("api-coaching-evaluations-list", {"manager": 201}, method="post", anon=403,
           data=lambda w: {"rep": str(w.users["a"]["rep"].membership_row.code),
                           "day": w.tenants["a"].today().isoformat()}),
    Row("api-coaching-evaluations-list", "manager", 400, method="post",
        data=lambda w: {"rep": str(w.users["a"]["rep2"].membership_row.code), "day": w.tenants["a"].today().isoformat()}),
    *_rows("api-coaching-evaluations-detail", {"rep": 200, "rep2": 404, "manager": 200, "analyst": 200, "admin": 200},
           kwargs=_shared, anon=403, b_admin=404, b_rep=404),
    Row("api-coaching-evaluations-detail", "rep", 404, kwargs=_draft),
    *_rows("api-coaching-evaluations-share", {"manager": 200, "rep": 404, "rep2": 404, "analyst": 404, "admin": 404},
           method="post", kwargs=_draft, anon=403, b_admin=404, b_rep=404),
    Row("api-coaching-evaluations-share", "manager", 400, method="post", kwargs=_shared),
    *_rows("api-coaching-evaluations-acknowledge", {"rep": 200, "rep2": 404}, method="post", kwargs=_shared,
           anon=403, b_admin=404, b_rep=404),
    Row("api-coaching-evaluations-acknowledge", "rep", 404, method="post", kwargs=_draft),
]
