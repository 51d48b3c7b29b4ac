"""Helpers of the REST API tests: the served API and its clients, candidates in a given state, problem checks.

Named ``apitools`` (not ``helpers``) because every test folder is on ``sys.path`` under pytest's default import
mode, and ``tests/integration/helpers.py`` already has that module name.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from admission_flow.domain.records import CandidateRecord, TokenRecord
from admission_flow.flow import AdmissionFlow
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import drive

WAIT_SECONDS = 60  # an upper bound on a wait (the server's start and stop, one request); never a timed assert
WORKFLOW = "standard@2021"  # the tests are written against the 2021 rules, never the moving default
PROBLEM = "application/problem+json"
V1 = "/api/v1"
# drive() from here completes the dossier on 2025-12-19, so a branch vote on the clock's day (2026-01-05) finds
# every paper fresh; the admission decision is then due 60 working days after the vote.
DOSSIER_START = date(2025, 9, 2)
TODAY = date(2026, 1, 5)  # the ManualClock of tests/conftest.py starts on 2026-01-05 02:00 UTC (09:00 in Vietnam)
ADMISSION_DUE = date(2026, 1, 21)  # see at_admission_decision
PERSON: dict[str, Any] = {"full_name": "Nguyễn Văn An", "birth_date": "1995-05-15", "education": "university"}

# Every route of the app, as GET /openapi.json lists it; test_ops.py checks the two agree, so a route added
# later fails the suite until it is listed here (and covered by a test).
ENDPOINTS = frozenset(
    {
        ("POST", "/api/v1/candidates"),
        ("GET", "/api/v1/candidates"),
        ("GET", "/api/v1/candidates/{candidate_id}"),
        ("PATCH", "/api/v1/candidates/{candidate_id}"),
        ("POST", "/api/v1/candidates/{candidate_id}/events"),
        ("GET", "/api/v1/candidates/{candidate_id}/events"),
        ("GET", "/api/v1/candidates/{candidate_id}/options"),
        ("POST", "/api/v1/candidates/{candidate_id}/options"),
        ("GET", "/api/v1/candidates/{candidate_id}/documents"),
        ("GET", "/api/v1/candidates/{candidate_id}/deadlines"),
        ("GET", "/api/v1/candidates/{candidate_id}/competent"),
        ("GET", "/api/v1/candidates/{candidate_id}/check-ahead"),  # issue 12: tests/api/test_rules_api.py
        ("GET", "/api/v1/candidates/{candidate_id}/membership"),  # issue 12: tests/api/test_rules_api.py
        ("GET", "/api/v1/workflows"),
        ("GET", "/api/v1/workflows/{workflow_id}/in-force"),
        ("GET", "/api/v1/workflows/{ref}"),
        ("POST", "/api/v1/workflows/validate"),
        ("GET", "/api/v1/orgs"),
        ("GET", "/api/v1/orgs/{org_id}"),
        ("GET", "/api/v1/orgs/{org_id}/subtree"),
        ("GET", "/api/v1/orgs/{org_id}/deadlines"),
        ("GET", "/api/v1/orgs/{org_id}/history"),
        ("GET", "/api/v1/outbox"),
        ("GET", "/api/v1/webhooks"),
        ("POST", "/api/v1/webhooks"),
        ("GET", "/api/v1/webhooks/{webhook_id}"),
        ("DELETE", "/api/v1/webhooks/{webhook_id}"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/api/v1/problems/{code}"),
        ("PUT", "/api/v1/targets"),
        ("GET", "/api/v1/targets"),
        ("DELETE", "/api/v1/targets/{org_id}/{kind}/{starts_on}"),
        ("GET", "/api/v1/targets/allocation"),
        ("POST", "/api/v1/classes"),
        ("GET", "/api/v1/classes"),
        ("GET", "/api/v1/people"),
        ("GET", "/api/v1/handover"),
        ("GET", "/api/v1/reports/{name}"),
    }
)


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a real uvicorn serving ``app`` in a background thread (port 0: the system
    picks a free one); stopped on exit."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not server.started:  # uvicorn sets .started once the socket listens, and offers nothing to wait on
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(WAIT_SECONDS)
        assert not thread.is_alive(), "uvicorn did not stop"


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Api:
    """The served API over ``flow``; makes tokens and clients that send them (closed by the fixture)."""

    flow: AdmissionFlow
    clock: ManualClock
    base_url: str
    _clients: list[httpx.Client] = field(default_factory=list)

    def token(
        self,
        org_id: str = "ks.anmy",
        roles: Sequence[str] = ("cell",),
        *,
        read_only: bool = False,
        expires_at: datetime | None = None,
    ) -> tuple[TokenRecord, str]:
        name = f"{org_id} {'/'.join(roles) or 'no role'}{' read-only' if read_only else ''}"
        return self.flow.create_token(
            name=name, org_id=org_id, roles=list(roles), read_only=read_only, expires_at=expires_at
        )

    def client(
        self, org_id: str = "ks.anmy", roles: Sequence[str] = ("cell",), *, read_only: bool = False
    ) -> httpx.Client:
        """A client with a new token of ``org_id``'s subtree holding ``roles``."""
        return self.client_with(self.token(org_id, roles, read_only=read_only)[1])

    def client_with(self, secret: str | None) -> httpx.Client:
        """A client sending ``secret`` as its bearer token (none if None)."""
        headers = {} if secret is None else {"Authorization": f"Bearer {secret}"}
        made = httpx.Client(base_url=self.base_url, headers=headers, timeout=WAIT_SECONDS)
        self._clients.append(made)
        return made

    def close(self) -> None:
        for made in self._clients:
            made.close()


