"""``admission-flow serve``: the API and the sweep/delivery ticker in one process (uvicorn), or in several.

The app is built by :func:`app_from_environment` (a uvicorn factory), so ``--workers N`` starts N processes
that each build their own ``AdmissionFlow`` from the settings (``ADMISSION_FLOW_*``; the CLI's overrides are
passed down as environment variables) and each run a ticker: on PostgreSQL the sweep's claims and the
delivery leases are safe for several processes. SQLite has one writer: it is served by one process.
SIGTERM or Ctrl-C: uvicorn stops accepting, finishes the requests in flight, then the ticker finishes its
tick and the database connections close.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from admission_flow.api.app import create_app
from admission_flow.errors import ConfigurationError
from admission_flow.flow import AdmissionFlow
from admission_flow.worker import start_ticker

TICK_ENV = "ADMISSION_FLOW_SERVE_TICK"  # seconds between ticks; 0: no ticker (run `admission-flow worker`)
log = logging.getLogger("admission_flow.api")


def build(flow: AdmissionFlow, tick: float) -> FastAPI:
    """The app over ``flow``, which it owns: the ticker starts with the app and stops, then ``flow`` closes,
    when the app shuts down."""
    flow.check_configuration()  # an invalid workflow or calendar stops the server now, not at the first request
    app = create_app(flow)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = start_ticker(flow, tick) if tick > 0 else None
        log.info("serving %s (ticker: %s)", flow.settings.database_url, f"every {tick:g}s" if stop else "off")
        try:
            yield
        finally:
            if stop is not None:
                stop()
            flow.close()

    app.router.lifespan_context = lifespan
    return app


def app_from_environment() -> FastAPI:
    """The uvicorn factory: settings from the config file and ``ADMISSION_FLOW_*``."""
    if not logging.getLogger().handlers:  # a worker process: log like the parent does
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for noisy in ("apscheduler", "transitions", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    flow = AdmissionFlow.from_settings()
    tick = float(os.environ.get(TICK_ENV, flow.settings.sweep_interval_seconds))
    return build(flow, tick)


def serve(*, host: str, port: int, workers: int, tick: float, database_url: str, log_level: str = "info") -> None:
    """Run until SIGTERM/SIGINT. ``tick`` 0 turns the ticker off."""
    check(workers, database_url)
    os.environ[TICK_ENV] = str(tick)
    folder = None
    if workers > 1:  # each process counts its own requests: prometheus-client sums them through files here
        folder = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="admission-flow-metrics-")
    try:
        _run(host, port, workers, log_level)
    except SystemExit as exc:  # uvicorn exits 3 when it cannot start (the port is taken...): said in its log
        if exc.code not in (0, None):
            raise ConfigurationError(f"the server could not start on {host}:{port} (see the message above)") from None
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def check(workers: int, database_url: str) -> None:
    """Refuse what cannot work before anything starts."""
    if workers > 1 and database_url.startswith("sqlite"):
        raise ConfigurationError("SQLite has a single writer: serve it with one worker (use PostgreSQL for more)")


def _run(host: str, port: int, workers: int, log_level: str) -> None:
    uvicorn.run(
        "admission_flow.api.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers if workers > 1 else None,
        log_level=log_level,
        timeout_graceful_shutdown=30,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
    )
