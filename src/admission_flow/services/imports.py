"""Bulk import of candidates and their paper history from a spreadsheet, all or nothing per file.

1. Read the file and its SHA-256. The same bytes imported before as ``candidates`` change nothing.
2. Read once what every row is checked against: the identifiers already taken and the organisation tree.
3. Check every row in Python (``engine.import_rows.check_row``: the person, then the history through the
   workflow's own ``decide``), and each person against the database and the rows above it.
4. Any rejected row: nothing is written. Otherwise one transaction writes every row with ``executemany``
   (``Imports.write``) and the ``imports`` row that makes a second run a no-op.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

from admission_flow.domain.import_mapping import ImportMapping, ImportResult, Rejection
from admission_flow.domain.stored import OrgNode
from admission_flow.engine.catalog import is_release
from admission_flow.engine.context import ancestry_facts
from admission_flow.engine.import_rows import Accepted, OrgPlace, RowContext, check_mapping_against, check_row
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.errors import DuplicateKey, InvalidInput, NotFound
from admission_flow.services.deps import Deps
from admission_flow.services.import_files import column_index, read_sheet

KIND = "candidates"
Progress = Callable[[str, int, int], None]  # (phase, done, total)
_IDENTIFIERS = ("id", "personal_id", "party_card_no", "old_card_no")
_SAME_PERSON = {
    "id": ("candidate id", "mã hồ sơ"),
    "personal_id": ("personal identification number", "số định danh cá nhân"),
    "party_card_no": ("party card number", "số thẻ đảng viên"),
    "old_card_no": ("old card number", "số thẻ cũ"),
}


def import_candidates(
    deps: Deps, path: Path, mapping: ImportMapping, *, dry_run: bool = False, progress: Progress | None = None
) -> ImportResult:
    sheet = read_sheet(path, mapping.sheet)
    index = column_index(sheet.name, sheet.header, mapping.headers)
    with deps.db.transaction(readonly=True) as uow:
        before = uow.imports.imported(KIND, sheet.sha256)
        if before is not None:
            return ImportResult(sheet.name, sheet.sha256, len(sheet.rows), 0, (), False, dry_run, before)
        taken = uow.imports.taken_identifiers()
        places = org_places(uow.imports.org_nodes())
    ctx = RowContext(mapping, index, workflow_chooser(deps, mapping), places, deps.rules(), deps.clock.now(),
                     deps.today(), sheet.name)
    accepted: list[Accepted] = []
    rejected: list[Rejection] = []
    first_seen: dict[tuple[str, str], int] = {}
    total = len(sheet.rows)
    for done, (number, cells) in enumerate(sheet.rows, start=1):
        found = check_row(ctx, number, cells)
        if isinstance(found, list):
            rejected.extend(found)
        else:
            problems = _same_person(mapping, found, taken, first_seen)
            rejected.extend(problems)
            if not problems:
                accepted.append(found)
        if progress is not None and (done % 1000 == 0 or done == total):
            progress("check", done, total)
    result = _result(sheet.name, sheet.sha256, total, accepted, rejected, dry_run)
    if rejected or dry_run:
        return result
    record = {"kind": KIND, "sha256": sheet.sha256, "file_name": sheet.name[:500], "rows": total,
              "imported_at": ctx.now}
    if progress is not None:
        progress("write", 0, 1)
    try:
        with deps.db.transaction() as uow:
            uow.imports.write(
                [a.candidate for a in accepted],
                [a.instance for a in accepted],
                [a.events for a in accepted],
                [a.papers for a in accepted],
                [a.timers for a in accepted],
                record,
            )
    except DuplicateKey as exc:  # another import or enrolment took an identifier, or this file, meanwhile
        raise InvalidInput(f"{sheet.name}: written by someone else meanwhile ({exc}); nothing imported, run again")
    if progress is not None:
        progress("write", 1, 1)
    return result


def _result(
    name: str, sha256: str, total: int, accepted: list[Accepted], rejected: list[Rejection], dry_run: bool
) -> ImportResult:
    states = Counter(a.instance["state"] for a in accepted)
    wfs = Counter(f"{a.instance['workflow_id']}@{a.instance['workflow_version']}" for a in accepted)
    return ImportResult(
        name,
        sha256,
        total,
        len(accepted),
        tuple(rejected),
        written=not rejected and not dry_run,
        dry_run=dry_run,
        states=dict(states),
        workflows=dict(wfs),
        events=sum(len(a.events) for a in accepted),
        documents=sum(len(p) for a in accepted for p in a.papers),
        timers=sum(len(a.timers) for a in accepted),
    )


def _same_person(
    mapping: ImportMapping, row: Accepted, taken: dict[str, set[str]], first_seen: dict[tuple[str, str], int]
) -> list[Rejection]:
    """A person already in the database, or already in an earlier row of this file (same id or identifier)."""
    problems = []
    values = {"id": str(row.candidate["id"]), **row.identifiers}
    for name in _IDENTIFIERS:
        value = values.get(name)
        if value is None:
            continue
        column = mapping.columns.get(name, name)
        en_what, vi_what = _SAME_PERSON[name]
        if value in taken[name]:
            problems.append(Rejection(row.row, column, "already_in_database",
                                      f"a person with {en_what} {value} is already in the database",
                                      f"đã có người với {vi_what} {value} trong cơ sở dữ liệu"))
        earlier = first_seen.setdefault((name, value), row.row)
        if earlier != row.row:
            problems.append(Rejection(row.row, column, "duplicate_in_file",
                                      f"the same {en_what} {value} as row {earlier}",
                                      f"trùng {vi_what} {value} với dòng {earlier}"))
    return problems


def org_places(nodes: list[OrgNode]) -> dict[str, OrgPlace]:
    """Each organisation with its parent's kind and its ancestry (nearest first), from one read of the tree."""
    by_id = {n.id: n for n in nodes}
    places = {}
    for node in nodes:
        chain, seen, current = [], set(), node
        while current is not None and current.id not in seen:
            chain.append(current)
            seen.add(current.id)
            current = by_id.get(current.parent_id) if current.parent_id else None
        parent = by_id.get(node.parent_id) if node.parent_id else None
        places[node.id] = OrgPlace(node, None if parent is None else parent.kind, ancestry_facts(chain))
    return places


def workflow_chooser(deps: Deps, mapping: ImportMapping) -> Callable[[date], tuple[CompiledWorkflow, bool]]:
    """The release in force on a date, or (before every release) the earliest one, flagged as not in force then.
    Refuses a mapping whose history names a step or paper some release lacks."""
    catalog = deps.catalog
    releases = [wf for wf in catalog if wf.spec.id == mapping.workflow and is_release(wf.spec.version)]
    if not releases:
        raise NotFound("workflow", mapping.workflow)
    problems = [p for wf in releases for p in check_mapping_against(mapping, wf)]
    if problems:
        raise InvalidInput("mapping: " + "; ".join(problems))
    earliest = min(releases, key=lambda wf: wf.spec.in_force_from or date.min)
    cache: dict[date, tuple[CompiledWorkflow, bool]] = {}

    def on(day: date) -> tuple[CompiledWorkflow, bool]:
        found = cache.get(day)
        if found is None:
            try:
                found = (catalog.in_force(mapping.workflow, day), True)
            except NotFound:
                found = (earliest, False)
            cache[day] = found
        return found

    return on
