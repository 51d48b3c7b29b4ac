"""Paper dates and lengths of time: ``Duration``, the built-in date names, completed months and month addition.

A building block: it imports nothing from the package. The workflow language (:mod:`admission_flow.workflow.spec`)
uses ``Duration`` in its models and re-exports it; guards and the working-day calendar take it from here.

Conventions (documented in docs/workflow-language.md):

* ``completed_months(start, end)`` counts whole months from ``start`` to ``end``. A month is completed on the
  same day-of-month; when that day does not exist in the target month, on the month's last day.
  Someone born on 2008-03-15 has 216 completed months (18 years) on 2026-03-15 and 215 on 2026-03-14.
* ``add_months(d, n)`` keeps the day of month and clamps to the month's end (2024-02-29 + 12 → 2025-02-28).
"""

from __future__ import annotations

import calendar
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

BUILTIN_DATES = ("occurred_on", "birth_date")
DURATION_UNITS = ("days", "weeks", "months", "working_days")


class Duration(BaseModel):
    """A length of time. Exactly one unit is given.

    ``months`` are calendar months (same day of month, clamped to the month's end); ``working_days`` skip
    Saturdays, Sundays, Vietnamese public holidays and configured days off (the start day is not counted).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    days: int | None = Field(default=None, ge=0)
    weeks: int | None = Field(default=None, ge=0)
    months: int | None = Field(default=None, ge=0)
    working_days: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_unit(self) -> Duration:
        given = [k for k in DURATION_UNITS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(DURATION_UNITS)}")
        return self

    @property
    def unit(self) -> str:
        return next(k for k in DURATION_UNITS if getattr(self, k) is not None)

    @property
    def amount(self) -> int:
        value: int = getattr(self, self.unit)
        return value

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.replace('_', ' ')}"


def add_months(start: date, months: int) -> date:
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(start.day, last))


def completed_months(start: date, end: date) -> int:
    """Whole months elapsed from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    if end < start:
        return -completed_months(end, start)
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    return months
