"""Hand-over to the national party-member database: who joined or became a full member in a period, keyed on the
personal identification number, and the reconciliation of the member database's list against ours.

Pure data and comparison; the store reads the rows and ``tabular.py`` reads and writes the files.

Dates come from the instance's recorded dates (``workflows/*.yaml`` ``records:``): the admission decision
(``decision_signed_on``), the ceremony (``ceremony_on``), the end of probation (``probation_end_on``, which is
the official full-membership date), the recognition decision (``recognition_decided_on``) and
``full_member_since``. A person is **admitted** in the period when the decision was signed in it, and
**recognised** when the recognition decision was signed in it and made them a full member.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from admission_flow.domain.identity import personal_id_problems
from admission_flow.domain.records import Record

DATE_FIELDS = (
    "decision_signed_on",
    "ceremony_on",
    "probation_end_on",
    "recognition_decided_on",
    "full_member_since",
)
# The export's columns, in order; a reconciliation file with these headers needs no mapping.
COLUMNS = (
    "personal_id",
    "full_name",
    "birth_date",
    "sex",
    "org_id",
    "org_name",
    "change",
    *DATE_FIELDS,
    "party_card_no",
    "candidate_id",
)
# What a reconciliation compares when the member database's file has the column.
COMPARED = ("full_name", "birth_date", *DATE_FIELDS, "party_card_no")


@dataclass(frozen=True)
class HandoverRow(Record):
    candidate_id: str
    personal_id: str | None
    full_name: str
    birth_date: date | None
    sex: str | None
    org_id: str
    org_name: str
    change: str  # admitted | recognised | admitted+recognised | member (a reconciliation's "here" without a period)
    decision_signed_on: date | None
    ceremony_on: date | None
    probation_end_on: date | None
    recognition_decided_on: date | None
    full_member_since: date | None
    party_card_no: str | None

    def cells(self) -> list[Any]:
        return [getattr(self, c) for c in COLUMNS]


def _day(value: Any) -> date | None:
    return None if value in (None, "") else date.fromisoformat(str(value)[:10])


def handover_row(raw: Mapping[str, Any], starts: date | None, ends: date | None) -> HandoverRow:
    """One person's row from the store's mapping (candidate columns, ``org_name`` and the ``dates`` JSON)."""
    dates = {name: _day((raw.get("dates") or {}).get(name)) for name in DATE_FIELDS}

    def within(day: date | None) -> bool:
        return day is not None and (starts is None or day >= starts) and (ends is None or day <= ends)

    changes = []
    if within(dates["decision_signed_on"]):
        changes.append("admitted")
    if dates["full_member_since"] is not None and within(dates["recognition_decided_on"]):
        changes.append("recognised")
    return HandoverRow(
        candidate_id=raw["candidate_id"],
        personal_id=raw.get("personal_id"),
        full_name=raw["full_name"],
        birth_date=raw.get("birth_date"),
        sex=raw.get("sex"),
        org_id=raw["org_id"],
        org_name=raw.get("org_name") or "",
        change="+".join(changes) or "member",
        party_card_no=raw.get("party_card_no"),
        **dates,
    )


@dataclass(frozen=True)
class HandoverExport(Record):
    """The rows to hand over (each with a personal id) and those held back because they have none."""

    org_id: str
    starts_on: date | None
    ends_on: date | None
    rows: list[HandoverRow]
    without_personal_id: list[HandoverRow]


# ---------------------------------------------------------------- reconciliation


@dataclass(frozen=True)
class Mismatch(Record):
    """One difference: ``kind`` is ``not_here`` (in their list, no such person here), ``missing`` (here, not in
    their list), ``different`` (a field differs: ``field``, ``ours``, ``theirs``) or ``invalid`` (their row's
    personal id or a date cannot be read, or the id appears twice)."""

    kind: str
    personal_id: str | None
    row: int | None = None  # the row of their file (header = 1)
    candidate_id: str | None = None
    full_name: str | None = None
    field: str | None = None
    ours: Any = None
    theirs: Any = None
    reason: str | None = None


KINDS = ("not_here", "missing", "different", "invalid")


@dataclass(frozen=True)
class ReconcileReport(Record):
    rows_read: int
    matched: int  # people in both lists with every compared field equal
    counts: dict[str, int]
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True)
class TheirRow:
    """A row of the member database's file, mapped onto our field names (values as read, not yet parsed)."""

    number: int
    values: dict[str, Any]


