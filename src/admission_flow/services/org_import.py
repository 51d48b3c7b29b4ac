"""Import and export of the organisation tree (CSV, YAML).

An import is one transaction, all or nothing: organisations the database does not have are created (parents
first), and for those it has, each difference is recorded as an audited change effective on the import's date
(rename, move, authority, update). Every problem of the file is reported at once, with its line (and column for
CSV), in Vietnamese and English. The same file twice changes nothing: the second time no row differs. The file's
SHA-256 is kept in ``imports`` (kind ``orgs``) so a report can say it was seen before.
"""

from __future__ import annotations

import hashlib
from datetime import date

from admission_flow.domain.inputs import NewOrg
from admission_flow.domain.org_history import (
    ROW_FIELDS,
    OrgImportReport,
    apply_change,
    check_effective,
    classify,
    is_dissolved,
    refuse_not_yet,
    row_values,
)
from admission_flow.domain.records import OrgRecord
from admission_flow.errors import (
    AlreadyExists,
    DuplicateKey,
    FileProblem,
    InvalidFile,
    InvalidInput,
    NotFound,
    OrgChangeRefused,
)
from admission_flow.ports import UnitOfWork
from admission_flow.services import org_changes, org_files
from admission_flow.services.deps import Deps
from admission_flow.services.org_changes import Stamp

KIND = "orgs"


def _format(format: str) -> str:
    if format not in org_files.FORMATS:
        raise InvalidInput(f"unknown format {format!r}: one of {', '.join(org_files.FORMATS)}")
    return format


def export_tree(deps: Deps, format: str, as_of: date | None, within: str | None) -> str:
    return org_files.write(org_changes.tree(deps, as_of, within), _format(format))


def _check_tree(
    uow: UnitOfWork, reading: org_files.Reading, existing: dict[str, OrgRecord], within: str | None
) -> None:
    """Problems that need the database: unknown or dissolved parents, dissolved organisations, cycles, scope."""
    rows = {row.values["id"]: row for row in reading.rows}
    parents = {org.id: org.parent_id for org in existing.values()} | {i: r.values["parent_id"] for i, r in rows.items()}
    allowed = set(uow.orgs.subtree(within)) if within is not None else None
    for org_id, row in rows.items():
        parent = row.values["parent_id"]
        if org_id in existing and is_dissolved(existing[org_id]):
            reading.add(
                row.at("id"),
                f"{org_id} was dissolved or merged: it cannot change",
                f"{org_id} đã giải thể hoặc hợp nhất",
            )
        if parent is not None and parent not in rows and parent not in existing:
            reading.add(
                row.at("parent_id"), f"parent: unknown organisation {parent!r}", f"parent: không có tổ chức {parent!r}"
            )
            continue
        if parent is not None and parent in existing and is_dissolved(existing[parent]):
            reading.add(row.at("parent_id"), f"parent: {parent} was dissolved", f"parent: {parent} đã giải thể")
        if _below_itself(org_id, parents):
            reading.add(
                row.at("parent_id"),
                f"parent: {org_id} would lie below itself (a cycle)",
                f"parent: {org_id} sẽ nằm dưới chính nó (vòng lặp)",
            )
        if allowed is not None and not _in_scope(org_id, parent, existing.get(org_id), parents, allowed):
            reading.add(
                row.at("id"),
                f"{org_id} is outside the organisations you may change",
                f"{org_id} nằm ngoài phạm vi được phép",
            )


def _below_itself(org_id: str, parents: dict[str, str | None]) -> bool:
    """Whether walking up from ``org_id`` in the tree the file would make comes back to it."""
    seen, probe = {org_id}, parents.get(org_id)
    while probe is not None and probe not in seen:
        seen.add(probe)
        probe = parents.get(probe)
    return probe == org_id


def _reaches(start: str | None, parents: dict[str, str | None], allowed: set[str]) -> bool:
    seen: set[str] = set()
    while start is not None and start not in seen:
        if start in allowed:
            return True
        seen.add(start)
        start = parents.get(start)
    return False


def _in_scope(
    org_id: str, parent: str | None, old: OrgRecord | None, parents: dict[str, str | None], allowed: set[str]
) -> bool:
    """A new organisation below the caller's subtree, or one of it left where it is or moved under one."""
    if old is None:
        return _reaches(parent, parents, allowed)
    return org_id in allowed and (parent == old.parent_id or _reaches(parent, parents, allowed))


def _creation_order(rows: list[org_files.FileRow], existing: dict[str, OrgRecord]) -> list[org_files.FileRow]:
    new = {row.values["id"]: row for row in rows if row.values["id"] not in existing}
    ordered: list[org_files.FileRow] = []
    placed: set[str] = set()

    def place(org_id: str) -> None:
        if org_id in placed:
            return
        placed.add(org_id)
        parent = new[org_id].values["parent_id"]
        if parent in new:
            place(parent)
        ordered.append(new[org_id])

    for org_id in new:
        place(org_id)
    return ordered


