"""CSV import of users: all rows or none, GBK read correctly, errors that name row and column."""

from __future__ import annotations

import hashlib

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, User, UserImport
from accounts.services import user_import
from accounts.services.user_import import users_import_csv

BASE = "http://testserver/"



pytestmark = pytest.mark.usefixtures("english")

def run(world, content: bytes, *, filename="users.csv", invite=False, tenant="a"):
    with world.scope(tenant):
        return users_import_csv(file_bytes=content, filename=filename, uploaded_by=world.users[tenant]["admin"],
                                send_invitations=invite, base_url=BASE)


def counts(world):
    with world.scope("a"):
        return User.objects.count(), Membership.objects.count()


def texts(record):
    return [e["text"] for e in record.errors]


GBK_CSV = (
    "邮箱,姓名,角色,语言,工号,电话\r\n"
    "zhang.wei@a.test,张伟,医药代表,中文,E1001,13800000001\r\n"
    "li.na@a.test,李娜,经理；医药代表,,E1002,\r\n"
    "wang.fang@a.test,王芳,\"SFE分析，财务\",en,E1003,021-88888888\r\n"
    "zhao.lei@a.test,赵磊,系统管理员|主数据管理,,,\r\n"
)


def test_gbk_csv_with_chinese_names_imports_correctly(world):
    content = GBK_CSV.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # really GBK bytes
    record = run(world, content, filename="用户.csv")
    assert record.errors == []
    assert (record.rows, record.created, record.encoding) == (4, 4, "gb18030")
    assert record.sha256 == hashlib.sha256(content).hexdigest()
    with world.scope("a"):
        got = {m.user.email: m for m in Membership.objects.select_related("user").filter(
            user__email__endswith="@a.test", user__full_name__in=["张伟", "李娜", "王芳", "赵磊"])}
    assert got["zhang.wei@a.test"].user.full_name == "张伟"
    assert got["zhang.wei@a.test"].roles == ["rep"]
    assert got["zhang.wei@a.test"].user.language == "zh-hans"
    assert got["zhang.wei@a.test"].employee_no == "E1001"
    assert got["li.na@a.test"].roles == ["manager", "rep"]
    assert got["wang.fang@a.test"].roles == ["analyst", "finance"]
    assert got["wang.fang@a.test"].phone == "021-88888888"
    assert got["zhao.lei@a.test"].roles == ["admin", "data_steward"]
    assert not got["zhao.lei@a.test"].user.has_usable_password()


def test_utf8_with_bom_and_english_headers_imports(world):
    content = ("email,full_name,roles,employee_no\n"
               "Amy@A.test,Amy Chen,rep|manager,7\n"
               "bob@a.test,Bob,finance,\n").encode("utf-8-sig")
    record = run(world, content)
    assert (record.errors, record.created, record.encoding) == ([], 2, "utf-8-sig")
    assert User.objects.filter(email="amy@a.test").exists()


def test_full_width_characters_are_normalised(world):
    content = "邮箱,姓名,角色\nｑｉａｎ＠ａ．ｔｅｓｔ,钱　多多,ｒｅｐ\n".encode("gbk")
    record = run(world, content)
    assert record.errors == [] and record.created == 1
    user = User.objects.get(email="qian@a.test")
    assert user.full_name == "钱 多多"


def test_missing_column_imports_nothing_and_names_the_column(world):
    before = counts(world)
    record = run(world, b"email,full_name\nx@a.test,X\n")
    assert record.created == 0
    assert counts(world) == before
    assert len(record.errors) == 1
    assert "roles" in texts(record)[0] and "角色" in texts(record)[0]
    with world.scope("a"):
        assert UserImport.objects.get(pk=record.pk).errors  # the attempt is recorded


def test_duplicate_email_in_the_file_imports_nothing_and_names_the_rows(world):
    before = counts(world)
    content = "邮箱,姓名,角色\na1@a.test,甲,rep\nb1@a.test,乙,rep\nA1@a.test,丙,rep\n".encode("gbk")
    record = run(world, content)
    assert record.created == 0 and counts(world) == before
    assert len(record.errors) == 1
    error = record.errors[0]
    assert error["row"] == 4 and error["column"] == "邮箱"
    assert "Row 4" in error["text"] and "a1@a.test" in error["text"] and "row 2" in error["text"]


def test_duplicate_email_against_existing_users_imports_nothing_and_names_the_row(world):
    before = counts(world)
    content = b"email,full_name,roles\nfresh@a.test,Fresh,rep\nREP@a.test,Twin,rep\n"
    record = run(world, content)
    assert record.created == 0 and counts(world) == before
    assert [(e["row"], e["column"]) for e in record.errors] == [(3, "email")]
    assert "rep@a.test" in texts(record)[0] and "already exists" in texts(record)[0]
    assert not User.objects.filter(email="fresh@a.test").exists()


