"""Workers as real processes: a crash between claim and send, two sweepers on one schema, the worker command.

Processes start with ``multiprocessing`` in the ``spawn`` start method (or as a command) and build their own
AdmissionFlow; they meet the test at ``multiprocessing`` events and barriers. Every wait is bounded, and nothing
sleeps to synchronise: the test waits for what it needs (an event, a message at the SMTP server, an exit).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from smtp_servers import (
    CALENDAR,
    ROOT,
    SENDER,
    WAIT_SECONDS,
    WORKFLOWS,
    SmtpServer,
    deliver_then_hang,
    sweep_after_barrier,
)
from sqlalchemy import Connection, String, cast, func, insert, literal, select, true

from admission_flow.domain.records import CandidateRecord
from admission_flow.flow import AdmissionFlow
from admission_flow.notify import DeliveryError, OutgoingMail
from admission_flow.settings import Settings
from admission_flow.store.outbox import outbox
from admission_flow.store.schema import Candidate, Instance, table
from admission_flow.store.timers import timers
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

pytest_plugins = ["smtp_servers"]

WORKFLOW = "standard@2021"  # the version whose probation reminders these tests read (not the newest)
SPAWN = multiprocessing.get_context("spawn")
LEASE = timedelta(minutes=5)
CANDIDATE_EMAIL = "an@example.vn"
TIMERS = 10_000
SWEEP_WAIT_SECONDS = 300  # bound on the 10,000-timer sweep (about 20 s on an idle 2-core machine)
CANDIDATES, INSTANCES = table(Candidate), table(Instance)


def probationer(flow: AdmissionFlow, start: date) -> CandidateRecord:
    """The sample organisations and one candidate with an e-mail address, driven to ``probationary``."""
    add_sample_orgs(flow)
    flow.add_candidate(
        workflow=WORKFLOW,
        id="an",
        full_name="Nguyễn Văn An",
        org_id="ks.anmy.ap1",
        birth_date=date(1998, 5, 17),
        education="university",
        email=CANDIDATE_EMAIL,
    )
    record = drive(flow, "an", start, until="probationary")
    assert record.state == "probationary"
    return record


def outbox_rows(flow: AdmissionFlow) -> list[Any]:
    with flow.store.engine.connect() as conn:
        return list(conn.execute(select(outbox).order_by(outbox.c.id)))


def stop(process: Any) -> None:
    """Make sure a child process is gone (bounded), whatever happened in the test."""
    if process.is_alive():
        process.kill()
    process.join(WAIT_SECONDS)


# -------------------------------------------------------------------- (a) killed between claim and send


def test_a_worker_killed_after_claiming_resends_each_message_at_most_once_after_the_lease(
    database_url: str, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    flow = smtp_server.flow(database_url, clock, delivery_lease_seconds=LEASE.total_seconds())
    try:
        probationer(flow, date(2026, 1, 5))
        clock.set(datetime(2027, 5, 25, 3, 0, tzinfo=UTC))  # past the 30-day probation rung: 8 messages are due
        queued = flow.sweep().messages
        assert queued == 8
        message_ids = {r.message_id for r in outbox_rows(flow)}

        hanging, release = SPAWN.Event(), SPAWN.Event()
        worker = SPAWN.Process(target=deliver_then_hang, args=(flow.settings, clock.now(), hanging, release))
        worker.start()
        try:
            assert hanging.wait(WAIT_SECONDS), "the worker never got to send"
            worker.kill()
            worker.join(WAIT_SECONDS)
            assert worker.exitcode == -signal.SIGKILL
        finally:
            stop(worker)

        before_crash = [m.message_id for m in smtp_server.received]
        assert len(before_crash) == 1, "the worker sent one message, then hung before recording it"
        rows = outbox_rows(flow)
        assert {(r.status, r.attempts) for r in rows} == {("sending", 1)}, "the dead worker still holds every row"
        assert {r.lease_until for r in rows} == {clock.now() + LEASE}

        assert flow.deliver().sent == 0, "nothing is taken from a worker whose lease still runs"
        clock.advance(LEASE - timedelta(seconds=1))
        assert flow.deliver().sent == 0
        assert len(smtp_server.received) == 1

        clock.advance(timedelta(seconds=2))
        assert flow.deliver().sent == queued
        rows = outbox_rows(flow)
        assert {(r.status, r.attempts) for r in rows} == {("sent", 2)}

        copies = Counter(m.message_id for m in smtp_server.received)
        assert set(copies) == message_ids, "every message arrived"
        assert set(copies.values()) <= {1, 2}, "none arrived more than twice"
        assert [mid for mid, n in copies.items() if n == 2] == before_crash, "only the one sent before the crash twice"
        first, again = (m for m in smtp_server.received if m.message_id == before_crash[0])
        assert (again.to, again.subject, again.body) == (first.to, first.subject, first.body)
    finally:
        flow.close()


class StuckThenFailing:
    """A notifier whose first send hangs until ``resume`` and then times out; every later send fails too."""

    def __init__(self) -> None:
        self.stuck, self.resume = threading.Event(), threading.Event()

    def send(self, mail: OutgoingMail) -> None:
        if not self.stuck.is_set():
            self.stuck.set()
            self.resume.wait(WAIT_SECONDS)
        raise DeliveryError("SMTPServerDisconnected: 421 connection timed out")


def test_a_slow_worker_whose_lease_ran_out_cannot_undo_what_the_next_worker_recorded(
    database_url: str, clock: ManualClock, smtp_server: SmtpServer
) -> None:
    lease = {"delivery_lease_seconds": LEASE.total_seconds(), "delivery_backoff_seconds": 60.0}
    taking_over = smtp_server.flow(database_url, clock, **lease)
    stuck = StuckThenFailing()
    slow = AdmissionFlow(smtp_server.settings(database_url, **lease), clock=ManualClock(clock.now()), notifier=stuck)
    try:
        probationer(taking_over, date(2026, 1, 5))
        moment = datetime(2027, 5, 25, 3, 0, tzinfo=UTC)
        clock.set(moment)
        queued = taking_over.sweep().messages
        assert queued == 8

        slow_round = threading.Thread(target=slow.deliver, args=(moment,))
        slow_round.start()
        try:
            assert stuck.stuck.wait(WAIT_SECONDS), "the slow worker never claimed"
            clock.set(moment + LEASE + timedelta(seconds=1))
            assert taking_over.deliver().sent == queued
        finally:
            stuck.resume.set()
            slow_round.join(WAIT_SECONDS)
        assert not slow_round.is_alive()

        assert {r.status for r in outbox_rows(taking_over)} == {"sent"}, "what was sent stays sent"
        clock.advance(timedelta(hours=1))
        taking_over.deliver()
        assert set(Counter(m.message_id for m in smtp_server.received).values()) == {1}, "and is not sent again"
    finally:
        slow.close()
        taking_over.close()


# -------------------------------------------------------------------- (b) two sweepers, 10,000 due timers


def copy_candidate(conn: Connection, source: str, count: int) -> None:
    """``count`` copies of candidate ``source`` and of its instance (same org, state, epoch and dates; no papers)."""
    series = func.generate_series(1, count).table_valued("n").render_derived()
    new_id = literal(f"{source}-") + cast(series.c.n, String)
    columns = [c.name for c in CANDIDATES.c]
    replaced = {"id": new_id, "email": new_id + literal("@example.vn")}
    copies = select(*(replaced.get(name, CANDIDATES.c[name]) for name in columns))
    copies = copies.select_from(CANDIDATES.join(series, true())).where(CANDIDATES.c.id == source)
    conn.execute(insert(CANDIDATES).from_select(columns, copies))
    columns = [c.name for c in INSTANCES.c if c.name != "id"]
    replaced = {"candidate_id": new_id, "documents": literal({}, INSTANCES.c.documents.type)}  # papers: not read
    copies = select(*(replaced.get(name, INSTANCES.c[name]) for name in columns))
    copies = copies.select_from(INSTANCES.join(series, true())).where(INSTANCES.c.candidate_id == source)
    conn.execute(insert(INSTANCES).from_select(columns, copies))


def add_due_reminders(conn: Connection, source: str, due_on: date, fire_at: datetime) -> list[int]:
    """Rung 1 (45 days before) of probation_end, due at ``fire_at``, for every copy of ``source``'s instance."""
    copies = select(
        INSTANCES.c.id,
        INSTANCES.c.state,
        INSTANCES.c.state_epoch,
        literal("probation_end"),
        literal(1),
        literal("reminder"),
        literal(due_on),
        literal(fire_at, timers.c.fire_at.type),
        literal("pending"),
        literal(fire_at, timers.c.created_at.type),
    ).where(INSTANCES.c.candidate_id.like(f"{source}-%"))
    columns = ["instance_id", "state", "state_epoch", "deadline_id", "rung", "kind", "due_on", "fire_at", "status"]
    result = conn.execute(insert(timers).from_select([*columns, "created_at"], copies).returning(timers.c.id))
    return [row.id for row in result]