def _create_all(
    uow: UnitOfWork,
    at: Stamp,
    rows: list[org_files.FileRow],
    existing: dict[str, OrgRecord],
    failures: list[FileProblem],
    file_name: str,
) -> list[str]:
    """Create the file's new organisations (parents first) in bulk: their rows, open periods and ``create``
    audit rows, as ``org_changes.create_in`` writes them one at a time, in three multi-row statements.
    ``_check_tree`` has found every parent (in the file or the database, not dissolved, in scope) already; what
    is left to check is the date: not in the future, and for a dated import every parent already in the
    database existing on that day (one created by the file exists from that day). A row that fails adds its
    problem to ``failures`` and nothing is created."""
    refused: dict[str, OrgChangeRefused] = {}
    if at.on is not None:
        parents = {r.values["parent_id"] for r in rows if r.values["parent_id"] in existing}
        there = uow.org_history.existing_on(sorted(parents), at.on)
        for row in rows:
            org_id, parent = row.values["id"], row.values["parent_id"]
            try:
                if at.on > at.today:
                    check_effective(org_id, None, at.on, at.today)
                if parent in parents and parent not in there:
                    refuse_not_yet(parent, at.on)
            except OrgChangeRefused as exc:
                refused[org_id] = exc
    if refused:  # the file is refused: nothing is written (a refused row's children could not be either)
        failures.extend(
            FileProblem(file_name, row.line, 0, *_words(refused[row.values["id"]]))
            for row in rows
            if row.values["id"] in refused
        )
        return []
    new = [NewOrg.model_validate(row.values).model_dump(mode="json") for row in rows]
    note = at.note if at.note is not None else (None if at.on else "exists since always")
    valid_from = at.on.isoformat() if at.on else None
    audit = [
        {
            "org_id": values["id"],
            "change": "create",
            "effective_on": at.effective,
            "before": {},
            "after": {k: v for k, v in values.items() if k != "id"} | {"valid_from": valid_from},
            "actor": at.actor,
            "note": note,
            "recorded_at": at.now,
        }
        for values in new
    ]
    try:
        uow.orgs.insert_many([{**values, "created_at": at.now} for values in new], at.on)
    except DuplicateKey:  # written by someone else since the file was checked
        raise AlreadyExists("org", ", ".join(values["id"] for values in new[:3])) from None
    uow.org_history.record_many(audit)
    return [values["id"] for values in new]


def _apply_row(uow: UnitOfWork, at: Stamp, org: OrgRecord, row: org_files.FileRow) -> list[dict[str, str]]:
    """Record each difference between ``org`` and the file's row as a change; the changes made."""
    state = row_values(org)
    wanted = {name: row.values[name] for name in ROW_FIELDS}
    made: list[dict[str, str]] = []
    for change, before, after in classify(state, wanted):
        if (
            change == "move"
            and after["parent_id"] is not None
            and not uow.org_history.existed_on(after["parent_id"], at.effective)
        ):
            refuse_not_yet(after["parent_id"], at.effective)
        new_state = apply_change(state, change, after)
        current = OrgRecord(id=org.id, **state)
        org_changes.apply(uow, at, current, change, before, after, new_state)
        made.append({"org_id": org.id, "change": change})
        state = new_state
    return made


def import_tree(
    deps: Deps, text: str, format: str, file_name: str, at: Stamp, dated_new: bool, within: str | None
) -> OrgImportReport:
    reading = org_files.read(text, _format(format), file_name)
    first_line: dict[str, int] = {}
    for row in reading.rows:
        org_id = row.values["id"]
        if org_id in first_line:
            reading.add(
                row.at("id"),
                f"id {org_id!r} appears twice (first at line {first_line[org_id]})",
                f"mã {org_id!r} lặp lại (lần đầu ở dòng {first_line[org_id]})",
            )
        first_line.setdefault(org_id, row.line)
    if reading.problems:
        raise InvalidFile(reading.problems)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    changes: list[dict[str, str]] = []
    unchanged = 0
    create_at = Stamp(at.on if dated_new else None, at.today, at.now, at.actor, None)
    with deps.db.transaction() as uow:
        existing = {org.id: org for org in uow.orgs.listing(None)}
        _check_tree(uow, reading, existing, within)
        if reading.problems:
            raise InvalidFile(reading.problems)
        failures: list[FileProblem] = []
        created = _create_all(uow, create_at, _creation_order(reading.rows, existing), existing, failures, file_name)
        for row in reading.rows:
            org = existing.get(row.values["id"])
            if org is None:
                continue
            try:
                made = _apply_row(uow, at, org, row)
            except (OrgChangeRefused, NotFound) as exc:
                failures.append(FileProblem(file_name, row.line, 0, *_words(exc)))
                continue
            changes.extend(made)
            unchanged += not made
        if failures:
            raise InvalidFile(failures)  # rolls the whole file back
        seen = uow.org_history.imported(KIND, sha)
        if not seen:
            uow.org_history.record_import(
                {
                    "kind": KIND,
                    "sha256": sha,
                    "file_name": file_name[:500],
                    "rows": len(reading.rows),
                    "imported_at": at.now,
                }
            )
    return OrgImportReport(
        file_name=file_name,
        sha256=sha,
        rows=len(reading.rows),
        effective_on=at.effective,
        created=created,
        changes=changes,
        unchanged=unchanged,
        seen_before=seen,
    )


def _words(exc: OrgChangeRefused | NotFound) -> tuple[str, str]:
    if isinstance(exc, OrgChangeRefused):
        return exc.message_en, exc.message_vi
    return str(exc), f"không tìm thấy {exc.kind} {exc.key!r}"
