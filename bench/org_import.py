"""The organisations' first import: ``AdmissionFlow.import_orgs`` of a CSV tree of N organisations into an empty
database, then the same file again (nothing differs), on SQLite and optionally PostgreSQL.

Run from the repository root::

    .venv/bin/python bench/org_import.py                          # SQLite, 10,000 organisations
    .venv/bin/python bench/org_import.py --orgs 2000 --postgres postgresql://postgres@127.0.0.1:5432/test

The tree: one province, then districts of 20 communes of 24 cells each, as many as make N organisations. Each
import is one transaction; every new organisation gets its ``orgs`` row, its open period and its ``create``
audit row.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import postgres_schema  # noqa: E402

from admission_flow.flow import AdmissionFlow  # noqa: E402
from admission_flow.settings import Settings  # noqa: E402
from admission_flow.testing import ManualClock  # noqa: E402

NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def tree_csv(n: int) -> str:
    """A CSV of ``n`` organisations (province, districts, communes, cells), parents before children."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "parent", "kind", "name", "has_youth_union", "has_trade_union"])
    writer.writerow(["p", "", "province", "Tỉnh ủy", "", ""])
    made, d = 1, 0
    while made < n:
        district = f"p.d{d}"
        writer.writerow([district, "p", "superior_committee", f"Huyện ủy {d}", "", ""])
        made, d = made + 1, d + 1
        for c in range(20):
            if made >= n:
                break
            commune = f"{district}.x{c}"
            writer.writerow([commune, district, "grassroots_committee", f"Đảng ủy xã {d}-{c}", "có", ""])
            made += 1
            for k in range(min(24, n - made)):
                writer.writerow([f"{commune}.c{k}", commune, "cell", f"Chi bộ ấp {k}", "có", "có"])
                made += 1
    return out.getvalue()


def run(url: str, n: int) -> None:
    flow = AdmissionFlow(Settings(database_url=url, workflows_dir=ROOT / "workflows"), clock=ManualClock(NOW))
    flow.upgrade_database()
    text = tree_csv(n)
    started = time.perf_counter()
    first = flow.import_orgs(text, file_name="tree.csv")
    took = time.perf_counter() - started
    started = time.perf_counter()
    again = flow.import_orgs(text, file_name="tree.csv")
    twice = time.perf_counter() - started
    assert len(first.created) == n and again.unchanged == n, (len(first.created), again.unchanged)
    print(f"  first import: {n:,} organisations created in {took:.2f} s ({1e6 * took / n:.0f} µs each)")
    print(f"  same file again: {n:,} unchanged in {twice:.2f} s ({1e6 * twice / n:.0f} µs each)")
    flow.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=10000)
    parser.add_argument("--postgres", help="also at this URL (a schema of its own, dropped after)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            print("SQLite")
            run(f"sqlite:///{Path(folder) / 'orgs.db'}", args.orgs)
    if args.postgres:
        with postgres_schema(args.postgres, "bench_orgs") as url:
            print("PostgreSQL")
            run(url.replace("postgresql://", "postgresql+psycopg://", 1), args.orgs)


if __name__ == "__main__":
    main()