@pytest.mark.postgres
def test_two_sweepers_on_postgresql_share_ten_thousand_due_reminders_and_queue_each_exactly_once(
    postgres_schema_url: str, clock: ManualClock
) -> None:
    flow = AdmissionFlow(
        Settings(database_url=postgres_schema_url, workflows_dir=WORKFLOWS, calendar_file=CALENDAR), clock=clock
    )
    try:
        flow.upgrade_database()
        record = probationer(flow, date(2026, 1, 5))  # its own timers fire from July 2026: not due now
        fire_at = clock.now() - timedelta(hours=1)
        with flow.store.engine.begin() as conn:
            copy_candidate(conn, "an", TIMERS)
            timer_ids = add_due_reminders(conn, "an", date.fromisoformat(record.dates["probation_end_on"]), fire_at)
        assert len(timer_ids) == TIMERS

        start_line, results = SPAWN.Barrier(2), SPAWN.Queue()
        sweepers = [
            SPAWN.Process(target=sweep_after_barrier, args=(postgres_schema_url, clock.now(), start_line, results))
            for _ in range(2)
        ]
        for sweeper in sweepers:
            sweeper.start()
        try:
            reports = dict(results.get(timeout=SWEEP_WAIT_SECONDS) for _ in sweepers)
            for sweeper in sweepers:
                sweeper.join(WAIT_SECONDS)
        finally:
            for sweeper in sweepers:
                stop(sweeper)
        assert [s.exitcode for s in sweepers] == [0, 0]
        assert all("error" not in r for r in reports.values()), reports

        claimed = {pid: r["claimed"] for pid, r in reports.items()}
        assert sum(claimed.values()) == TIMERS, claimed
        assert sum(r["messages"] for r in reports.values()) == TIMERS, reports
        assert sum(r["stale"] + r["failed"] + r["fired"] for r in reports.values()) == 0, reports

        with flow.store.engine.connect() as conn:
            queued = conn.execute(
                select(
                    func.count(), func.count(outbox.c.timer_id.distinct()), func.count(outbox.c.message_id.distinct())
                )
            ).one()
            swept = conn.execute(
                select(timers.c.status, func.count()).where(timers.c.id.in_(timer_ids)).group_by(timers.c.status)
            ).all()
            queued_for = set(conn.execute(select(outbox.c.timer_id)).scalars())
        assert tuple(queued) == (TIMERS, TIMERS, TIMERS), "one outbox row per timer"
        assert queued_for == set(timer_ids)
        assert dict(swept) == {"done": TIMERS}
    finally:
        flow.close()


