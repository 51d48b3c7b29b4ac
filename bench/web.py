"""Server time of the dashboard's pages over an organisation of 100,000 candidates on PostgreSQL (issue 11).

Run from the repository root::

    .venv/bin/python bench/web.py          # 100,000 candidates on ADMISSION_FLOW_TEST_POSTGRES_URL
    .venv/bin/python bench/web.py --candidates 20000 --repeat 5

Set-up (in a fresh schema, dropped at the end): the sample tree plus ``--cells`` cells under its two grassroots
committees; two candidates driven through the facade (one waiting for the cell's vote on the 2021 rules, one
waiting for the admission decision on the 2025 rules), then cloned in SQL to ``--candidates`` candidates spread
over the cells, with their instances and deadline rows (due dates spread over six months around the clock's day,
so a third are overdue). The target is 300 ms a page.

Figures, per page, the median and the worst of ``--repeat`` runs after one warm-up:

* ``facade``: the facade call alone (``my_work``, ``deadline_board``, ``pipeline_board``), in this process;
* ``HTTP``: ``GET`` of the page from uvicorn on loopback (in a thread of this process), rendering included,
  for a district user (``ks``: cell and committee roles) and a commune user (``ks.anmy``: cell role).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import psycopg
import uvicorn
from common import postgres_schema

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
    with psycopg.connect(url) as conn:
        half = candidates // 2
        clone(conn, "seed-vote", 1, half, cells)
        clone(conn, "seed-decide", half + 1, candidates, cells)
        conn.execute("ANALYZE")
    flow.add_user(
        login="district", display_name="District", org_id="ks", roles=["cell", "competent_committee"], password=PASSWORD
    )
    flow.add_user(login="commune", display_name="Commune", org_id="ks.anmy", roles=["cell"], password=PASSWORD)
    return flow


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s "
        "ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [r[0] for r in rows]


def clone(conn: psycopg.Connection, seed: str, first: int, last: int, cells: int) -> None:
    """Candidates ``seed-<g>`` for g in [first, last], over the bench's cells, with the seed's instance and its
    open deadline rows (due dates moved by (g mod 180) − 60 days)."""
    cell = f"(CASE WHEN g %% 2 = 0 THEN 'ks.anmy' ELSE 'ks.thpt' END) || '.c' || (g %% {cells})"
    exprs = {"id": "s.id || '-' || g", "org_id": cell, "full_name": "'Người thứ ' || g"} | {c: "NULL" for c in UNIQUE}
    cols = _columns(conn, "candidates")
    conn.execute(
        f"INSERT INTO candidates ({', '.join(cols)}) SELECT {', '.join(exprs.get(c, f's.{c}') for c in cols)} "
        f"FROM candidates s, generate_series({first}, {last}) g WHERE s.id = %s",
        (seed,),
    )
    cols = [c for c in _columns(conn, "instances") if c != "id"]
    exprs = {"candidate_id": "s.candidate_id || '-' || g"}
    conn.execute(
        f"INSERT INTO instances ({', '.join(cols)}) SELECT {', '.join(exprs.get(c, f's.{c}') for c in cols)} "
        f"FROM instances s, generate_series({first}, {last}) g WHERE s.candidate_id = %s",
        (seed,),
    )
    cols = [c for c in _columns(conn, "timers") if c != "id"]
    shift = "((g %% 180) - 60)"
    exprs = {
        "instance_id": "n.id",
        "due_on": f"t.due_on + {shift}",
        "fire_at": f"t.fire_at + {shift} * interval '1 day'",
    }
    conn.execute(
        f"INSERT INTO timers ({', '.join(cols)}) SELECT {', '.join(exprs.get(c, f't.{c}') for c in cols)} "
        f"FROM timers t JOIN instances s ON s.id = t.instance_id AND s.state_epoch = t.state_epoch "
        f"CROSS JOIN generate_series({first}, {last}) g "
        f"JOIN instances n ON n.candidate_id = s.candidate_id || '-' || g "
        f"WHERE s.candidate_id = %s AND t.rung = 0 AND t.status = 'pending'",
        (seed,),
    )


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
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    import os

    url = args.postgres_url or os.environ.get("ADMISSION_FLOW_TEST_POSTGRES_URL")
    if not url:
        sys.exit("set ADMISSION_FLOW_TEST_POSTGRES_URL or --postgres-url")
    with postgres_schema(url, "bench_web") as schema_url:
        started = time.perf_counter()
        flow = set_up(schema_url, args.candidates, args.cells)
        print(
            f"set-up: {args.candidates:,} candidates over {args.cells} cells in {time.perf_counter() - started:.1f} s"
        )
        try:
            users = {u.login: u for u in flow.users()}
            print(f"{'page':<34}{'median ms':>10}{'worst ms':>10}")
            for login in ("district", "commune"):
                user = users[login]
                for name, call in (
                    ("my_work (page 1)", lambda user=user: flow.my_work(user)),
                    ("my_work (page 40)", lambda user=user: flow.my_work(user, page=40)),
                    ("deadline_board", lambda user=user: flow.deadline_board(user)),
                    ("pipeline_board", lambda user=user: flow.pipeline_board(user)),
                ):
                    median, worst = timed(call, args.repeat)
                    print(f"{'facade ' + login + ' ' + name:<34}{median:>10.0f}{worst:>10.0f}")
            with served(flow) as base_url:
                for login in ("district", "commune"):
                    with httpx.Client(base_url=base_url, timeout=60) as client:
                        signed_in(client, login)
                        for path in ("/web/", "/web/boards/deadlines", "/web/boards/pipeline"):

                            def get(path: str = path, client: httpx.Client = client) -> None:
                                assert client.get(path).status_code == 200

                            median, worst = timed(get, args.repeat)
                            print(f"{'HTTP ' + login + ' GET ' + path:<34}{median:>10.0f}{worst:>10.0f}")
        finally:
            flow.close()


if __name__ == "__main__":
    main()
