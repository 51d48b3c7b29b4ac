"""Real SMTP servers in the test process (aiosmtpd), the flows that deliver to them, and worker-process targets.

``SmtpServer`` listens on 127.0.0.1 on a port the operating system picks and keeps every message it accepts,
parsed: Message-ID, To, Subject and body, decoded. Its ``Refusals`` can answer the first N ``RCPT`` or ``DATA``
commands (or all of them, or those for chosen addresses) with a temporary or permanent error, then accept.

The fixtures start a server before a test and stop it afterwards; test modules load them with
``pytest_plugins = ["smtp_servers"]`` (PYTEST_DONT_REWRITE: the modules also import names from here first, and
pytest would otherwise warn that it cannot rewrite this plugin's asserts). The process targets at the end live
here (not in a test module) so that ``multiprocessing`` in the ``spawn`` start method can import them by name.
"""

from __future__ import annotations

import email
import email.policy
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from admission_flow.flow import AdmissionFlow
from admission_flow.notify import OutgoingMail
from admission_flow.notify.smtp import SmtpNotifier
from admission_flow.settings import Settings
from admission_flow.testing import ManualClock

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"
CALENDAR = ROOT / "config" / "calendar-vn.toml"
SENDER = "noreply@admission.example.vn"
WAIT_SECONDS = 120  # upper bound on any wait for a server or another process; never a synchronisation sleep
TRY_LATER = "451 4.3.0 try later"
NO_SUCH_USER = "550 5.1.1 mailbox unavailable"
ALWAYS = math.inf  # Refusals(first=ALWAYS): refuse every time


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the server accepted it: envelope and decoded headers and body."""

    envelope_from: str
    envelope_to: tuple[str, ...]
    message_id: str
    sender: str
    to: str
    subject: str
    body: str
    raw: bytes


def parse_mail(envelope_from: str, envelope_to: list[str], raw: bytes) -> ReceivedMail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    body = message.get_content() if not message.is_multipart() else ""
    return ReceivedMail(
        envelope_from=envelope_from,
        envelope_to=tuple(envelope_to),
        message_id=str(message["Message-ID"]),
        sender=str(message["From"]),
        to=str(message["To"]),
        subject=str(message["Subject"]),
        body=str(body),
        raw=raw,
    )


@dataclass
class Refusals:
    """Which commands the server refuses: the first ``first`` of ``command`` (``math.inf``: all), answered ``reply``.

    With ``addresses``, only RCPT commands for those addresses count (and are refused).
    """

    first: float = 0
    command: str = "DATA"
    reply: str = TRY_LATER
    addresses: frozenset[str] = frozenset()
    refused: list[str] = field(default_factory=list)  # what was refused: "RCPT <addr>" or "DATA"

    def applies(self, command: str, address: str | None = None) -> bool:
        if command != self.command or len(self.refused) >= self.first:
            return False
        return not self.addresses or address in self.addresses


class RecordingHandler:
    """aiosmtpd handler: refuses what ``refusals`` says, keeps everything else it accepts."""

    def __init__(self, refusals: Refusals | None = None) -> None:
        self.refusals = refusals or Refusals()
        self.received: list[ReceivedMail] = []
        self.changed = threading.Condition()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        with self.changed:
            if self.refusals.applies("RCPT", address):
                self.refusals.refused.append(f"RCPT {address}")
                self.changed.notify_all()
                return self.refusals.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.changed:
            if self.refusals.applies("DATA"):
                self.refusals.refused.append("DATA")
                self.changed.notify_all()
                return self.refusals.reply
            raw = envelope.original_content or envelope.content
            assert isinstance(raw, bytes)
            self.received.append(parse_mail(str(envelope.mail_from), list(envelope.rcpt_tos), raw))
            self.changed.notify_all()
        return "250 OK"


class _AnyPortController(Controller):
    """A Controller on port 0: the operating system picks a free port, read back once the server listens."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """A running SMTP server on 127.0.0.1 and what it received."""

    host = "127.0.0.1"

    def __init__(self, refusals: Refusals | None = None) -> None:
        self.handler = RecordingHandler(refusals)
        self._controller = _AnyPortController(
            self.handler, hostname=self.host, port=0, server_hostname="smtp.test", ready_timeout=WAIT_SECONDS
        )

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def refusals(self) -> Refusals:
        return self.handler.refusals

    @property
    def received(self) -> list[ReceivedMail]:
        with self.handler.changed:
            return list(self.handler.received)

    def accept_everything(self) -> None:
        """From now on, refuse nothing."""
        with self.handler.changed:
            self.handler.refusals.first = len(self.handler.refusals.refused)

    def received_for(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.received if address in m.envelope_to]

    def by_message_id(self) -> dict[str, list[ReceivedMail]]:
        found: dict[str, list[ReceivedMail]] = {}
        for mail in self.received:
            found.setdefault(mail.message_id, []).append(mail)
        return found

    def wait_until(self, condition: Callable[[list[ReceivedMail]], bool], timeout: float = WAIT_SECONDS) -> bool:
        """Wait (bounded) until ``condition(received)`` holds; the answer, not a timeout error."""
        with self.handler.changed:
            return self.handler.changed.wait_for(lambda: condition(list(self.handler.received)), timeout)

    def settings(self, database_url: str, **overrides: Any) -> Settings:
        """Settings that deliver to this server (no injected notifier: the real SmtpNotifier is used)."""
        values: dict[str, Any] = {
            "database_url": database_url,
            "workflows_dir": WORKFLOWS,
            "calendar_file": CALENDAR,
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_sender": SENDER,
            "smtp_timeout_seconds": 10.0,
        }
        return Settings(**(values | overrides))

    def flow(self, database_url: str, clock: ManualClock, **overrides: Any) -> AdmissionFlow:
        """A migrated AdmissionFlow on ``database_url`` that delivers here through the real SmtpNotifier."""
        flow = AdmissionFlow(self.settings(database_url, **overrides), clock=clock)
        flow.upgrade_database()
        return flow

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


# -------------------------------------------------------------------- fixtures


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server that accepts every message."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def refusing_smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server that answers the first DATA command "451 4.3.0 try later", then accepts."""
    with SmtpServer(Refusals(first=1, command="DATA", reply=TRY_LATER)) as server:
        yield server


