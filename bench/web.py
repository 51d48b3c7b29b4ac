"""Server time of the dashboard's pages over an organisation of 100,000 candidates on PostgreSQL (issue 11).

Run from the repository root::

    .venv/bin/python bench/web.py          # 100,000 candidates on ADMISSION_FLOW_TEST_POSTGRES_URL
    .venv/bin/python bench/web.py --candidates 20000 --repeat 5
    .venv/bin/python bench/web.py --sqlite --candidates 10000      # the same on a SQLite file
    .venv/bin/python bench/web.py --explain plans.txt              # and EXPLAIN (ANALYZE, BUFFERS) of each query

Set-up (in a fresh schema, dropped at the end): the sample tree plus ``--cells`` cells under its two grassroots
committees; two candidates driven through the facade (one waiting for the cell's vote on the 2021 rules, one
waiting for the admission decision on the 2025 rules), then cloned in SQL to ``--candidates`` candidates spread
over the cells, with their instances and deadline rows (due dates spread over six months around the clock's day,
so a third are overdue), then ``VACUUM ANALYZE`` (the state autovacuum keeps a live database in). The target is
300 ms a page.

Figures, per page, the median and the worst of ``--repeat`` runs after one warm-up:

* ``facade``: the facade call alone (``my_work``, ``deadline_board``, ``pipeline_board``), in this process, for a
  district user (``ks``: cell and committee roles, the whole tree), a commune user (``ks.anmy``: cell role, half
  of it) and a cell user (``ks.anmy.c0``, both roles: 1/200 of it; its page 21 is past its deadlines' end);
* ``floor``: the raw driver counting the subtree's candidates per organisation (``GROUP BY`` over the candidates'
  organisation index): the least a board that reads each candidate once can cost;
* ``HTTP``: ``GET`` of the page from uvicorn on loopback (in a thread of this process), rendering included.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn
from common import postgres_schema, sqlite_url
from sqlalchemy import event

from admission_flow.api import create_app
from admission_flow.flow import AdmissionFlow
from admission_flow.settings import Settings
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password 1"
NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
PERSON = {"birth_date": date(1995, 5, 15), "education": "university"}
UNIQUE = {"personal_id", "party_card_no", "old_card_no"}


def set_up(url: str, candidates: int, cells: int) -> AdmissionFlow:
    flow = AdmissionFlow(
        Settings(
            database_url=url.replace("postgresql://", "postgresql+psycopg://", 1), workflows_dir=ROOT / "workflows"
        ),
        clock=ManualClock(NOW),
    )
    flow.upgrade_database()
    add_sample_orgs(flow)
    for i in range(cells):
        parent = "ks.anmy" if i % 2 == 0 else "ks.thpt"
        flow.add_org(id=f"{parent}.c{i}", name=f"Chi bộ {i}", kind="cell", parent_id=parent)
    flow.add_candidate(id="seed-vote", full_name="Seed", org_id="ks.anmy.ap1", workflow="standard@2021", **PERSON)
    drive(flow, "seed-vote", date(2025, 9, 2), until="awaiting_branch_vote")
    flow.add_candidate(id="seed-decide", full_name="Seed", org_id="ks.anmy.ap2", workflow="standard@2025", **PERSON)
    drive(flow, "seed-decide", date(2025, 7, 2), until="awaiting_admission_decision")
    half = candidates // 2
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            clone(Sql(conn, sqlite=True), "seed-vote", 1, half, cells)
            clone(Sql(conn, sqlite=True), "seed-decide", half + 1, candidates, cells)
            conn.execute("ANALYZE")
    else:
        with psycopg.connect(url) as conn:
            clone(Sql(conn, sqlite=False), "seed-vote", 1, half, cells)
            clone(Sql(conn, sqlite=False), "seed-decide", half + 1, candidates, cells)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps: statistics, visibility map
    for login, org_id, roles in USERS:
        flow.add_user(login=login, display_name=login, org_id=org_id, roles=roles, password=PASSWORD)
    return flow


USERS = (
    ("district", "ks", ["cell", "competent_committee"]),
    ("commune", "ks.anmy", ["cell"]),
    ("cell", "ks.anmy.c0", ["cell", "competent_committee"]),
)


class Sql:
    """The little SQL that differs between the two databases for the clone."""

    def __init__(self, conn: Any, *, sqlite: bool) -> None:
        self.conn, self.sqlite = conn, sqlite

    def run(self, sql: str, *params: object) -> list[Any]:
        if not self.sqlite:
            sql = sql.replace("%", "%%").replace("?", "%s")
        cursor = self.conn.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []

    def columns(self, table: str) -> list[str]:
        if self.sqlite:
            return [r[1] for r in self.run(f"PRAGMA table_info({table})")]
        rows = self.run(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ? ORDER BY ordinal_position",
            table,
        )
        return [r[0] for r in rows]

    def series(self, first: int, last: int) -> str:
        """A FROM item ``g`` of the integers first..last."""
        if self.sqlite:
            numbers = f"SELECT {first} UNION ALL SELECT g + 1 FROM s WHERE g < {last}"
            return f"(WITH RECURSIVE s(g) AS ({numbers}) SELECT g FROM s) g"
        return f"generate_series({first}, {last}) g"

    def plus_days(self, column: str, days: str, *, instant: bool) -> str:
        if not self.sqlite:
            return f"{column} + {days}" + (" * interval '1 day'" if instant else "")
        if instant:  # SQLAlchemy's text form of a naive UTC instant
            return f"strftime('%Y-%m-%d %H:%M:%S.000000', {column}, {days} || ' days')"
        return f"date({column}, {days} || ' days')"


def clone(sql: Sql, seed: str, first: int, last: int, cells: int) -> None:
    """Candidates ``seed-<g>`` for g in [first, last], over the bench's cells, with the seed's instance and its
    open deadline rows (due dates moved by (g mod 180) − 60 days)."""
    series = sql.series(first, last)
    cell = f"(CASE WHEN g.g % 2 = 0 THEN 'ks.anmy' ELSE 'ks.thpt' END) || '.c' || (g.g % {cells})"
    exprs = {"id": "s.id || '-' || g.g", "org_id": cell, "full_name": "'Người thứ ' || g.g"}
    exprs |= {c: "NULL" for c in UNIQUE}
    cols = sql.columns("candidates")
    sql.run(
        f"INSERT INTO candidates ({', '.join(cols)}) SELECT {', '.join(exprs.get(c, f's.{c}') for c in cols)} "
        f"FROM candidates s, {series} WHERE s.id = ?",
        seed,
    )
    cols = [c for c in sql.columns("instances") if c != "id"]
    exprs = {"candidate_id": "s.candidate_id || '-' || g.g"}
    sql.run(
        f"INSERT INTO instances ({', '.join(cols)}) SELECT {', '.join(exprs.get(c, f's.{c}') for c in cols)} "
        f"FROM instances s, {series} WHERE s.candidate_id = ?",
        seed,
    )
    cols = [c for c in sql.columns("timers") if c != "id"]
    shift = "((g.g % 180) - 60)"
    exprs = {
        "instance_id": "n.id",
        "due_on": sql.plus_days("t.due_on", shift, instant=False),
        "fire_at": sql.plus_days("t.fire_at", shift, instant=True),
    }
    sql.run(
        f"INSERT INTO timers ({', '.join(cols)}) SELECT {', '.join(exprs.get(c, f't.{c}') for c in cols)} "
        f"FROM timers t JOIN instances s ON s.id = t.instance_id AND s.state_epoch = t.state_epoch "
        f"CROSS JOIN {series} "
        f"JOIN instances n ON n.candidate_id = s.candidate_id || '-' || g.g "
        f"WHERE s.candidate_id = ? AND t.rung = 0 AND t.status = 'pending'",
        seed,
    )


def floor(url: str, within: str) -> Callable[[], object]:
    """The raw driver's count of the subtree's candidates per organisation."""
    sql = (
        "WITH RECURSIVE scope(id) AS (SELECT id FROM orgs WHERE id = {p} UNION ALL "
        "SELECT o.id FROM orgs o JOIN scope ON o.parent_id = scope.id) "
        "SELECT org_id, count(*) FROM candidates WHERE org_id IN (SELECT id FROM scope) GROUP BY org_id"
    )
    if url.startswith("sqlite"):
        conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"), check_same_thread=False)
        return lambda: conn.execute(sql.format(p="?"), (within,)).fetchall()
    conn = psycopg.connect(url)
    return lambda: conn.execute(sql.format(p="%s"), (within,)).fetchall()


def explain(flow: AdmissionFlow, url: str, calls: list[tuple[str, Callable[[], object]]], out: Path) -> None:
    """Write EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL) or EXPLAIN QUERY PLAN (SQLite) of every statement of each call
    that reads the candidates' tables, replaying the call's ``SET``/``RESET`` statements in the same transaction."""
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    event.listen(flow.store.engine, "before_cursor_execute", grab)
    try:
        with out.open("w") as f:
            for name, call in calls:
                seen.clear()
                call()
                conn: Any = (
                    sqlite3.connect(url.removeprefix("sqlite:///"))
                    if url.startswith("sqlite")
                    else psycopg.connect(url)
                )
                with conn:
                    for statement, parameters in list(seen):
                        if statement.startswith(("SET ", "RESET ")):
                            conn.execute(statement)
                            f.write(f"===== {name}: {statement}\n")
                        elif "timers" in statement or "instances" in statement:
                            prefix = (
                                "EXPLAIN QUERY PLAN " if url.startswith("sqlite") else "EXPLAIN (ANALYZE, BUFFERS) "
                            )
                            plan = [
                                r[-1] if url.startswith("sqlite") else r[0]
                                for r in conn.execute(prefix + statement, parameters)
                            ]
                            f.write(f"===== {name}\n{statement}\n" + "\n".join(plan) + "\n")
                    conn.rollback()
    finally:
        event.remove(flow.store.engine, "before_cursor_execute", grab)


def timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    call()  # warm-up
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000, max(seconds) * 1000


@contextmanager
def served(flow: AdmissionFlow) -> Iterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(create_app(flow), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)


def signed_in(client: httpx.Client, login: str) -> httpx.Client:
    page = client.get("/web/signin")
    token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/web/signin", data={"csrf": token, "login": login, "password": PASSWORD})
    assert answer.status_code == 303, answer.text[:500]
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--explain", type=Path, default=None, help="write each query's plan to this file")
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    import os

    url = args.postgres_url or os.environ.get("ADMISSION_FLOW_TEST_POSTGRES_URL")
    if not url and not args.sqlite:
        sys.exit("set ADMISSION_FLOW_TEST_POSTGRES_URL or --postgres-url, or pass --sqlite")
    with tempfile.TemporaryDirectory() as tmp:
        database = (
            nullcontext(sqlite_url(Path(tmp) / "web.db")) if args.sqlite else postgres_schema(str(url), "bench_web")
        )
        with database as database_url:
            run(args, database_url)


def run(args: argparse.Namespace, url: str) -> None:
    started = time.perf_counter()
    flow = set_up(url, args.candidates, args.cells)
    print(f"set-up: {args.candidates:,} candidates over {args.cells} cells in {time.perf_counter() - started:.1f} s")
    try:
        users = {u.login: u for u in flow.users()}
        calls: list[tuple[str, Callable[[], object]]] = []
        for login, org_id, _ in USERS:
            user = users[login]
            calls += [
                (f"{login} my_work (page 1)", lambda user=user: flow.my_work(user)),
                (
                    f"{login} my_work (page {21 if login == 'cell' else 40})",
                    lambda user=user: flow.my_work(user, page=21 if user.login == "cell" else 40),
                ),
                (f"{login} deadline_board", lambda user=user: flow.deadline_board(user)),
                (f"{login} pipeline_board", lambda user=user: flow.pipeline_board(user)),
                (f"{login} floor (raw count)", floor(url, org_id)),
            ]
        print(f"{'page':<40}{'median ms':>10}{'worst ms':>10}")
        for name, call in calls:
            median, worst = timed(call, args.repeat)
            print(f"{'facade ' + name:<40}{median:>10.1f}{worst:>10.1f}")
        if args.explain:
            explain(flow, url, [c for c in calls if "floor" not in c[0]], args.explain)
        if args.no_http:
            return
        with served(flow) as base_url:
            for login, _, _ in USERS:
                with httpx.Client(base_url=base_url, timeout=60) as client:
                    signed_in(client, login)
                    for path in ("/web/", "/web/boards/deadlines", "/web/boards/pipeline"):

                        def get(path: str = path, client: httpx.Client = client) -> None:
                            assert client.get(path).status_code == 200

                        median, worst = timed(get, args.repeat)
                        print(f"{'HTTP ' + login + ' GET ' + path:<40}{median:>10.1f}{worst:>10.1f}")
    finally:
        flow.close()


if __name__ == "__main__":
    main()
