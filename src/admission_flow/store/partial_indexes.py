"""Partial indexes whose WHERE clause a query must repeat word for word for the planner to use them.

SQLite uses a partial index only when the query's WHERE holds the index's own terms, and PostgreSQL only when it
can prove the index's predicate from the query's; so the clause is written once here, in each database's own
spelling, and both the schema (``schema.py``, migration ``0010``) and the query (``events.py``) take it from here.
The open deadline rows' index (``timers``) is read the same way by ``web.py`` and ``reports.py``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from admission_flow.domain.helper import HELPER_KEYS
from admission_flow.domain.stored import DONE, FAILED, PENDING

# The events naming a helper (data ``helper`` or ``helper_email``, domain/helper.py): the sweep reads them for the
# reminders addressed to ``helper``. Few events do, so the index over them is small and the sweep's read of a
# batch's helpers touches those rows only, not every event of the batch's candidates.
NAMING_HELPER = {
    "postgresql": " OR ".join(f"(payload ->> '{key}') IS NOT NULL" for key in HELPER_KEYS),
    "sqlite": " OR ".join(f"json_extract(payload, '$.{key}') IS NOT NULL" for key in HELPER_KEYS),
}
NAMING_HELPER_INDEX = "ix_events_naming_helper"
NAMING_HELPER_WHERE: dict[str, Any] = {f"{dialect}_where": sa.text(text) for dialect, text in NAMING_HELPER.items()}
NAMING_HELPER_COLUMNS = ("instance_id", "seq")

# The statuses of a deadline row (rung 0) that is still its stay's deadline: not yet due, fired, or failed.
OPEN_STATUSES = (PENDING, DONE, FAILED)
OPEN_DEADLINE_ROW = sa.text(f"rung = 0 AND status IN ({', '.join(repr(s) for s in OPEN_STATUSES)})")


def open_deadline_row(rows: Any) -> Any:
    """An open deadline row of ``rows`` (``timers`` or an alias of it) in the very words of ``OPEN_DEADLINE_ROW``
    (constants, not bound parameters: SQLite uses a partial index only for a query that names them)."""
    return sa.and_(
        rows.c.rung == sa.literal_column("0"),
        rows.c.status.in_([sa.literal_column(f"'{s}'") for s in OPEN_STATUSES]),
    )
