"""Hand-over to the national party-member database: the export of a subtree's newly admitted and newly
recognised members, and the reconciliation of the member database's list against ours.

The rows are read in SQL (``store/handover.py``), one query for the export and one per 500 personal ids for a
reconciliation; the comparison itself is pure (``domain/handover.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from admission_flow import tabular
from admission_flow.domain.handover import (
    COLUMNS,
    HandoverExport,
    HandoverRow,
    ReconcileReport,
    TheirRow,
    handover_row,
    read_personal_id,
    reconcile,
)
from admission_flow.errors import InvalidInput
from admission_flow.services.deps import Deps
from admission_flow.services.scope import require_org


def _latest(rows: list[HandoverRow], attempts: list[int]) -> list[HandoverRow]:
    """One row per person: their latest attempt in the period (a re-admission is a later attempt)."""
    found: dict[str, tuple[int, HandoverRow]] = {}
    for row, attempt in zip(rows, attempts, strict=True):
        if row.candidate_id not in found or attempt > found[row.candidate_id][0]:
            found[row.candidate_id] = (attempt, row)
    return [row for _, row in found.values()]


def export(
    deps: Deps, org_id: str | None, starts: date | None, ends: date | None, within: str | None = None
) -> HandoverExport:
    """People of the subtree admitted or recognised between ``starts`` and ``ends`` (inclusive)."""
    with deps.db.transaction(readonly=True) as uow:
        if org_id is not None:
            require_org(uow, org_id, within)
        raw = uow.handover.changes(org_id, within, starts, ends)
    rows = _latest([handover_row(r, starts, ends) for r in raw], [r["attempt"] for r in raw])
    return HandoverExport(
        org_id=org_id or within or "",
        starts_on=starts,
        ends_on=ends,
        rows=[r for r in rows if r.personal_id is not None],
        without_personal_id=[r for r in rows if r.personal_id is None],
    )


def read_theirs(
    content: bytes, fmt: str, name: str, mapping: Mapping[str, str] | None
) -> tuple[list[str], list[TheirRow]]:
    """Their file's rows under our field names. ``mapping``: our field → their column header; without it, the
    columns named as in our export are used as they are."""
    header, rows = tabular.read(content, fmt, name)
    wanted = dict(mapping) if mapping else {c: c for c in COLUMNS if c in header}
    unknown = sorted(set(wanted) - set(COLUMNS))
    if unknown:
        raise InvalidInput(f"mapping: unknown field(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
    absent = sorted(column for column in wanted.values() if column not in header)
    if absent:
        raise InvalidInput(f"{name}:1: no column {', '.join(map(repr, absent))} in the header")
    if "personal_id" not in wanted:
        raise InvalidInput(f"{name}:1: no personal_id column (map one with --mapping personal_id=COLUMN)")
    mapped = [TheirRow(r.number, {ours: r.cells.get(col) for ours, col in wanted.items()}) for r in rows]
    return list(wanted), mapped


def reconcile_file(
    deps: Deps,
    content: bytes,
    fmt: str,
    name: str,
    *,
    mapping: Mapping[str, str] | None = None,
    org_id: str | None = None,
    starts: date | None = None,
    ends: date | None = None,
    within: str | None = None,
) -> ReconcileReport:
    """Their list against ours: everyone they list is looked up by personal id (in scope); everyone we handed
    over for the period (``export``) must be in their list."""
    columns, theirs = read_theirs(content, fmt, name, mapping)
    here = export(deps, org_id, starts, ends, within)
    ids = sorted({read_personal_id(r.values.get("personal_id")) for r in theirs} - {""})
    with deps.db.transaction(readonly=True) as uow:
        raw = uow.handover.by_personal_ids(ids, within)
    ours = {r["personal_id"]: handover_row(r, None, None) for r in raw}
    return reconcile(theirs, columns, ours, here.rows)