def test_email_of_another_tenants_user_is_also_taken(world):
    record = run(world, b"email,full_name,roles\nadmin@b.test,B,rep\n")
    assert [(e["row"], e["column"]) for e in record.errors] == [(2, "email")]


def test_every_bad_row_is_reported_with_row_and_column(world):
    content = (b"email,full_name,roles,language\n"
               b"ok@a.test,Ok,rep,\n"
               b"not-an-email,Bad,rep,\n"
               b"noname@a.test,,rep,\n"
               b"badrole@a.test,Bad Role,rep;wizard,\n"
               b"norole@a.test,No Role,,\n"
               b"lang@a.test,Lang,rep,klingon\n")
    before = counts(world)
    record = run(world, content)
    assert counts(world) == before and record.created == 0 and record.rows == 6
    assert [(e["row"], e["column"]) for e in record.errors] == [
        (3, "email"), (4, "full_name"), (5, "roles"), (6, "roles"), (7, "language")]
    assert "wizard" in texts(record)[2]


def test_undecodable_bytes_give_a_clear_error(world):
    before = counts(world)
    record = run(world, b"email,full_name,roles\n\xff\xfe\xff,x,rep\n")
    assert record.created == 0 and counts(world) == before
    assert "UTF-8" in texts(record)[0] and "GBK" in texts(record)[0]


def test_an_excel_workbook_is_refused_clearly(world):
    record = run(world, b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)), filename="users.xlsx")
    assert record.created == 0 and "CSV" in texts(record)[0]


def test_header_only_file_is_an_error(world):
    record = run(world, b"email,full_name,roles\n\n,,\n")
    assert record.created == 0 and record.errors


def test_import_can_send_invitations(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record = run(world, b"email,full_name,roles\ninv1@a.test,One,rep\ninv2@a.test,Two,manager\n", invite=True)
    assert record.created == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["inv1@a.test", "inv2@a.test"]
    assert all("/accounts/reset/" in m.body for m in mail.outbox)
    with world.scope("a"):
        assert Membership.objects.filter(user__email__startswith="inv", invited_at__isnull=False).count() == 2


def test_imported_users_belong_to_the_importing_tenant_only(world):
    run(world, b"email,full_name,roles\nonly.a@a.test,Only A,rep\n")
    with world.scope("b"):
        assert not Membership.objects.filter(user__email="only.a@a.test").exists()
    with world.scope("a"):
        assert Membership.objects.filter(user__email="only.a@a.test").exists()


def test_messages_are_built_with_gettext_and_parameters(world, monkeypatch):
    """The row/column frame and the reason come from the catalogue, filled with params."""
    catalogue = {
        "Row %(row)s, %(column)s: %(message)s": "第 %(row)s 行，%(column)s：%(message)s",
        "a user with the email %(email)s already exists": "邮箱 %(email)s 已存在",
    }
    monkeypatch.setattr(user_import, "_", lambda s: catalogue.get(s, s))
    record = run(world, "邮箱,姓名,角色\nnew@a.test,新,rep\nrep@a.test,重复,rep\n".encode("gbk"))
    assert texts(record) == ["第 3 行，邮箱：邮箱 rep@a.test 已存在"]


def test_import_queries_do_not_grow_per_row(world):
    def measure(n, prefix):
        rows = "".join(f"{prefix}{i}@a.test,User {i},rep\n" for i in range(n))
        with CaptureQueriesContext(connection) as ctx:
            record = run(world, f"email,full_name,roles\n{rows}".encode())
        assert record.created == n
        return len(ctx.captured_queries)

    assert measure(200, "big") == measure(3, "small")


def test_an_email_taken_between_check_and_insert_imports_nothing(world, monkeypatch):
    original = user_import.parse

    def parse_then_someone_else_registers(file_bytes):
        parsed = original(file_bytes)
        User.objects.create_user("race@a.test", full_name="Fast")  # another request, meanwhile
        return parsed

    monkeypatch.setattr(user_import, "parse", parse_then_someone_else_registers)
    with world.scope("a"):
        memberships = Membership.objects.count()
    record = run(world, b"email,full_name,roles\nfirst@a.test,First,rep\nrace@a.test,Race,rep\n")
    assert record.created == 0 and record.errors
    with world.scope("a"):
        assert Membership.objects.count() == memberships
    assert not User.objects.filter(email="first@a.test").exists()
