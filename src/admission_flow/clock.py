"""Time is injected: nothing else in the package calls ``datetime.now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from admission_flow.errors import InvalidInput


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def ensure_utc(instant: datetime, what: str = "instant") -> datetime:
    """An instant given by a caller, in UTC; a naive one is the caller's mistake (``InvalidInput``)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput(f"{what}: naive datetime {instant.isoformat()}: give a timezone-aware instant")
    return instant.astimezone(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, dry runs, embedders' simulations)."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = ensure_utc(instant)

    def advance(self, delta: timedelta) -> datetime:
        self._now = self._now + delta
        return self._now