@pytest.fixture
def smtp_servers() -> Iterator[Callable[[Refusals], SmtpServer]]:
    """Start servers with any ``Refusals``; every one is stopped when the test ends."""
    started: list[SmtpServer] = []

    def start(refusals: Refusals) -> SmtpServer:
        server = SmtpServer(refusals).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# -------------------------------------------------------------------- worker processes


class SendThenHang:
    """A notifier that sends its first message through SMTP and then hangs inside ``send`` (until killed).

    It models a worker that crashes after the server accepted a message and before the outbox recorded it.
    """

    def __init__(self, smtp: SmtpNotifier, hanging: Any, release: Any) -> None:
        self.smtp, self.hanging, self.release = smtp, hanging, release

    def send(self, mail: OutgoingMail) -> None:
        self.smtp.send(mail)
        self.hanging.set()
        self.release.wait(WAIT_SECONDS)  # never set: the test kills the process while it waits here


def deliver_then_hang(settings: Settings, instant: datetime, hanging: Any, release: Any) -> None:
    """Process target: claim the due outbox rows at ``instant`` and hang after the first message went out."""
    smtp = SmtpNotifier(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds)
    with AdmissionFlow(settings, clock=ManualClock(instant), notifier=SendThenHang(smtp, hanging, release)) as flow:
        flow.deliver()


def sweep_after_barrier(url: str, instant: datetime, start_line: Any, results: Any) -> None:
    """Process target: build a flow at ``instant``, warm it up, wait for the other sweeper, sweep, report."""
    import os

    settings = Settings(database_url=url, workflows_dir=WORKFLOWS, calendar_file=CALENDAR)
    with AdmissionFlow(settings, clock=ManualClock(instant)) as flow:
        flow.orgs()  # a pooled connection, opened before the start
        assert len(flow.catalog) > 0  # workflows compiled before the start
        start_line.wait(WAIT_SECONDS)
        try:
            report = flow.sweep()
        except Exception as exc:
            results.put((os.getpid(), {"error": f"{type(exc).__name__}: {exc}"}))
            return
        results.put((os.getpid(), dict(vars(report))))
