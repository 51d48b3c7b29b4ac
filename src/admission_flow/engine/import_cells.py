"""The cells of an import row: a row's person fields read through the mapping (value maps, yes/no words, dates
in the mapping's formats), validated by ``NewCandidate`` and ``domain/identity.py``; the dates of its history
steps. Every problem is a ``Rejection`` naming the row and the file's column. No I/O, no workflow."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from admission_flow.domain.identity import card_number_problems, personal_id_problems
from admission_flow.domain.import_mapping import BOOLEAN_FIELDS, NO, YES, HistoryStep, ImportMapping, Rejection
from admission_flow.domain.inputs import NewCandidate
from admission_flow.domain.stored import OrgNode
from admission_flow.domain.values import OrgFacts
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.engine.timing import TimeRules

Cell = str | int | float | date | datetime | None
PERSON_FIELDS = frozenset(NewCandidate.model_fields)
IDENTIFIERS = ("personal_id", "party_card_no", "old_card_no")


@dataclass(frozen=True, slots=True)
class OrgPlace:
    """An organisation as the checker needs it: the node, its parent's kind, its ancestry (nearest first)."""

    node: OrgNode
    parent_kind: str | None
    ancestry: tuple[OrgFacts, ...]


@dataclass(frozen=True, slots=True)
class RowContext:
    """What every row of one file shares."""

    mapping: ImportMapping
    index: Mapping[str, int]  # header → position in the row
    workflow_on: Callable[[date], tuple[CompiledWorkflow, bool]]  # (the workflow, whether it was in force then)
    orgs: Mapping[str, OrgPlace]
    rules: TimeRules
    now: datetime
    today: date
    file_name: str


def rejection(row: int, column: str, code: str, en: str, vi: str) -> Rejection:
    return Rejection(row, column, code, en, vi)


def cell_value(ctx: RowContext, cells: Sequence[Cell], header: str) -> Cell:
    i = ctx.index[header]
    value = cells[i] if i < len(cells) else None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def parse_date(value: Cell, formats: Sequence[str]) -> date | None:
    """A cell as a date: a spreadsheet date as is, text by the first format that reads it; None if none does."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in formats:
        fast = _FAST_FORMATS.get(fmt)
        if fast is not None:
            found = fast.fullmatch(text)
            if found is None:
                continue
            try:
                return date(int(found["Y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                continue
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# Day, month and year in any order with one separator: read by a regular expression (strptime costs ~10x more).
_FAST_FORMATS = {
    f: re.compile(f.replace("%d", r"(?P<d>\d{1,2})").replace("%m", r"(?P<m>\d{1,2})").replace("%Y", r"(?P<Y>\d{4})"))
    for f in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d")
}


def person_values(ctx: RowContext, number: int, cells: Sequence[Cell], out: list[Rejection]) -> dict[str, Any]:
    m = ctx.mapping
    values: dict[str, Any] = {}
    for name in (*m.defaults, *m.columns):
        raw = cell_value(ctx, cells, m.columns[name]) if name in m.columns else None
        if raw is None:
            if name in m.defaults:
                values[name] = m.defaults[name]
            continue
        column = m.columns[name]
        table = m.values.get(name)
        if table is not None and str(raw).strip().casefold() in table:
            values[name] = table[str(raw).strip().casefold()]
        elif name == "birth_date":
            found = parse_date(raw, m.date_formats)
            if found is None:
                out.append(bad_date(number, column, raw, m.date_formats))
            values[name] = found
        elif name in BOOLEAN_FIELDS:
            word = str(raw).strip().casefold()
            if word not in YES | NO:
                out.append(
                    rejection(number, column, "bad_value", f"{raw!r} is not yes or no", f"{raw!r} không phải có/không")
                )
            values[name] = word in YES
        elif isinstance(raw, float) and raw.is_integer():
            values[name] = str(int(raw))  # a number typed into a spreadsheet (an identifier, a code)
        else:
            values[name] = str(raw) if not isinstance(raw, str) else raw
    return values


def bad_date(number: int, column: str, raw: Cell, formats: Sequence[str]) -> Rejection:
    shown = ", ".join(formats)
    return rejection(
        number, column, "bad_date", f"{raw!r} is not a date ({shown})", f"{raw!r} không phải ngày ({shown})"
    )


def step_dates(
    ctx: RowContext, number: int, cells: Sequence[Cell], out: list[Rejection]
) -> list[tuple[HistoryStep, date]]:
    found = []
    for step in ctx.mapping.history:
        raw = cell_value(ctx, cells, step.column)
        if raw is None:
            continue
        on = parse_date(raw, ctx.mapping.date_formats)
        if on is None:
            out.append(bad_date(number, step.column, raw, ctx.mapping.date_formats))
        else:
            found.append((step, on))
    return found


def validated_person(ctx: RowContext, number: int, values: dict[str, Any], out: list[Rejection]) -> NewCandidate | None:
    columns = ctx.mapping.columns
    person = None
    try:
        person = NewCandidate.model_validate({k: v for k, v in values.items() if k in PERSON_FIELDS})
    except ValidationError as exc:
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else "id"
            if name in IDENTIFIERS:
                continue  # checked below with the identifier's own code and both languages
            out.append(
                rejection(
                    number,
                    columns.get(name, name),
                    "bad_value",
                    f"{name}: {e['msg']}",
                    f"{name}: giá trị không hợp lệ ({e['msg']})",
                )
            )
    for name in IDENTIFIERS:
        value = values.get(name)
        if value is None:
            continue
        if name == "personal_id":
            problems = personal_id_problems(str(value), birth_date=values.get("birth_date"), sex=values.get("sex"))
        else:
            problems = card_number_problems(str(value))
        out.extend(rejection(number, columns.get(name, name), p.code, p.en, p.vi) for p in problems)
    return person
