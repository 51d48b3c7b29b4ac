"""Bulk import benchmark: N generated candidates with their paper history (``examples/import/mapping.yaml``'s
columns) imported through ``AdmissionFlow.import_candidates`` on SQLite (and PostgreSQL when asked), beside a
raw-driver floor in the same run: the very rows the import wrote (candidates, instances, events, documents,
timers), read back and inserted with ``executemany`` in one transaction into a fresh database.

    .venv/bin/python bench/import.py                      # 100,000 rows, SQLite
    .venv/bin/python bench/import.py --rows 20000 --postgres postgresql://postgres@127.0.0.1:5432/test

Prints, per database: rows/s and seconds of the import (read + check + write), of the floor, the ratio, the
process's CPU time in each (on a loaded machine the fairer figure: the database server's, for PostgreSQL, is not
in it) and the CPU of the import's worker processes (``--workers``: the ``import_workers`` setting, 0 = one per
core; 1 = checked in the importing process), the row counts, and the peak RSS of the process and of its largest
worker. Target: 100,000 rows in at most 30 s on SQLite.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from common import postgres_schema, sqlite_url
from rawdb import Raw

from admission_flow import AdmissionFlow
from admission_flow.samples import SAMPLE_ORGS, sample_contacts
from admission_flow.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "examples" / "import" / "mapping.yaml"
TABLES = ("candidates", "instances", "events", "documents", "timers")
CELLS = ("ks.anmy.ap1", "ks.anmy.ap2", "ks.thpt.gv.toan", "ks.ctyxk")
HEADER = (
    "Mã hồ sơ",
    "Họ và tên",
    "Mã chi bộ",
    "Ngày sinh",
    "Giới tính",
    "Dân tộc",
    "Tôn giáo",
    "Trình độ học vấn",
    "Nghề nghiệp",
    "Đoàn viên",
    "Email",
    "Số định danh cá nhân",
    "Số thẻ đảng viên",
    "Cán bộ quản lý",
    "Ngày vào danh sách cảm tình",
    "Ngày cấp GCN nhận thức về Đảng",
    "Ngày chi bộ xét kết nạp",
    "Ngày ký quyết định kết nạp",
    "Ngày chi bộ nhận quyết định",
    "Ngày kết nạp",
    "Ngày công nhận chính thức",
)


REVISED_RULES = date(2025, 7, 1)  # standard@2025.1 in force
YOUTH_AGE = 30


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def generate(path: Path, rows: int, seed: int = 10) -> None:
    """``rows`` valid candidates: each got 1 to 7 steps along the standard path, started between 2016 and 2025."""
    rnd = random.Random(seed)
    d = "%d/%m/%Y"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(rows):
            female = rnd.random() < 0.45
            born = date(rnd.randint(1975, 2004), rnd.randint(1, 12), rnd.randint(1, 28))
            listed = date(2016, 1, 1) + timedelta(days=rnd.randint(0, 3600))
            listed = max(listed, date(born.year + 18, born.month, born.day) + timedelta(days=200))
            certified = listed + timedelta(days=rnd.randint(30, 200))
            vote = certified + timedelta(days=rnd.randint(20, 300))
            signed = vote + timedelta(days=rnd.randint(10, 60))
            received = signed + timedelta(days=rnd.randint(1, 5))
            ceremony = received + timedelta(days=rnd.randint(1, 20))
            recognised = ceremony + timedelta(days=366 + rnd.randint(0, 60))
            steps = [listed, certified, vote, signed, received, ceremony, recognised]
            done = rnd.randint(1, 7)
            if vote >= REVISED_RULES and _age(born, vote) <= YOUTH_AGE:
                # standard@2025.1 asks the Youth Union's introduction of a youth-age candidate, and the mapping's
                # introductions are two full members: these rows stop before the cell's vote.
                done = min(done, 2)
            century = (0 if born.year < 2000 else 2) + (1 if female else 0)
            pid = f"094{century}{born.year % 100:02d}{i:06d}"
            out.writerow(
                (
                    f"BENCH-{i:07d}",
                    f"Người thứ {i}",
                    CELLS[i % len(CELLS)],
                    born.strftime(d),
                    "Nữ" if female else "Nam",
                    "Kinh",
                    "",
                    rnd.choice(("12/12", "Đại học", "9/12")),
                    "Nông dân",
                    "x" if rnd.random() < 0.6 else "",
                    "",
                    pid,
                    "",
                    "",
                    *(s.strftime(d) if k < done else "" for k, s in enumerate(steps)),
                )
            )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_flow(url: str, workers: int = 0) -> AdmissionFlow:
    flow = AdmissionFlow(Settings(database_url=url, workflows_dir=str(ROOT / "workflows"), import_workers=workers))
    flow.upgrade_database()
    for org in SAMPLE_ORGS:
        flow.add_org(**org, contacts=sample_contacts(org))
    return flow


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(
    name: str, url_a: str, url_b: str, raw_a: Any, raw_b: Any, csv_path: Path, n: int, workers: int
) -> dict[str, Any]:
    flow = fresh_flow(url_a, workers)
    started, cpu, workers_cpu = time.perf_counter(), time.process_time(), children_cpu()
    result = flow.import_candidates(csv_path, MAPPING)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    workers_cpu = children_cpu() - workers_cpu
    worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert result.written and result.accepted == n, result.rejected[:5]
    rss_after_import = peak_rss_mib()  # before the floor reads every row back
    flow.close()
    fresh_flow(url_b).close()
    source, target = raw_a(), raw_b()
    counts, data = {}, {}
    for table in TABLES:
        cur = source.connection.cursor()
        cur.execute(f"SELECT * FROM {table} ORDER BY id")
        cols = [c[0] for c in cur.description]
        data[table] = (cols, cur.fetchall())
        counts[table] = len(data[table][1])
    mark = "?" if name == "sqlite" else "%s"
    t0, floor_cpu = time.perf_counter(), time.process_time()
    cur = target.connection.cursor()
    if name == "sqlite":
        # The import's page cache (store/imports.py IMPORT_CACHE_KIB, 128 MiB while it writes), and one
        # transaction, as the import's.
        cur.execute("PRAGMA cache_size = -131072")
        cur.execute("BEGIN IMMEDIATE")
    for table in TABLES:
        cols, rows = data[table]
        cur.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(mark for _ in cols)})",
            rows if name == "sqlite" else [tuple(_pg(v) for v in r) for r in rows],
        )
    if name == "sqlite":
        cur.execute("COMMIT")
    else:
        target.connection.commit()
    floor, floor_cpu = time.perf_counter() - t0, time.process_time() - floor_cpu
    for table in TABLES:
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone()[0] == counts[table], table
    source.close()
    target.close()
    found = {"db": name, "seconds": elapsed, "floor": floor, "counts": counts, "rss": rss_after_import}
    print(
        f"{name}: import {elapsed:.2f} s ({n / elapsed:,.0f} rows/s), floor {floor:.2f} s ({n / floor:,.0f} rows/s), "
        f"ratio {elapsed / floor:.1f}x, peak RSS after the import {rss_after_import:.0f} MiB; this process's CPU: "
        f"import {cpu:.2f} s ({cpu / n * 1e6:.0f} µs a row), floor {floor_cpu:.2f} s; the import's workers' CPU "
        f"{workers_cpu:.2f} s, the largest one's peak RSS {worker_rss:.0f} MiB",
        flush=True,
    )
    return found


def _pg(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value) if isinstance(value, dict | list) else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("ADMISSION_FLOW_BENCH_POSTGRES_URL"))
    parser.add_argument("--workers", type=int, default=0, help="import_workers (0: one per core; 1: none)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "candidates.csv"
        t0 = time.perf_counter()
        generate(csv_path, args.rows)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s ({csv_path.stat().st_size >> 20} MiB)")
        a, b = folder / "import.db", folder / "floor.db"
        results.append(
            run(
                "sqlite",
                sqlite_url(a),
                sqlite_url(b),
                lambda: Raw.sqlite_file(a),
                lambda: Raw.sqlite_file(b),
                csv_path,
                args.rows,
                args.workers,
            )
        )
        if args.postgres:
            with (
                postgres_schema(args.postgres, "bench_import") as pa,
                postgres_schema(args.postgres, "bench_floor") as pb,
            ):
                results.append(
                    run(
                        "postgresql",
                        pa.replace("postgresql://", "postgresql+psycopg://"),
                        pb.replace("postgresql://", "postgresql+psycopg://"),
                        lambda: Raw.postgres(pa),
                        lambda: Raw.postgres(pb),
                        csv_path,
                        args.rows,
                        args.workers,
                    )
                )
    print(
        f"\n{'database':<11} {'rows':>8} {'import s':>9} {'rows/s':>8} {'floor s':>8} {'floor rows/s':>12} "
        f"{'import/floor':>12}"
    )
    for r in results:
        n = args.rows
        print(
            f"{r['db']:<11} {n:>8,} {r['seconds']:>9.2f} {n / r['seconds']:>8,.0f} {r['floor']:>8.2f} "
            f"{n / r['floor']:>12,.0f} {r['seconds'] / r['floor']:>11.1f}x"
        )
        print("            rows written: " + ", ".join(f"{t} {c:,}" for t, c in r["counts"].items()))
        print(f"            peak RSS when its import ended: {r['rss']:.0f} MiB")
    print(f"\npeak RSS of the whole run (floors included): {peak_rss_mib():.0f} MiB")
    print("target: 100,000 rows in <= 30 s on SQLite")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
