"""What the built-in guard modules share: the reason for a date that has not been recorded yet."""

from __future__ import annotations

from admission_flow.domain.values import reason
from admission_flow.errors import Reason

__all__ = ["date_missing"]


def date_missing(guard: str, name: str) -> Reason:
    en, vi = f"The date '{name}' has not been recorded yet", f"Chưa ghi nhận ngày '{name}'"
    return reason("date_missing", guard, en=en, vi=vi, date=name)
