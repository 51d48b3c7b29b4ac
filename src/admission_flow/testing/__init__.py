"""Helpers for tests and simulations of code that embeds admission_flow.

``ManualClock`` is here; :mod:`admission_flow.testing.scenario` has a sample organisation tree and the standard
happy path (imported on demand, not by this module).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from admission_flow.clock import ensure_utc


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = ensure_utc(instant)

    def advance(self, delta: timedelta) -> datetime:
        self._now = self._now + delta
        return self._now
