"""A live API for contract tests: a real uvicorn server on 127.0.0.1 (a free port) in a thread, over
``create_app(flow)``, and the data it is seeded with (the sample organisations, candidates at several points of
the standard happy path, a webhook subscription). ``conftest.live_api`` builds one per database."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date

import uvicorn

from admission_flow.api.app import create_app
from admission_flow.flow import AdmissionFlow
from admission_flow.samples import SAMPLE_ORGS
from admission_flow.testing.scenario import add_sample_orgs, drive

# Every role of the standard workflow a person may act in (not ``system``, not ``candidate``).
ROLES = (
    "cell",
    "partial_committee",
    "grassroots_committee",
    "competent_committee",
    "superior_committee",
    "provincial_standing_board",
    "organisation_department",
    "political_centre",
)
# (candidate id, cell, the state the happy path drives them to; None: to its end)
CANDIDATES = (
    ("ct-prospect", "ks.anmy.ap1", "prospect"),
    ("ct-sympathizer", "ks.anmy.ap2", "sympathizer"),
    ("ct-probationary", "ks.thpt.gv.toan", "probationary"),
    ("ct-member", "ks.ctyxk", None),
)
DRIVE_FROM = date(2023, 1, 9)
SERVER_START_TIMEOUT = 20.0


@dataclass
class LiveApi:
    base_url: str
    token: str
    flow: AdmissionFlow
    database: str  # "sqlite" or "postgresql"
    # Path and query parameter values that name something that exists, by parameter name.
    known: dict[str, list[str | int]] = field(default_factory=dict)


def seed(flow: AdmissionFlow) -> dict[str, list[str | int]]:
    """The sample tree, candidates on the standard workflow at several points of the happy path, one webhook."""
    add_sample_orgs(flow)
    for i, (candidate_id, cell, until) in enumerate(CANDIDATES):
        flow.add_candidate(
            id=candidate_id,
            full_name=f"Nguyễn Thị Hợp Đồng {i}",
            org_id=cell,
            birth_date=date(1995, 3, 1 + i),
            sex="female",
            education="upper_secondary",
            on=DRIVE_FROM,
        )
        drive(flow, candidate_id, DRIVE_FROM, until=until)
    hook, _ = flow.add_webhook("ks", "https://hooks.example.invalid/af", ("*",), within="ks")
    return {
        "candidate_id": [c[0] for c in CANDIDATES],
        "org_id": [o["id"] for o in SAMPLE_ORGS if o["id"] != "st"],
        "workflow_id": ["standard"],
        "workflow": ["standard"],
        "state": ["prospect", "sympathizer", "probationary", "full_member"],
        "role": list(ROLES),
        "ref": ["standard", "standard@2021", "standard@2025"],
        "webhook_id": [hook.id],
    }


class ServerThread:
    """uvicorn on an already bound socket, in a daemon thread; ``stop()`` lets it finish and joins it."""

    def __init__(self, flow: AdmissionFlow) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        config = uvicorn.Config(create_app(flow), log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(SERVER_START_TIMEOUT)
        self.sock.close()
        assert not self.thread.is_alive(), "the API server did not stop"
