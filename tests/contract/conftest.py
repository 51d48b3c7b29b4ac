"""Fixtures of the contract tests: ``live_api``, the real server over the ``flow`` fixture's database (SQLite, and
PostgreSQL when ``ADMISSION_FLOW_TEST_POSTGRES_URL`` is set) with a token holding every person's role on ``ks``.

What the contract tests ran is printed in pytest's terminal summary (``contract_runs``), so a plain ``pytest`` run
shows the numbers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_api import ROLES, LiveApi, ServerThread, seed

from admission_flow.flow import AdmissionFlow

RUNS = pytest.StashKey[list[str]]()


@pytest.fixture
def live_api(flow: AdmissionFlow, database_url: str) -> Iterator[LiveApi]:
    known = seed(flow)
    _, secret = flow.create_token(name="contract", org_id="ks", roles=list(ROLES))
    server = ServerThread(flow)
    server.start()
    try:
        database = "sqlite" if database_url.startswith("sqlite") else "postgresql"
        yield LiveApi(f"http://127.0.0.1:{server.port}", secret, flow, database, known)
    finally:
        server.stop()


@pytest.fixture
def contract_runs(request: pytest.FixtureRequest) -> list[str]:
    """Lines for the terminal summary: what each contract run covered."""
    return request.config.stash.setdefault(RUNS, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(RUNS, [])
    if lines:
        terminalreporter.section("contract: schemathesis over /openapi.json")
        for line in lines:
            terminalreporter.write_line(line)
