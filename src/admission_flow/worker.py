"""The worker: APScheduler (3.x) as a ticker over durable rows, nothing more.

One interval job calls ``flow.sweep()`` then ``flow.deliver()``. All state lives in the database, so a
restarted or second worker simply carries on; APScheduler keeps no jobs of its own (memory job store).
SIGTERM and SIGINT stop the ticker after the current tick finishes.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from admission_flow.errors import AdmissionFlowError

if TYPE_CHECKING:
    from admission_flow.flow import AdmissionFlow

log = logging.getLogger("admission_flow.worker")


def tick(flow: AdmissionFlow) -> None:
    """One round: sweep due timers, then deliver the outbox. Failures are logged and retried next tick."""
    try:
        swept = flow.sweep()
        delivered = flow.deliver()
    except AdmissionFlowError as exc:  # the rows stay due or pending: the next tick tries again
        log.error("tick failed: %s", exc)
        return
    if delivered.sent_nothing:
        log.warning("could send none of %d due message(s): %s", delivered.retried + delivered.dead, delivered.errors[0])
    if swept.left_due:
        log.warning("sweep stopped after %d rounds with %d timer(s) still due", swept.rounds, swept.left_due)
    if swept.claimed or delivered.sent or delivered.retried or delivered.dead:
        log.info(
            "swept %d timers (%d messages, %d events, %d refused); sent %d, retrying %d, dead %d",
            swept.claimed,
            swept.messages,
            swept.fired,
            swept.failed,
            delivered.sent,
            delivered.retried,
            delivered.dead,
        )


def start_ticker(flow: AdmissionFlow, interval: float) -> Callable[[], None]:
    """Tick every ``interval`` seconds in a background thread (no signal handlers: the host process, e.g. the
    API server, owns them); returns the function that stops it after the current tick."""
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(tick, "interval", seconds=interval, args=[flow], id="tick", next_run_time=flow.clock.now())
    scheduler.start()

    def stop() -> None:
        scheduler.shutdown(wait=True)

    return stop


def run_worker(
    flow: AdmissionFlow,
    interval: float,
    stop: threading.Event | None = None,
    on_start: Callable[[], None] | None = None,
) -> None:
    """Tick every ``interval`` seconds until SIGTERM/SIGINT (or ``stop`` is set); then shut down cleanly."""
    stop = stop or threading.Event()
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(tick, "interval", seconds=interval, args=[flow], id="tick", next_run_time=flow.clock.now())

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received signal %d: stopping after the current tick", signum)
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start()
        if on_start is not None:
            on_start()
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