# ---------------------------------------------------------------- candidates


def enrol(flow: AdmissionFlow, cid: str, org_id: str = "ks.anmy.ap1", **fields: Any) -> CandidateRecord:
    """A candidate on the 2021 rules, registered through the facade (not the API)."""
    values = {**PERSON, "birth_date": date.fromisoformat(PERSON["birth_date"]), **fields}
    return flow.add_candidate(id=cid, org_id=org_id, workflow=WORKFLOW, **values)


def at_branch_vote(flow: AdmissionFlow, cid: str, org_id: str = "ks.anmy.ap1") -> CandidateRecord:
    """A candidate whose dossier is complete: the next step is the cell's vote (``branch_vote_passed``)."""
    enrol(flow, cid, org_id)
    record = drive(flow, cid, DOSSIER_START, until="awaiting_branch_vote")
    assert record.state == "awaiting_branch_vote"
    return record


def at_admission_decision(flow: AdmissionFlow, cid: str, org_id: str = "ks.anmy.ap1") -> CandidateRecord:
    """A candidate on the 2025 rules waiting for the competent committee (``ks``) to decide admission: that
    deadline is due on ``ADMISSION_DUE``, reminded 5 working days before (both after the clock's start)."""
    values = {**PERSON, "birth_date": date.fromisoformat(PERSON["birth_date"])}
    flow.add_candidate(id=cid, org_id=org_id, workflow="standard@2025", **values)
    record = drive(flow, cid, date(2025, 7, 2), until="awaiting_admission_decision")
    assert record.state == "awaiting_admission_decision"
    return record


def branch_vote(in_favour: int, eligible: int, *, on: date = TODAY, **extra: Any) -> dict[str, Any]:
    """The body of the cell's vote, with its resolution (form 6-KNĐ)."""
    paper = {"kind": "branch_resolution", "issued_on": on.isoformat(), "reference": "05-NQ/CB"}
    votes = {"in_favour": in_favour, "eligible": eligible, "against": eligible - in_favour}
    return {"trigger": "branch_vote_passed", "on": on.isoformat(), "votes": votes, "documents": [paper], **extra}


# ---------------------------------------------------------------- answers


def problem_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The problem body of ``response``, after checking it is RFC 9457 problem+json with ``status`` and
    ``code`` (its ``type`` is the problem page of ``code``)."""
    __tracebackhide__ = True
    assert response.status_code == status, f"{response.status_code} != {status}: {response.text[:2000]}"
    assert response.headers["content-type"] == PROBLEM, response.headers
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert (body["type"], body["status"], body["code"]) == (f"{V1}/problems/{code}", status, code), body
    assert isinstance(body["title"], str) and body["title"] and isinstance(body["detail"], str), body
    return body


def is_problem(response: httpx.Response) -> bool:
    """Whether ``response`` is a well-formed 4xx problem (for the sweeps over bad input)."""
    if not 400 <= response.status_code < 500 or response.headers.get("content-type") != PROBLEM:
        return False
    body = response.json()
    return (
        {"type", "title", "status", "detail"} <= body.keys()
        and body["status"] == response.status_code
        and str(body["type"]).startswith(f"{V1}/problems/")
    )


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of a Prometheus text exposition (None if absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        head, _, rest = sample.partition("{")
        found = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
        if head == name and found == wanted:
            return float(value)
    return None
