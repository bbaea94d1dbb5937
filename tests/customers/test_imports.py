"""Bulk import (service level): encodings, headers in either language, .xlsx, both modes,
idempotent re-imports, alignments, tenant isolation, and every kind of bad input refused
or neutralised with a per-row message and nothing half-written."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Alignment, Department, Hcp, ImportJob, Institution, Status
from customers.services.imports import import_job_create, import_run
from customers.services.imports import jobs as jobs_module
from sfe.core.models import AuditEvent

pytestmark = pytest.mark.usefixtures("english", "media")

INST_HEADER_ZH = ["外部编码", "名称", "类型", "等级", "床位数", "省份", "城市", "区县", "电话"]
HCP_HEADER_EN = ["External code", "Name", "Institution code", "Department", "Gender", "Title", "Specialty", "Mobile",
                 "KOL"]
CUSTOMER_TABLES = ("customers_institution", "customers_hcp", "customers_department", "customers_alignment")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def csv_bytes(rows, encoding="utf-8") -> bytes:
    return "".join(",".join(str(c) for c in r) + "\r\n" for r in rows).encode(encoding)


def xlsx_bytes(rows) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for r in rows:
        sheet.append(list(r))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def start(world, kind, content, name="file.csv", mode="valid_rows", tenant="a", role="admin") -> ImportJob:
    with world.scope(tenant):
        return import_job_create(kind=kind, mode=mode, upload=SimpleUploadedFile(name, content),
                                 by=world.users[tenant][role].membership_row)


def run(world, kind, content, name="file.csv", mode="valid_rows", tenant="a", role="admin") -> ImportJob:
    job = start(world, kind, content, name, mode, tenant, role)
    with world.scope(tenant):
        import_run(job_id=job.pk)
        job.refresh_from_db()
    return job


def refused_upload(world, kind, content, name="file.csv") -> str:
    with world.scope("a"):
        jobs = ImportJob.objects.count()
    with pytest.raises(ValidationError) as exc:
        start(world, kind, content, name)
    with world.scope("a"):
        assert ImportJob.objects.count() == jobs
    return " ".join(exc.value.message_dict["file"])


def counts(job) -> tuple[int, int, int, int]:
    return job.created_rows, job.updated_rows, job.unchanged_rows, job.error_rows


def errors(job) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


def audit_count(world, tenant="a") -> int:
    with world.scope(tenant):
        return AuditEvent.objects.filter(table_name__in=CUSTOMER_TABLES).count()


INSTITUTIONS = [
    INST_HEADER_ZH,
    ["H100", "上海市东方医院", "Hospital", "三级甲等", "800", "上海市", "上海市", "浦东新区", "021-38804518"],
    ["H101", "重庆医科大学附属第一医院", "hospital", "3A", "", "重庆市", "重庆市", "", ""],
    ["P200", "老百姓大药房（徐汇店）", "Retail pharmacy", "", "", "上海市", "上海市", "徐汇区", ""],
]


@pytest.fixture
def hospitals(world):
    """Institutions H100, H101 (hospitals) and P200 (a pharmacy) in tenant A."""
    job = run(world, "institutions", csv_bytes(INSTITUTIONS, "gb18030"))
    assert job.state == ImportJob.State.DONE, job.message
    return job


# --------------------------------------------------------------------------- what is read


def test_gbk_csv_with_chinese_headers_creates_institutions_with_pinyin(world, hospitals):
    assert hospitals.encoding == "gb18030"
    assert counts(hospitals) == (3, 0, 0, 0)
    assert hospitals.total_rows == 3
    with world.scope("a"):
        east = Institution.objects.get(external_code="H100")
        assert (east.name, east.kind, east.grade, east.beds, east.district) == (
            "上海市东方医院", "hospital", "3A", 800, "浦东新区")
        assert east.phone == "02138804518"
        assert (east.name_pinyin, east.initials) == ("shanghaishidongfangyiyuan", "shsdfyy")
        # Phrase-aware, not a surname reading: 重庆 is chongqing.
        assert Institution.objects.get(external_code="H101").name_pinyin.startswith("chongqing")
        pharmacy = Institution.objects.get(external_code="P200")
        assert pharmacy.kind == "retail_pharmacy"
        assert pharmacy.name == "老百姓大药房(徐汇店)"  # NFKC: full-width brackets folded


def test_utf8_bom_csv_with_english_headers_creates_hcps_and_their_departments(world, hospitals):
    rows = [HCP_HEADER_EN,
            ["D100", "单小明", "H100", "心内科", "男", "主任医师", "心内科", "138 0013 8001", "是"],
            ["D101", "曾丽", "H100", "心内科", "F", "attending", "cardiology", "+8613900139000", "no"],
            ["D102", "王强", "H101", "", "", "", "", "", ""]]
    job = run(world, "hcps", b"\xef\xbb\xbf" + csv_bytes(rows))
    assert job.encoding == "utf-8-sig"
    assert counts(job) == (3, 0, 0, 0), job.errors
    with world.scope("a"):
        shan = Hcp.objects.select_related("institution", "department").get(external_code="D100")
        assert (shan.gender, shan.title, shan.specialty, shan.phone, shan.is_kol) == (
            "M", "chief", "cardiology", "13800138001", True)
        assert shan.institution.external_code == "H100"
        assert shan.name_pinyin == "shanxiaoming"  # the surname reading of 单
        assert Hcp.objects.get(external_code="D101").phone == "13900139000"
        assert Hcp.objects.get(external_code="D102").department_id is None
        # One department for both rows, created once.
        assert list(Department.objects.filter(institution__external_code="H100").values_list("name", flat=True)) == ["心内科"]
        assert shan.department.name == "心内科"


def test_xlsx_reads_numbers_as_text_and_excel_dates(world, customers):
    rows = [["外部编码", "姓名", "机构编码", "手机"],
            [20001, "赵敏", "H001", 13800138002],
            ["D20002", "钱进", "H001", 13800138003.0],
            ["D20003", '=HYPERLINK("http://evil.example","孙悦")', "H001", None]]  # a real formula cell
    job = run(world, "hcps", xlsx_bytes(rows), name="医生.xlsx")
    assert counts(job) == (2, 0, 0, 1), job.errors
    assert job.errors[0]["row"] == 4 and "looks like a spreadsheet formula" in job.errors[0]["message"]
    with world.scope("a"):
        assert Hcp.objects.get(external_code="20001").phone == "13800138002"
        assert Hcp.objects.get(external_code="D20002").phone == "13800138003"
    al = [["客户编码", "辖区", "产品线", "开始日期", "结束日期"],
          ["20001", "浦东一区", "心血管", dt.datetime(2025, 3, 1), None],
          ["D20002", "浦东一区", "心血管", 45717, 45747]]  # Excel serials: 2025-03-01 … 2025-03-31
    job = run(world, "alignments", xlsx_bytes(al), name="alignments.xlsx")
    assert counts(job) == (2, 0, 0, 0), job.errors
    with world.scope("a"):
        a = Alignment.objects.get(hcp__external_code="D20002")
        assert (a.start_date, a.end_date, a.source) == (dt.date(2025, 3, 1), dt.date(2025, 3, 31), "import")


def test_headers_may_sit_under_a_title_row_and_unknown_columns_are_reported(world, hospitals):
    rows = [["医生导入"], ["外部编码", "姓名", "机构编码", "备注"], ["D300", "孙悦", "H100", "随便写"]]
    job = run(world, "hcps", csv_bytes(rows))
    assert counts(job) == (1, 0, 0, 0)
    assert "备注" in job.message


# --------------------------------------------------------------------------- idempotent


def test_reimporting_the_same_file_changes_nothing_and_writes_no_audit_row(world, hospitals):
    hcps = csv_bytes([["外部编码", "姓名", "机构编码", "科室", "职称"],
                      ["D100", "张伟", "H100", "心内科", "主任医师"], ["D101", "李娜", "H101", "肿瘤科", ""]])
    first = run(world, "hcps", hcps)
    assert counts(first) == (2, 0, 0, 0)
    before = audit_count(world)
    with world.scope("a"):
        stamps = dict(Hcp.objects.values_list("external_code", "updated_at"))
    again_institutions = run(world, "institutions", csv_bytes(INSTITUTIONS, "gb18030"))
    again_hcps = run(world, "hcps", hcps)
    assert counts(again_institutions) == (0, 0, 3, 0)
    assert counts(again_hcps) == (0, 0, 2, 0)
    assert audit_count(world) == before
    with world.scope("a"):
        assert dict(Hcp.objects.values_list("external_code", "updated_at")) == stamps
        assert Department.objects.count() == 2


def test_a_changed_row_is_updated_and_columns_not_in_the_file_are_kept(world, hospitals):
    before = audit_count(world)
    job = run(world, "institutions", csv_bytes([["外部编码", "名称", "类型", "省份", "城市"],
                                                ["H100", "上海市东方医院南院", "hospital", "上海市", "上海市"],
                                                ["H101", "重庆医科大学附属第一医院", "hospital", "重庆市", "重庆市"]]))
    assert counts(job) == (0, 1, 1, 0)
    assert audit_count(world) == before + 1
    with world.scope("a"):
        east = Institution.objects.get(external_code="H100")
        assert east.name == "上海市东方医院南院"
        assert east.name_pinyin == "shanghaishidongfangyiyuannanyuan"
        assert (east.grade, east.beds, east.district) == ("3A", 800, "浦东新区")  # not in the file: kept


def test_an_hcp_moved_to_another_institution_without_a_department_loses_the_old_one(world, hospitals):
    run(world, "hcps", csv_bytes([["外部编码", "姓名", "机构编码", "科室"], ["D100", "张伟", "H100", "心内科"]]))
    job = run(world, "hcps", csv_bytes([["外部编码", "姓名", "机构编码"], ["D100", "张伟", "H101"]]))
    assert counts(job) == (0, 1, 0, 0)
    with world.scope("a"):
        moved = Hcp.objects.get(external_code="D100")
        assert moved.institution.external_code == "H101" and moved.department_id is None


# --------------------------------------------------------------------------- modes


BAD_HCPS = [["外部编码", "姓名", "机构编码", "科室", "手机"],
            ["D100", "张伟", "H100", "心内科", "13800138000"],
            ["D101", "", "H100", "心内科", ""],                 # no name
            ["D102", "王芳", "H999", "神经内科", ""],            # unknown institution
            ["D100", "张伟", "H101", "", ""],                   # the same code again
            ["D104", "刘洋", "H100", "", "12345"],              # not a phone
            ["D105", "=HYPERLINK(\"http://x\")", "H100", "", ""],  # a formula
            ["D106", "陈静", "H100", "=cmd|' /C calc'!A0", ""],    # a formula in the department
            ["", "赵敏", "H100", "", ""],                       # no external code
            ["D108", "孙悦", "H101", "新科室", ""]]


def test_valid_rows_mode_writes_the_valid_rows_and_lists_each_error(world, hospitals):
    job = run(world, "hcps", csv_bytes(BAD_HCPS))
    assert job.state == ImportJob.State.DONE
    assert counts(job) == (2, 0, 0, 7)
    assert errors(job) == [
        (3, "姓名", "This field is required."),
        (4, "机构编码", "No institution has the external code “H999”."),
        (5, "外部编码", "The external code “D100” is already in row 2 of this file."),
        (6, "手机", "“12345” is not a mobile phone number (11 digits starting with 1)."),
        (7, "姓名", "“=HYPERLINK(\"http://x\")” looks like a spreadsheet formula; remove the leading “=”."),
        (8, "科室", "“=cmd|' /C calc'!A0” looks like a spreadsheet formula; remove the leading “=”."),
        (9, "外部编码", "This field is required: imports match records on it."),
    ]
    assert "7 rows with errors were left out." in job.message
    with world.scope("a"):
        assert set(Hcp.objects.values_list("external_code", flat=True)) == {"D100", "D108"}
        assert Hcp.objects.get(external_code="D100").institution.external_code == "H100"  # the first row won
        assert set(Department.objects.values_list("name", flat=True)) == {"心内科", "新科室"}


def test_all_or_nothing_writes_nothing_when_one_row_is_wrong(world, hospitals):
    before = audit_count(world)
    job = run(world, "hcps", csv_bytes(BAD_HCPS), mode="all_or_nothing")
    assert job.state == ImportJob.State.REFUSED
    assert counts(job) == (0, 0, 0, 7)
    assert len(job.errors) == 7
    assert "7 rows have errors: nothing was imported." in job.message
    assert audit_count(world) == before
    with world.scope("a"):
        assert not Hcp.objects.exists()
        assert not Department.objects.exists()


def test_all_or_nothing_imports_a_clean_file(world, hospitals):
    job = run(world, "hcps", csv_bytes(BAD_HCPS[:2]), mode="all_or_nothing")
    assert (job.state, counts(job)) == (ImportJob.State.DONE, (1, 0, 0, 0))


def test_a_merged_record_is_not_updated_through_its_code(world, customers):
    with world.scope("a"):
        Hcp.objects.filter(pk=customers.h2.pk).update(status=Status.MERGED, merged_into=customers.h1)
    job = run(world, "hcps", csv_bytes([["外部编码", "姓名", "机构编码"], ["D002", "王芳芳", "H001"]]))
    assert counts(job) == (0, 0, 0, 1)
    assert "merged into another one" in job.errors[0]["message"]
    with world.scope("a"):
        assert Hcp.objects.get(pk=customers.h2.pk).name == "王芳"


def test_an_inactive_institution_cannot_take_new_hcps(world, customers):
    with world.scope("a"):
        Institution.objects.filter(pk=customers.i2.pk).update(status=Status.INACTIVE)
    job = run(world, "hcps", csv_bytes([["外部编码", "姓名", "机构编码"], ["D500", "周杰", "H002"]]))
    assert errors(job) == [(2, "机构编码", "The institution “H002” is not active.")]


# --------------------------------------------------------------------------- bad files


def test_mixed_encodings_are_refused_with_the_line_number(world, hospitals):
    content = (csv_bytes([["外部编码", "姓名", "机构编码"], ["D100", "张伟", "H100"]])
               + csv_bytes([["D101", "李娜", "H100"]], "gbk"))
    assert refused_upload(world, "hcps", content) == (
        "Line 3 is in GBK but the lines before it are in UTF-8: the file mixes encodings. Save it again as CSV UTF-8.")
    content = (csv_bytes([["外部编码", "姓名", "机构编码"], ["D100", "张伟", "H100"]], "gbk")
               + csv_bytes([["D101", "李娜", "H100"]]))
    assert refused_upload(world, "hcps", content) == (
        "Line 3 is in UTF-8 but the lines before it are in GBK: the file mixes encodings. Save it again as CSV UTF-8.")


def test_mixed_encodings_past_the_first_lines_refuse_the_whole_job(world, hospitals):
    """The upload looks at the first lines; the run reads every line before any row is written."""
    content = (csv_bytes([["外部编码", "姓名", "机构编码"], *[[f"D{i}", "张伟", "H100"] for i in range(100)]])
               + csv_bytes([["D999", "李娜", "H100"]], "gbk"))
    job = run(world, "hcps", content)
    assert job.state == ImportJob.State.REFUSED
    assert job.message.startswith("Line 102 is in GBK but the lines before it are in UTF-8")
    with world.scope("a"):
        assert not Hcp.objects.exists()


def test_a_file_in_neither_encoding_is_refused(world):
    message = refused_upload(world, "hcps", b"\xff\xfe\x00n\x00a\x00m\x00e")
    assert "UTF-16" in message
    message = refused_upload(world, "hcps", "外部编码,姓名".encode() + b"\xff\xff\xff\n")
    assert message == "Line 1 is neither UTF-8 nor GBK text: save the file as CSV UTF-8."


def test_binary_data_is_not_a_csv(world):
    assert refused_upload(world, "hcps", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") == (
        "Line 3 holds binary data: this is not a CSV text file.")


def test_a_file_over_50_mb_is_refused_before_it_is_read(world):
    class Huge:
        name = "huge.csv"
        size = 50 * 1024 * 1024 + 1

        def __getattr__(self, name):
            raise AssertionError(f"the file was touched ({name})")

    with world.scope("a"), pytest.raises(ValidationError) as exc:
        import_job_create(kind="hcps", mode="valid_rows", upload=Huge(), by=world.users["a"]["admin"].membership_row)
    assert exc.value.message_dict == {"file": ["The file is larger than 50 MB: split it into smaller files."]}


def test_an_xlsx_zip_bomb_is_refused_before_it_is_opened(world):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 1024 * 1024))
    assert len(bomb.getvalue()) < 100_000
    assert refused_upload(world, "hcps", bomb.getvalue(), name="bomb.xlsx") == (
        "This .xlsx file is compressed more than 100 times, as zip bombs are: it was not opened.")


def test_an_xlsx_that_would_expand_too_far_is_refused(world, monkeypatch):
    from customers.services.imports import reading

    monkeypatch.setattr(reading, "XLSX_MAX_UNCOMPRESSED", 1024)
    content = xlsx_bytes([["外部编码", "姓名", "机构编码"], *[[f"D{i}", "张伟", "H001"] for i in range(200)]])
    assert "would expand to" in refused_upload(world, "hcps", content, name="big.xlsx")


def test_files_that_are_not_csv_or_xlsx_are_refused(world):
    assert refused_upload(world, "hcps", b"name\n", name="hcps.txt") == "Upload a .csv or .xlsx file."
    assert refused_upload(world, "hcps", b"\xd0\xcf\x11\xe0\xa1\xb1", name="hcps.xls") == (
        "Save the file as .xlsx (Excel workbook) or .csv, then upload it again.")
    assert refused_upload(world, "hcps", b"PK\x03\x04rest", name="hcps.csv") == (
        "This is an Excel file named .csv: save it as CSV, or upload it as .xlsx.")
    assert refused_upload(world, "hcps", b"not a zip", name="hcps.xlsx") == (
        "This is not an Excel (.xlsx) file, whatever its name says.")
    assert refused_upload(world, "hcps", b"PK\x03\x04broken", name="hcps.xlsx") == (
        "This .xlsx file is damaged or not an Excel workbook.")


def test_an_empty_file_is_refused(world):
    assert refused_upload(world, "hcps", b"") == "The file is empty."


def test_a_file_with_no_known_headers_is_refused_with_the_columns_it_should_have(world):
    message = refused_upload(world, "hcps", csv_bytes([["foo", "bar"], ["1", "2"]]))
    assert message.startswith("No known column headers were found in the first 10 rows. The columns are: 外部编码 / external_code")


def test_a_missing_required_column_is_refused(world):
    assert refused_upload(world, "hcps", csv_bytes([["外部编码", "姓名"], ["D1", "张伟"]])) == (
        "The file has no column for: 机构编码 / institution_code.")


def test_the_same_column_twice_is_refused(world):
    assert refused_upload(world, "hcps", csv_bytes([["外部编码", "姓名", "name", "机构编码"]])) == (
        "The columns “姓名” and “name” are the same column (name); keep one.")


def test_a_header_without_rows_is_refused_when_run(world):
    job = run(world, "hcps", csv_bytes([["外部编码", "姓名", "机构编码"], [], [""]]))
    assert (job.state, job.message) == (ImportJob.State.REFUSED, "The file has no rows under its header.")


def test_a_row_that_breaks_the_csv_midway_leaves_nothing_behind(world, hospitals, monkeypatch):
    monkeypatch.setattr(jobs_module, "CHUNK", 2)  # the first rows are staged before the bad one is read
    rows = [["外部编码", "姓名", "机构编码"], *[[f"D{i}", "张伟", "H100"] for i in range(5)],
            ["D9", "x" * 200_000, "H100"]]
    job = run(world, "hcps", csv_bytes(rows))
    assert job.state == ImportJob.State.REFUSED
    assert job.message.startswith("Row 7 cannot be read as CSV")
    with world.scope("a"):
        assert not Hcp.objects.exists()


# --------------------------------------------------------------------------- alignments


def test_alignment_import_aligns_hcps_and_institutions_once(world, customers):
    today = world.tenants["a"].today()
    with world.scope("a"):
        t2 = world.nodes["a"]["t2"]
        type(t2).objects.filter(pk=t2.pk).update(external_code="T-PX2")
    rows = [["客户编码", "客户类型", "辖区", "产品线", "开始日期", "结束日期"],
            ["D004", "", "浦东一区", "心血管", "2025-01-01", ""],            # 陈静 (HCP) by territory name
            ["H009", "机构", "T-PX2", "心血管", "2025/2/1", "2025-12-31"],    # 无人医院 by territory code
            ["H002", "institution", "浦西二区", "心血管", "45658", ""],      # covered by its existing alignment? no: earlier
            ["D001", "hcp", "浦东一区", "心血管", (today - dt.timedelta(days=5)).isoformat(), ""],  # already covered
            ["D004", "", "浦东一区", "心血管", "2025-06-01", ""],            # overlaps row 2
            ["D003", "", "上海地区", "心血管", "2025-01-01", ""],            # a district, not a territory
            ["D003", "", "朝阳一区", "呼吸", "2025-01-01", ""],              # no such product line
            ["X999", "", "朝阳一区", "心血管", "2025-01-01", ""],            # no such customer
            ["D003", "", "朝阳一区", "心血管", "2025-13-01", ""],            # not a date
            ["D003", "", "朝阳一区", "心血管", "2025-03-01", "2025-02-01"]]  # ends before it starts
    job = run(world, "alignments", csv_bytes(rows))
    assert counts(job) == (2, 0, 1, 7), job.errors
    assert errors(job) == [
        (4, "开始日期", "“H002” is already aligned to this territory for this product line in an overlapping period."),
        (6, "开始日期", "Row 2 of this file aligns the same customer to the same territory and product line in an "
                     "overlapping period."),
        (7, "辖区", "上海地区 is not a territory."),
        (8, "产品线", "No product line is called “呼吸”."),
        (9, "客户编码", "No HCP or institution has the external code “X999”."),
        (10, "开始日期", "“2025-13-01” is not a date: write it as 2025-01-31."),
        (11, "结束日期", "The end date must not be before the start date."),
    ]
    with world.scope("a"):
        chen = Alignment.objects.get(hcp=customers.unaligned)
        assert (chen.territory_id, chen.start_date, chen.end_date, chen.source) == (
            world.nodes["a"]["t1"].pk, dt.date(2025, 1, 1), None, "import")
        loose = Alignment.objects.get(institution__external_code="H009")
        assert (loose.territory_id, loose.end_date) == (world.nodes["a"]["t2"].pk, dt.date(2025, 12, 31))
        assert Alignment.objects.filter(hcp=customers.h1).count() == 1
    again = run(world, "alignments", csv_bytes(rows))
    assert counts(again) == (0, 0, 3, 7)


def test_alignment_import_all_or_nothing(world, customers):
    rows = [["客户编码", "辖区", "产品线", "开始日期"], ["D004", "浦东一区", "心血管", "2025-01-01"],
            ["D004", "不存在", "心血管", "2025-01-01"]]
    job = run(world, "alignments", csv_bytes(rows), mode="all_or_nothing")
    assert (job.state, counts(job)) == (ImportJob.State.REFUSED, (0, 0, 0, 1))
    assert errors(job) == [(3, "辖区", "No territory has the external code or name “不存在”.")]
    with world.scope("a"):
        assert not Alignment.objects.filter(hcp=customers.unaligned).exists()


# --------------------------------------------------------------------------- tenants


def test_an_import_in_a_never_touches_b_even_with_the_same_codes(world, customers):
    b_before = audit_count(world, "b")
    run(world, "institutions", csv_bytes([["外部编码", "名称", "类型", "省份", "城市"],
                                          ["H001", "上海市第一人民医院（北部）", "hospital", "上海市", "上海市"]]))
    job = run(world, "hcps", csv_bytes([["外部编码", "姓名", "机构编码"], ["D001", "李娜娜", "H001"]]))
    assert counts(job) == (0, 1, 0, 0)
    with world.scope("b"):
        assert Institution.objects.get(external_code="H001").name == "乙方医院"
        assert Hcp.objects.get(external_code="D001").name == "张伟"
    with world.scope("a"):
        assert Hcp.objects.get(external_code="D001").name == "李娜娜"
    assert audit_count(world, "b") == b_before


def test_an_hcp_cannot_be_attached_to_the_other_tenants_institution(world, customers):
    with world.scope("b"):
        Institution.objects.filter(external_code="H001").update(external_code="B-ONLY")
    job = run(world, "hcps", csv_bytes([["外部编码", "姓名", "机构编码"], ["D900", "周杰", "B-ONLY"]]))
    assert errors(job) == [(2, "机构编码", "No institution has the external code “B-ONLY”.")]


def test_a_job_runs_once(world, hospitals):
    with world.scope("a"):
        assert import_run(job_id=hospitals.pk) is None


def test_messages_are_in_the_language_of_whoever_uploaded(world, hospitals):
    from accounts.models import User

    User.objects.filter(pk=world.users["a"]["data_steward"].pk).update(language="zh-hans")
    job = run(world, "hcps", csv_bytes([["外部编码", "姓名", "机构编码"], ["D1", "", "H100"]]), role="data_steward")
    assert job.errors[0]["message"] != "This field is required."
