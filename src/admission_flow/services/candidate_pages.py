"""Candidates a page at a time: filters and the caller's subtree in SQL, keyset pagination behind an opaque cursor.

A cursor is the last row's sort value and id (base64url JSON, bound to the sort it was made for), so a page
costs the same at row 100,000 as at row 1 and rows added meanwhile are neither skipped nor repeated.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from admission_flow.domain.records import CandidateRecord
from admission_flow.errors import InvalidInput
from admission_flow.services.candidates import candidate_record
from admission_flow.services.deps import Deps
from admission_flow.services.scope import require_org

SORTS = ("id", "full_name", "updated_at")
MAX_LIMIT = 500


@dataclass(frozen=True)
class CandidatePage:
    items: list[CandidateRecord]
    next_cursor: str | None


def _encode(sort: str, value: Any, candidate_id: str) -> str:
    plain = value.isoformat() if isinstance(value, datetime) else value
    raw = json.dumps([sort, plain, candidate_id], ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[Any, str]:
    forged = InvalidInput("cursor: not a cursor this API gave out")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for, value, candidate_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise forged from None
    if not (isinstance(made_for, str) and isinstance(value, str) and isinstance(candidate_id, str)):
        raise forged
    if made_for != sort:
        raise InvalidInput(f"cursor: made for sort {made_for!r}, not {sort!r}")
    if "\x00" in value or "\x00" in candidate_id:
        raise forged
    if sort == "updated_at":
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            raise forged from None
        if instant.tzinfo is None:
            raise forged
        return instant, candidate_id
    return value, candidate_id


def page_candidates(
    deps: Deps,
    *,
    within: str | None = None,
    org_id: str | None = None,
    state: str | None = None,
    workflow: str | None = None,
    sort: str = "id",
    cursor: str | None = None,
    limit: int = 50,
) -> CandidatePage:
    """One page of candidates; ``sort`` is a field name, ``-field`` for descending."""
    descending = sort.startswith("-")
    field = sort.removeprefix("-")
    if field not in SORTS:
        raise InvalidInput(f"sort: one of {', '.join(SORTS)} (prefix - for descending), not {sort!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: from 1 to {MAX_LIMIT}")
    after = None if cursor is None else _decode(cursor, field)
    with deps.db.transaction(readonly=True) as uow:
        if org_id is not None:
            require_org(uow, org_id, within)
        rows = uow.queries.candidate_page(
            within=within,
            org_id=org_id,
            state=state,
            workflow_id=workflow,
            sort=field,
            descending=descending,
            after=after,
            limit=limit + 1,
        )
        found = uow.instances.latest([r[0] for r in rows[:limit]])
    next_cursor = _encode(field, rows[limit - 1][1], rows[limit - 1][0]) if len(rows) > limit else None
    return CandidatePage([candidate_record(i) for i in found], next_cursor)
