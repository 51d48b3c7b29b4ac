"""The webhook commands through the real entry point: add (the secret once), list, remove, and ``deliver``
POSTing a signed call to a receiver in this process while SMTP points at a port nothing listens on."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from clitools import Run, as_json

from admission_flow.flow import AdmissionFlow
from admission_flow.services.webhooks import enqueue_event, verify
from admission_flow.settings import Settings

ADMIT, HELPER = "admit_to_sympathizer_list", "assign_helper"


@dataclass
class Received:
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[tuple[str, Received]]:
    """An HTTP server on 127.0.0.1 that keeps every POST and answers 204."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.requests.append((self.path, dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def seeded(cli: Run) -> Run:
    cli("db", "upgrade")
    cli("org", "add", "ks", "--name", "Huyện ủy Kế Sách", "--kind", "superior_committee")
    cli("org", "add", "ks.anmy", "--name", "Đảng ủy xã An Mỹ", "--kind", "grassroots_committee", "--parent", "ks")
    cli("org", "add", "ks.anmy.ap1", "--name", "Chi bộ ấp An Phú", "--kind", "cell", "--parent", "ks.anmy")
    cli("org", "add", "ks.thpt", "--name", "Đảng ủy Trường THPT", "--kind", "grassroots_committee", "--parent", "ks")
    cli("candidate", "add", "nva", "--name", "Nguyễn Văn An", "--org", "ks.anmy.ap1", "--birth-date", "17/05/2000")
    return cli


def webhook_calls(cli: Run) -> list[dict[str, object]]:
    return [m for m in as_json(cli("outbox", "list", "--json")) if m["channel"] == "webhook"]


def fire_admission(cli: Run, workdir: Path) -> None:
    """Fire through the CLI; if the fire path does not queue webhook calls itself yet, queue them as it will."""
    cli("fire", "nva", ADMIT, "--role", "cell", "--on", "2026-01-05")
    if webhook_calls(cli):
        return
    settings = Settings(database_url=f"sqlite:///{workdir / 'cli.db'}", workflows_dir=workdir / "workflows")
    with AdmissionFlow(settings) as flow:
        record = flow.candidate("nva")
        with flow._deps.db.transaction() as uow:
            payload = {"candidate_id": "nva", "trigger": ADMIT}
            enqueue_event(
                uow,
                instance_id=record.instance_id,
                org_id=record.org_id,
                trigger=ADMIT,
                payload=payload,
                now=flow.clock.now(),
            )


def test_a_subscription_added_on_the_command_line_receives_a_signed_call_from_deliver(
    seeded: Run, workdir: Path, receiver: tuple[str, Received]
) -> None:
    base, received = receiver
    added = as_json(seeded("webhook", "add", "--org", "ks.anmy", "--url", f"{base}/anmy", "--events", ADMIT, "--json"))
    assert (added["id"], added["org_id"], added["event_types"], added["active"]) == (1, "ks.anmy", [ADMIT], True)
    secret = added["secret"]
    seeded("webhook", "add", "--org", "ks.thpt", "--url", f"{base}/thpt")

    fire_admission(seeded, workdir)
    done = seeded("deliver", "--json")
    assert as_json(done) == {"sent": 1, "retried": 0, "dead": 0, "errors": [], "remaining": 0}

    ((path, headers, body),) = received.requests
    assert path == "/anmy"
    assert verify(secret, headers["Webhook-Signature"], headers["Webhook-Timestamp"], body)
    (call,) = webhook_calls(seeded)
    assert call["status"] == "sent"
    assert json.loads(body)["id"] == headers["Webhook-Id"] == call["message_id"]

    table = seeded("outbox", "list").stdout
    assert f"{base}/anmy" in table and "(webhook: event)" in table


def test_the_secret_is_printed_once_when_added_and_never_listed(seeded: Run) -> None:
    done = seeded(
        "webhook", "add", "--org", "ks", "--url", "https://hooks.example.vn/in", "--events", f"{ADMIT}, {HELPER}"
    )
    assert f"webhook 1: https://hooks.example.vn/in ← {ADMIT}, {HELPER}" in done.stdout
    (secret,) = [line.removeprefix("secret: ") for line in done.stdout.splitlines() if line.startswith("secret: ")]
    assert len(secret) >= 40
    assert "not shown again" in done.stderr

    listed = seeded("webhook", "list", "--json")
    assert secret not in listed.stdout
    assert [(w["id"], w["org_id"], w["url"], w["event_types"], w["active"]) for w in as_json(listed)] == [
        (1, "ks", "https://hooks.example.vn/in", [ADMIT, HELPER], True)
    ]
    assert "https://hooks.example.vn/in" in seeded("webhook", "list").stdout


def test_removing_a_subscription_keeps_it_listed_as_removed(seeded: Run) -> None:
    seeded("webhook", "add", "--org", "ks", "--url", "https://hooks.example.vn/in")

    assert "webhook 1 removed" in seeded("webhook", "remove", "1").stdout
    assert [w["active"] for w in as_json(seeded("webhook", "list", "--json"))] == [False]
    assert "removed" in seeded("webhook", "list").stdout
    seeded("webhook", "remove", "1")  # removing again changes nothing

    missing = as_json(seeded("webhook", "remove", "7", "--json", expect=3))
    assert missing == {"error": "not_found", "message": "webhook 7 not found"}


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        (("--org", "nowhere", "--url", "https://hooks.example.vn/"), 3, "not_found"),
        (("--org", "ks", "--url", "ftp://hooks.example.vn/"), 2, "invalid_input"),
        (("--org", "ks", "--url", "https://hooks.example.vn/", "--events", "admit"), 2, "invalid_input"),
        (("--org", "ks", "--url", "https://hooks.example.vn/", "--events", " , "), 2, "invalid_input"),
    ],
)
def test_adding_a_bad_subscription_fails_with_the_contracts_exit_code(
    seeded: Run, args: tuple[str, ...], code: int, error: str
) -> None:
    done = seeded("webhook", "add", *args, "--json", expect=code)
    assert as_json(done)["error"] == error
    assert as_json(seeded("webhook", "list", "--json")) == []
