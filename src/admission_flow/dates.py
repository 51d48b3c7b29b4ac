"""Calendar arithmetic on paper dates (plain ``date``): completed months and month addition.

Conventions (documented in docs/workflow-language.md):

* ``completed_months(start, end)`` counts whole months from ``start`` to ``end``. A month is completed on the
  same day-of-month; when that day does not exist in the target month, on the month's last day.
  Someone born on 2008-03-15 has 216 completed months (18 years) on 2026-03-15 and 215 on 2026-03-14.
* ``add_months(d, n)`` keeps the day of month and clamps to the month's end (2024-02-29 + 12 → 2025-02-28).
"""

from __future__ import annotations

import calendar
from datetime import date


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
