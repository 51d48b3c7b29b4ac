"""Fixtures shared by every test layer.

``database_url`` runs a test on SQLite (a temporary file, WAL) and on PostgreSQL. PostgreSQL needs
``ADMISSION_FLOW_TEST_POSTGRES_URL`` (CI sets it; see .ci/run); without it those cases are skipped with a
reason that ``-ra`` prints in the summary. Each PostgreSQL test gets a schema of its own, dropped afterwards,
so tests never see each other's rows, even from several processes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from admission_flow.flow import AdmissionFlow
from admission_flow.settings import Settings
from admission_flow.store.engine import normalise_url
from admission_flow.testing import ManualClock

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
TEST_WORKFLOWS = Path(__file__).resolve().parent / "workflows"
POSTGRES_URL = os.environ.get("ADMISSION_FLOW_TEST_POSTGRES_URL")
NO_POSTGRES = "ADMISSION_FLOW_TEST_POSTGRES_URL is not set: PostgreSQL case skipped (CI sets it)"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    return normalise_url(POSTGRES_URL)


def _with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, empty schema."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield _with_search_path(postgres_url, schema)
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'admission_flow.db'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))


def make_flow(database_url: str, clock: ManualClock, workflows_dir: Path = WORKFLOWS) -> AdmissionFlow:
    flow = AdmissionFlow(Settings(database_url=database_url, workflows_dir=workflows_dir), clock=clock)
    flow.upgrade_database()
    return flow


@pytest.fixture
def flow(database_url: str, clock: ManualClock) -> Iterator[AdmissionFlow]:
    """An AdmissionFlow on a migrated, empty database with the shipped workflows."""
    flow = make_flow(database_url, clock)
    yield flow
    # A free leak detector: no unit of work may still hold a connection when a test ends (the idle spare a
    # SQLite store keeps between units of work is not one: store/transaction.py).
    assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"
    flow.close()