def parse_day(value: Any) -> date | None:
    """A date cell: a spreadsheet date, ISO ``2024-03-05`` or Vietnamese ``05/03/2024``; empty is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    parts = text.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    return date.fromisoformat(text[:10] if "T" in text else text)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return unicodedata.normalize("NFC", text) or None


def read_personal_id(value: Any) -> str:
    """A personal id cell as text (a number a spreadsheet stored as a number gets its leading zeros back)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{int(value):012d}"  # a spreadsheet that took the number for a number lost its leading zero
    return str(value or "").strip()


def _theirs(row: TheirRow, columns: Sequence[str]) -> tuple[dict[str, Any], list[Mismatch]]:
    """Their row parsed: names and card numbers as text, dates as dates; a date that cannot be read is invalid."""
    found: dict[str, Any] = {}
    bad: list[Mismatch] = []
    for name in columns:
        value = row.values.get(name)
        if name in COMPARED and name not in ("full_name", "party_card_no"):
            try:
                found[name] = parse_day(value)
            except (ValueError, TypeError):
                reason = f"{name}: not a date: {value!r} / không phải ngày hợp lệ"
                bad.append(
                    Mismatch("invalid", read_personal_id(row.values.get("personal_id")), row.number, reason=reason)
                )
        else:
            found[name] = _text(value)
    return found, bad


def reconcile(
    theirs: Iterable[TheirRow],
    columns: Sequence[str],
    ours_by_id: Mapping[str, HandoverRow],
    here: Sequence[HandoverRow],
) -> ReconcileReport:
    """Compare the member database's rows with ours. ``columns``: the fields their file has (mapped);
    ``ours_by_id``: our people with the personal ids they list; ``here``: who we handed over (for ``missing``)."""
    mismatches: list[Mismatch] = []
    seen: set[str] = set()
    rows_read = matched = 0
    compared = [c for c in COMPARED if c in columns]
    for row in theirs:
        rows_read += 1
        number = read_personal_id(row.values.get("personal_id"))
        problems = personal_id_problems(number)
        if problems or number in seen:
            reason = "; ".join(str(p) for p in problems) or "the personal id appears twice / số định danh trùng lặp"
            mismatches.append(Mismatch("invalid", number or None, row.number, reason=reason))
            continue
        seen.add(number)
        values, bad = _theirs(row, compared)
        if bad:
            mismatches += bad
            continue
        ours = ours_by_id.get(number)
        if ours is None:
            mismatches.append(Mismatch("not_here", number, row.number, full_name=values.get("full_name")))
            continue
        differences = [
            Mismatch("different", number, row.number, ours.candidate_id, ours.full_name, name, mine, values[name])
            for name in compared
            if (mine := _comparable(getattr(ours, name), name)) != values[name]
        ]
        mismatches += differences
        matched += not differences
    for person in here:
        if person.personal_id is not None and person.personal_id not in seen:
            mismatches.append(Mismatch("missing", person.personal_id, None, person.candidate_id, person.full_name))
    counts = {kind: sum(m.kind == kind for m in mismatches) for kind in KINDS}
    return ReconcileReport(rows_read, matched, counts, mismatches)


def _comparable(value: Any, name: str) -> Any:
    return _text(value) if name in ("full_name", "party_card_no") else value


__all__ = [
    "COLUMNS",
    "COMPARED",
    "DATE_FIELDS",
    "HandoverExport",
    "HandoverRow",
    "Mismatch",
    "ReconcileReport",
    "TheirRow",
    "handover_row",
    "parse_day",
    "read_personal_id",
    "reconcile",
]