# -------------------------------------------------------------------- (c) the worker command


def worker_command() -> list[str]:
    script = Path(sys.executable).with_name("admission-flow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "admission_flow"]


@pytest.fixture
def worker_env(smtp_server: SmtpServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMISSION_FLOW_")}
    return env | {
        "ADMISSION_FLOW_SMTP_HOST": smtp_server.host,
        "ADMISSION_FLOW_SMTP_PORT": str(smtp_server.port),
        "ADMISSION_FLOW_SMTP_SENDER": SENDER,
        "ADMISSION_FLOW_CALENDAR_FILE": str(CALENDAR),
    }


@pytest.fixture
def worker_logs(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    with open(tmp_path / "worker.out", "w+b") as out, open(tmp_path / "worker.err", "w+b") as err:
        yield out, err


def test_the_worker_command_delivers_due_mails_and_stops_cleanly_on_sigterm(
    tmp_path: Path, smtp_server: SmtpServer, worker_env: dict[str, str], worker_logs: tuple[Any, Any]
) -> None:
    # The command runs on the system clock: the candidate's paper dates are set so that, right now, the
    # probation reminders (45 and 30 days before its end) and the earlier probationary reminders are due.
    now = datetime.now(UTC)
    start = (now - timedelta(days=515)).date()
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    clock = ManualClock(datetime.combine(start, time(2, 0), UTC))
    flow = smtp_server.flow(url, clock)
    try:
        probationer(flow, start)
        clock.set(now)
        due = [r for r in flow.upcoming_reminders(timedelta(0), include_due=True) if r.template is not None]
        assert {(r.deadline, r.action) for r in due} >= {
            ("probation_end", "remind (45 days before)"),
            ("probation_end", "remind (30 days before)"),
        }
        assert not any(r.deadline == "probation_end" and r.kind == "due" for r in due)

        out, err = worker_logs
        command = [*worker_command(), "--database-url", url, "--workflows-dir", str(WORKFLOWS), "worker"]
        worker = subprocess.Popen([*command, "--interval", "0.2"], cwd=ROOT, env=worker_env, stdout=out, stderr=err)
        try:
            delivered = smtp_server.wait_until(lambda got: len(got) >= len(due))
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(WAIT_SECONDS)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(WAIT_SECONDS)
        err.seek(0)
        stderr = err.read().decode()
        assert delivered, f"the worker delivered {len(smtp_server.received)} of {len(due)} mails:\n{stderr}"
        assert code == 0, stderr
        assert "stopped cleanly" in stderr

        rows = outbox_rows(flow)
        assert {r.status for r in rows} == {"sent"}
        assert len(rows) == len(due)
        copies = Counter(m.message_id for m in smtp_server.received)
        assert copies == Counter(r.message_id for r in rows), "each due mail arrived exactly once"
        received_by = sorted(sorted(m.envelope_to) for m in smtp_server.received)
        assert received_by == sorted(sorted(p["email"] for p in r.recipients) for r in due)
    finally:
        flow.close()
