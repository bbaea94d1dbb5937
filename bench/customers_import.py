"""The import figure of issue 4: 100,000 HCP rows imported (validated, matched to their
institutions, pinyin keys computed, loaded) against a bare COPY of the same rows into an
indexed copy of the HCP table, in the same run; and the import's peak memory at 50,000 and
100,000 rows (flat in the file's size).

``bench_import(b)`` is the benchmark (add it to ``bench.run.BENCHMARKS``). It writes the CSV
files here (Django-free), then runs each step as its own process, so time and peak RSS are
the step's own (``run_measured``)::

    python -m bench.customers_import prepare --institutions FILE --slug SLUG   # a tenant, its institutions (imported)
    python -m bench.customers_import import --tenant ID --member ID --file FILE  # the HCP import, our code
    python -m bench.customers_import copy --conninfo OWNER --tenant ID           # the baseline

The baseline reads the rows our import stored (``COPY … TO``, not timed), then times
``CREATE TABLE … (LIKE customers_hcp INCLUDING ALL)`` (every index, the trigram ones
included; no trigger, no row security, no foreign key) and one ``COPY … FROM`` of them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志文斌宇浩凯鹏飞鑫博辉晨睿轩雪梅琳婷倩颖佳欣怡"
         "丹玲凤萍春海波林峰雷亮宁健云龙涵思晓东俊瑞慧嘉成蕾薇诗琪子豪天翔振宏立新卫民永庆长乐重行")
PROVINCES = (("上海市", "上海市"), ("北京市", "北京市"), ("广东省", "广州市"), ("浙江省", "杭州市"), ("四川省", "成都市"),
             ("湖北省", "武汉市"), ("江苏省", "南京市"), ("重庆市", "重庆市"))
DEPARTMENTS = ("心内科", "内分泌科", "肿瘤科", "呼吸科", "神经内科", "消化科", "肾内科", "全科", "外科", "儿科", "药剂科")
TITLES = ("主任医师", "副主任医师", "主治医师", "住院医师", "")
SPECIALTIES = ("心内科", "内分泌科", "肿瘤科", "呼吸科", "神经内科", "消化科", "肾内科", "全科")
HCP_HEADER = ["外部编码", "姓名", "机构编码", "科室", "性别", "职称", "专业", "手机", "KOL", "潜力"]


def institutions_per(rows: int) -> int:
    return max(rows // 50, 10)


def write_institutions(path: Path, count: int, prefix: str) -> None:
    rnd = random.Random(f"inst-{count}")  # noqa: S311 - demo data
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["外部编码", "名称", "类型", "等级", "床位数", "省份", "城市"])
        for i in range(count):
            province, city = PROVINCES[i % len(PROVINCES)]
            w.writerow([f"{prefix}H{i:06d}", f"{city}第{i + 1}人民医院", "hospital", rnd.choice(("三级甲等", "二级甲等", "3B")),
                        rnd.randint(50, 3000), province, city])


def write_hcps(path: Path, rows: int, institutions: int, prefix: str) -> list[str]:
    """``rows`` HCPs at ``institutions`` institutions; returns the names (for the pinyin note)."""
    rnd = random.Random(f"hcp-{rows}")  # noqa: S311 - demo data
    names = []
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HCP_HEADER)
        for i in range(rows):
            name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2, 2))))
            names.append(name)
            w.writerow([f"{prefix}D{i:07d}", name, f"{prefix}H{rnd.randrange(institutions):06d}", rnd.choice(DEPARTMENTS),
                        rnd.choice("男女"), rnd.choice(TITLES), rnd.choice(SPECIALTIES),
                        f"1{rnd.choice('3456789')}{rnd.randrange(10**9):09d}", rnd.choice(("是", "否", "否", "")),
                        rnd.choice(("", "12000", "88000.50"))])
    return names


def bench_import(b, rows: int = 100_000) -> list[dict]:
    """The HCP import of ``rows // 2`` and ``rows`` rows, each into a fresh tenant, against
    bare loads of the same rows measured right after it."""
    from bench.run import entry, run_measured

    py = [sys.executable, "-m", "bench.customers_import"]
    runs = {}
    with tempfile.TemporaryDirectory(prefix="sfe-bench-import-") as tmp:
        env = {**b.env, "MEDIA_ROOT": str(Path(tmp) / "media")}
        for n in (rows // 2, rows):
            prefix = f"B{n}-"
            inst_file, hcp_file = Path(tmp) / f"institutions-{n}.csv", Path(tmp) / f"hcps-{n}.csv"
            write_institutions(inst_file, institutions_per(n), prefix)
            names = write_hcps(hcp_file, n, institutions_per(n), prefix)
            purge_tenants(b.owner, f"bench-import-{n}")  # a reused database keeps the last run's tenants
            prep = run_measured(py + ["prepare", "--institutions", str(inst_file), "--slug", f"bench-import-{n}"], env)
            ids = json.loads(prep.stdout.strip().splitlines()[-1])
            ours = run_measured(py + ["import", "--tenant", str(ids["tenant"]), "--member", str(ids["member"]),
                                      "--file", str(hcp_file)], env)
            result = json.loads(ours.stdout.strip().splitlines()[-1])
            if result["created"] != n:
                raise SystemExit(f"the import created {result['created']} of {n} rows: {result}")
            bases = {}
            for into, conninfo in (("copy", b.owner), ("same", superuser(b.owner)), ("real", b.app),
                                   ("real-no-audit", b.owner)):
                m = run_measured(py + ["copy", "--conninfo", conninfo, "--tenant",
                                       str(ids["tenant"]), "--into", into], env)
                bases[into] = (m, json.loads(m.stdout.strip().splitlines()[-1]))
            runs[n] = {"ours": ours, "result": result, "bases": bases, "names": names}
    half, full = rows // 2, rows
    run = runs[full]
    seconds = run["result"]["seconds"]
    copy_m, copy = run["bases"]["copy"]
    same = run["bases"]["same"][1]["seconds"]
    real = run["bases"]["real"][1]["seconds"]
    no_audit = run["bases"]["real-no-audit"][1]["seconds"]
    b.notes[f"HCP import, {full:,} rows"] = {
        "rows per second (in the process)": round(full / seconds),
        "bare COPY into the indexed copy, rows per second": round(full / copy["seconds"]),
        "bare COPY into customers_hcp itself, rows per second": round(full / same),
        "institutions referenced": institutions_per(full), "rows with errors": run["result"]["errors"],
        "time spent by the loading thread (s)": run["result"]["steps"],
        "pinyin keys": _pinyin_note(run["names"], seconds),
        "audit trigger (bare load into customers_hcp with it on, minus with it off)": f"{real - no_audit:.1f} s",
        "peak RSS (MB) at 50% / 100% of the rows": [round(runs[half]["ours"].peak_rss_mb, 1),
                                                    round(run["ours"].peak_rss_mb, 1)],
    }
    copy_label = f"bare COPY of the same {full:,} rows into an indexed copy of customers_hcp (LIKE … INCLUDING ALL)"
    same_label = (f"bare COPY of the same {full:,} rows into customers_hcp itself (the table the import writes, "
                  f"with its rows and indexes; no trigger, no key check: session_replication_role = replica)")
    real_label = (f"bare load of the same {full:,} rows into customers_hcp itself (COPY to a TEMP table, one "
                  f"INSERT … SELECT: row security, keys, composite foreign keys, audit trigger)")
    return [
        entry(f"HCP import of {full:,} rows: validated, matched, pinyin, loaded (in the process)", b.size,
              seconds, "s", copy_label + ", first statement to commit", copy["seconds"]),
        entry(f"HCP import of {full:,} rows (in the process), against the same indexed table", b.size,
              seconds, "s", same_label + ", first statement to commit", same),
        entry(f"HCP import of {full:,} rows (in the process), against the same table with its checks", b.size,
              seconds, "s", real_label + ", first statement to commit", real),
        entry(f"HCP import of {full:,} rows: wall time (process start to exit)", b.size, run["ours"].seconds, "s",
              copy_label + ", process start to exit", copy_m.seconds),
        entry(f"HCP import peak memory (RSS), {full:,} rows", b.size, run["ours"].peak_rss_mb, "MB",
              f"the same import of {half:,} rows (flat: ratio near 1)", runs[half]["ours"].peak_rss_mb),
    ]


def _pinyin_note(names: list[str], import_seconds: float) -> dict:
    from customers.pinyin import name_keys

    distinct = set(names)
    started = time.perf_counter()
    for name in distinct:
        name_keys(name, person=True)
    seconds = time.perf_counter() - started
    return {"distinct names": len(distinct), "seconds for each distinct name once": round(seconds, 2),
            "share of the import": f"{100 * seconds / import_seconds:.0f}%"}


# --------------------------------------------------------------------------- the steps (subprocesses)


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sfe.settings")
    import django

    django.setup()


def _job(tenant_id: int, member_id: int, kind: str, path: Path):
    from django.core.files import File
    from django.db import transaction

    from accounts.models import Membership
    from customers.models import ImportJob
    from sfe.core.tenancy import tenant_scope

    with tenant_scope(tenant_id), transaction.atomic():
        job = ImportJob(kind=kind, mode=ImportJob.Mode.VALID_ROWS, original_name=path.name,
                        created_by=Membership.objects.get(pk=member_id))
        with path.open("rb") as f:
            job.file.save(path.name, File(f), save=False)
        job.save()
    return job


def _run(job) -> tuple[float, object]:
    from django.db import transaction

    from customers.models import ImportJob
    from customers.services.imports import import_run
    from sfe.core.tenancy import tenant_scope

    started = time.perf_counter()
    with tenant_scope(job.tenant_id):
        import_run(job_id=job.pk)
    seconds = time.perf_counter() - started
    with tenant_scope(job.tenant_id), transaction.atomic():
        return seconds, ImportJob.objects.get(pk=job.pk)


def prepare(institutions: Path, slug: str) -> dict:
    _django()
    from accounts.services.tenants import tenant_create

    tenant, member = tenant_create(name=f"导入基准 {slug}", slug=slug, admin_email=f"admin@{slug}.bench",
                                   admin_name="基准管理员")
    _seconds, job = _run(_job(tenant.pk, member.pk, "institutions", institutions))
    if job.state != "done" or job.error_rows:
        raise SystemExit(f"institutions: {job.state} {job.message} {job.errors[:5]}")
    return {"tenant": tenant.pk, "member": member.pk, "institutions": job.created_rows}


def import_hcps(tenant_id: int, member_id: int, path: Path) -> dict:
    _django()
    from customers.services.imports import loading

    busy: dict[str, float] = {}

    def timed(name, method):
        def wrapper(self, *args, **kwargs):
            started = time.perf_counter()
            try:
                return method(self, *args, **kwargs)
            finally:
                busy[name] = busy.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    # Timing only: the same methods run. The loader checks and loads each chunk on its own
    # thread while the next chunk is read and validated, so these overlap the rest.
    loading.Loader.chunk = timed("loader thread busy (stage, check, insert … on conflict)", loading.Loader.chunk)
    loading.Loader._upsert = timed("of which insert … on conflict", loading.Loader._upsert)
    job = _job(tenant_id, member_id, "hcps", path)
    seconds, job = _run(job)
    return {"seconds": seconds, "created": job.created_rows, "errors": job.error_rows, "state": job.state,
            "message": job.message, "steps": {k: round(v, 2) for k, v in busy.items()}}


HCP_COLUMNS = ("tenant_id, code, name, name_pinyin, initials, search_alt, external_code, status, stage, stage_changed_at, "
               "tier, potential, created_at, updated_at, gender, title, specialty, institution_id, department_id, phone, "
               "email, is_kol, is_target")


def copy_baseline(conninfo: str, tenant_id: int, into: str) -> dict:
    """Read the rows our import stored (not timed), then time loading them again:

    * ``copy``: ``CREATE TABLE … (LIKE customers_hcp INCLUDING ALL)`` and one ``COPY`` (owner);
    * ``real``: into ``customers_hcp`` itself as the application role, the bare way (``COPY``
      to a TEMP table, one ``INSERT … SELECT``; fresh codes): row security, keys, composite
      foreign keys and the audit trigger in force;
    * ``real-no-audit``: ``real`` as the owner with the audit trigger disabled in the transaction;
    * ``same``: one ``COPY`` straight into ``customers_hcp`` (the superuser, with
      ``session_replication_role = replica``: no trigger, no key check; fresh codes), the
      literal "bare COPY of the same rows into the same indexed table".

    ``real`` loads are timed to the end of the deferred key checks, then rolled back.
    """
    import psycopg

    cols = HCP_COLUMNS
    with psycopg.connect(conninfo) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", [str(tenant_id)])
        with conn.cursor() as cur, cur.copy(f"COPY (SELECT {cols} FROM customers_hcp WHERE tenant_id = {int(tenant_id)} "
                                            f"AND external_code NOT LIKE 'R%') TO STDOUT") as copy:
            data = [bytes(chunk) for chunk in copy]
        conn.commit()
        if into == "same":
            data = [_fresh_codes(chunk) for chunk in data]  # not timed
        started = time.perf_counter()
        if into == "same":
            conn.execute("SET LOCAL session_replication_role = replica")
            with conn.cursor() as cur, cur.copy(f"COPY customers_hcp ({cols}) FROM STDIN") as copy:
                for chunk in data:
                    copy.write(chunk)
            seconds = time.perf_counter() - started
            conn.rollback()
            return {"seconds": seconds, "rows": sum(chunk.count(b"\n") for chunk in data)}
        if into == "copy":
            conn.execute("CREATE TABLE bench_hcp_copy (LIKE customers_hcp INCLUDING ALL)")
            target = "bench_hcp_copy"
        else:
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            if into == "real-no-audit":
                conn.execute("ALTER TABLE customers_hcp DISABLE TRIGGER USER")
            conn.execute(f"CREATE TEMP TABLE bench_stage ON COMMIT DROP AS SELECT {cols} FROM customers_hcp WITH NO DATA")
            target = "bench_stage"
        with conn.cursor() as cur, cur.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
            for chunk in data:
                copy.write(chunk)
        if into != "copy":
            fresh = cols.replace("code, name", "gen_random_uuid(), name").replace("external_code", "'R' || external_code")
            conn.execute(f"INSERT INTO customers_hcp ({cols}) SELECT {fresh} FROM bench_stage")
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the key checks a commit would run
            if into == "real-no-audit":
                conn.execute("ALTER TABLE customers_hcp ENABLE TRIGGER USER")
            seconds = time.perf_counter() - started
            # Rolled back, not committed: deleting HCP rows again costs far more than loading them
            # (the foreign keys pointing at customers_hcp are checked per deleted row).
            conn.rollback()
        else:
            conn.commit()
            seconds = time.perf_counter() - started
            conn.execute("DROP TABLE bench_hcp_copy")
            conn.commit()
    return {"seconds": seconds, "rows": sum(chunk.count(b"\n") for chunk in data)}


def _fresh_codes(chunk: bytes) -> bytes:
    """COPY text rows of ``HCP_COLUMNS`` with a new ``code`` and ``R`` before the external code,
    so they load beside the imported rows (the unique keys) in the same tenant."""
    out = []
    for line in chunk.split(b"\n"):
        if line:
            f = line.split(b"\t")
            f[1], f[6] = str(uuid.uuid4()).encode(), b"R" + f[6]
            line = b"\t".join(f)
        out.append(line)
    return b"\n".join(out)


def superuser(owner_conninfo: str) -> str:
    """The embedded server's superuser on the bench database (the ``same`` baseline and the
    purge switch triggers off, which only a superuser may)."""
    import psycopg

    from sfe.embedded import read_state

    state = read_state()
    if not state.get("socket_dir"):
        raise SystemExit("the import bench needs the embedded PostgreSQL (python -m sfe.embedded up)")
    dbname = psycopg.conninfo.conninfo_to_dict(owner_conninfo)["dbname"]
    return psycopg.conninfo.make_conninfo(host=state["socket_dir"], port=state["port"], user="postgres", dbname=dbname)


def purge_tenants(owner_conninfo: str, slug: str) -> None:
    """Remove the tenant ``slug`` left by an earlier run on a reused database, every row of it
    in every tenant table (keys and audit off for the purge: a superuser, bench data only)."""
    import psycopg

    with psycopg.connect(superuser(owner_conninfo)) as conn:
        row = conn.execute("SELECT id FROM accounts_tenant WHERE slug = %s", [slug]).fetchone()
        if not row:
            return
        conn.execute("SET LOCAL session_replication_role = replica")
        tables = [r[0] for r in conn.execute(
            "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
            "USING (table_schema, table_name) WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' "
            "AND t.table_type = 'BASE TABLE'")]
        for table in tables:
            conn.execute(f'DELETE FROM "{table}" WHERE tenant_id = %s', row)
        conn.execute("DELETE FROM accounts_tenant WHERE id = %s", row)
        conn.execute("DELETE FROM accounts_user WHERE email = %s", [f"admin@{slug}.bench"])


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--institutions", type=Path, required=True)
    p.add_argument("--slug", required=True)
    p = sub.add_parser("import")
    p.add_argument("--tenant", type=int, required=True)
    p.add_argument("--member", type=int, required=True)
    p.add_argument("--file", type=Path, required=True)
    p = sub.add_parser("copy")
    p.add_argument("--conninfo", required=True)
    p.add_argument("--tenant", type=int, required=True)
    p.add_argument("--into", choices=["copy", "same", "real", "real-no-audit"], default="copy")
    args = parser.parse_args()
    if args.step == "prepare":
        out = prepare(args.institutions, args.slug)
    elif args.step == "import":
        out = import_hcps(args.tenant, args.member, args.file)
    else:
        out = copy_baseline(args.conninfo, args.tenant, args.into)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
