"""Fixtures of the REST API tests: the app over the ``flow`` fixture (SQLite and PostgreSQL), served by a real
uvicorn on 127.0.0.1 (port 0) in a background thread, and httpx clients holding API tokens.

``api`` is the server with the sample organisation tree loaded; ``api.client(org_id, roles)`` creates a token
there and returns a client that sends it. The helpers the test modules import live in ``apitools.py``.

Each test gets its own flow, database (a PostgreSQL schema of its own), clock and server. Only the compiled
workflows are shared: compiling the shipped folder takes about half a second, which every test would otherwise
pay again (see ``_compile_the_workflows_once``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apitools import Api, served

from admission_flow import bootstrap
from admission_flow.api import create_app
from admission_flow.engine.catalog import Catalog
from admission_flow.flow import AdmissionFlow
from admission_flow.guards import GuardRegistry
from admission_flow.notify.render import Renderer
from admission_flow.settings import Settings
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
_COMPILED: dict[Path, Catalog] = {}


@pytest.fixture(autouse=True)
def _compile_the_workflows_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every flow of these tests loads the same workflow folder with the built-in guards (none registers one):
    compile it on first use in the session and hand the same catalog to the later flows. A catalog is
    immutable once built, so sharing it changes nothing a test can see."""
    load = bootstrap.load_catalog

    def load_once(path: Path, guards: GuardRegistry, renderer: Renderer, **options: Any) -> Catalog:
        key = Path(path).resolve()
        if key not in _COMPILED:
            _COMPILED[key] = load(path, guards, renderer, **options)
        return _COMPILED[key]

    monkeypatch.setattr(bootstrap, "load_catalog", load_once)


def serve(flow: AdmissionFlow, clock: ManualClock) -> Iterator[Api]:
    add_sample_orgs(flow)
    with served(create_app(flow)) as base_url:
        found = Api(flow, clock, base_url)
        try:
            yield found
        finally:
            found.close()


@pytest.fixture
def api(flow: AdmissionFlow, clock: ManualClock) -> Iterator[Api]:
    """``create_app(flow)`` served over HTTP, with the sample organisation tree; clients closed afterwards."""
    yield from serve(flow, clock)


@pytest.fixture
def sqlite_api(tmp_path: Path, clock: ManualClock) -> Iterator[Api]:
    """The same on SQLite alone, for what never reaches the database but the token check (workflow uploads)."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", workflows_dir=WORKFLOWS)
    with AdmissionFlow(settings, clock=clock) as flow:
        flow.upgrade_database()
        yield from serve(flow, clock)
