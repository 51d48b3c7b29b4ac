"""The organisation tree as a file: CSV and YAML, read with the place of every value and written back so that
reading what was written gives the same organisations (export → import round-trips exactly).

One row (CSV) or one item of ``orgs:`` (YAML) per organisation, with the fields ``id``, ``parent``, ``kind``,
``name``, ``has_youth_union``, ``has_trade_union``, ``contacts`` (by role, each a name and an e-mail),
``authority`` (the powers: admission, recognition, consent) and ``attributes`` (any other, a JSON object in
CSV). In CSV, contacts are ``role=Name <email>`` separated by ``;`` and powers are separated by ``;``.
Problems come back as :class:`FileProblem` (line, column where known, Vietnamese and English); nothing raises.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from admission_flow.domain.inputs import NewOrg
from admission_flow.domain.org_history import DISSOLVED_ON, MERGED_INTO, POWERS, authority_of
from admission_flow.domain.records import OrgRecord
from admission_flow.errors import FileProblem
from admission_flow.workflow.loader import parse_yaml

COLUMNS: tuple[str, ...] = (
    "id",
    "parent",
    "kind",
    "name",
    "has_youth_union",
    "has_trade_union",
    "contacts",
    "authority",
    "attributes",
)
REQUIRED: tuple[str, ...] = ("id", "kind", "name")
FORMATS: tuple[str, ...] = ("csv", "yaml")
TRUE, FALSE = ("true", "yes", "1", "có", "x"), ("false", "no", "0", "không", "")
_CONTACT = re.compile(r"\s*([a-z][a-z0-9_]*)\s*=\s*(.+?)\s*<([^<>]+)>\s*")
_FIELD = {"parent_id": "parent"}  # a NewOrg field → the file's name for it


@dataclass
class FileRow:
    """One organisation read from a file: values ready for ``NewOrg`` and where each field was written."""

    values: dict[str, Any]
    line: int
    places: dict[str, tuple[int, int]] = field(default_factory=dict)  # file field → (line, column)

    def at(self, name: str) -> tuple[int, int]:
        return self.places.get(_FIELD.get(name, name), (self.line, 0))


@dataclass
class Reading:
    file: str
    rows: list[FileRow] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)

    def add(self, place: tuple[int, int], en: str, vi: str) -> None:
        self.problems.append(FileProblem(self.file, place[0], place[1], en, vi))


def _flag(value: Any, name: str, row: FileRow, reading: Reading) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    reading.add(
        row.at(name),
        f"{name}: {value!r} is not yes/no (true, false, yes, no, 1, 0)",
        f"{name}: {value!r} không phải có/không (true, false, có, không, 1, 0)",
    )
    return False


def _powers(value: Any, row: FileRow, reading: Reading) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[;,\s]+", str(value or "").strip())
    found = [str(p).strip() for p in items if str(p).strip()]
    for power in found:
        if power not in POWERS:
            reading.add(
                row.at("authority"),
                f"authority: unknown power {power!r} (one of: {', '.join(POWERS)})",
                f"authority: thẩm quyền {power!r} không hợp lệ (một trong: {', '.join(POWERS)})",
            )
    return [p for p in POWERS if p in found]


def _csv_contacts(text: str, row: FileRow, reading: Reading) -> dict[str, list[dict[str, str]]]:
    contacts: dict[str, list[dict[str, str]]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = _CONTACT.fullmatch(part)
        if match is None:
            reading.add(
                row.at("contacts"),
                f"contacts: expected ROLE=NAME <EMAIL> separated by ';', got {part!r}",
                f"contacts: cần dạng VAI_TRÒ=HỌ TÊN <EMAIL>, phân cách bằng ';', nhận được {part!r}",
            )
            continue
        role, name, email = match.groups()
        contacts.setdefault(role, []).append({"name": name, "email": email.strip()})
    return contacts


def _finish(raw: dict[str, Any], row: FileRow, reading: Reading) -> None:
    """Turn a row's raw fields into ``NewOrg`` values, adding every problem; the row is kept if it validates."""
    attributes = raw.get("attributes") or {}
    if not isinstance(attributes, dict):
        reading.add(row.at("attributes"), "attributes: expected a mapping", "attributes: cần một ánh xạ (mapping)")
        attributes = {}
    for key in ("authority", DISSOLVED_ON, MERGED_INTO):
        if key in attributes:
            reading.add(
                row.at("attributes"),
                f"attributes: {key!r} is not set here (authority has its own column; merges and dissolutions "
                "are commands)",
                f"attributes: không ghi {key!r} ở đây (thẩm quyền có cột riêng; hợp nhất, giải thể là lệnh riêng)",
            )
    powers = _powers(raw.get("authority"), row, reading)
    parent = raw.get("parent")
    values = {
        "id": "" if raw.get("id") is None else str(raw.get("id")).strip(),
        "parent_id": None if parent in (None, "") else str(parent).strip(),
        "kind": raw.get("kind"),
        "name": raw.get("name"),
        "has_youth_union": _flag(raw.get("has_youth_union"), "has_youth_union", row, reading),
        "has_trade_union": _flag(raw.get("has_trade_union"), "has_trade_union", row, reading),
        "contacts": raw.get("contacts") or {},
        "attributes": {**attributes, **({"authority": powers} if powers else {})},
    }
    try:
        checked = NewOrg.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "id"
            shown = _FIELD.get(name, name)
            reading.add(row.at(name), f"{shown}: {error['msg']}", f"{shown}: giá trị không hợp lệ ({error['msg']})")
        return
    row.values = checked.model_dump(mode="json")
    reading.rows.append(row)


def read_csv(text: str, file: str) -> Reading:
    reading = Reading(file)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        reading.add((1, 0), "the file is empty (expected a header row)", "tệp rỗng (cần dòng tiêu đề)")
        return reading
    names = [h.strip() for h in header]
    for index, name in enumerate(names, start=1):
        if name not in COLUMNS:
            reading.add(
                (1, index),
                f"unknown column {name!r} (columns: {', '.join(COLUMNS)})",
                f"cột {name!r} không hợp lệ (các cột: {', '.join(COLUMNS)})",
            )
    for name in REQUIRED:
        if name not in names:
            reading.add((1, 0), f"missing column {name!r}", f"thiếu cột {name!r}")
    if reading.problems:
        return reading
    columns = {name: index for index, name in enumerate(names, start=1)}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        row = FileRow({}, line, {name: (line, index) for name, index in columns.items()})
        if len(cells) != len(names):
            reading.add(
                (line, 0),
                f"{len(cells)} cells, the header has {len(names)}",
                f"{len(cells)} ô, tiêu đề có {len(names)}",
            )
            continue
        raw: dict[str, Any] = dict(zip(names, cells, strict=True))
        raw["contacts"] = _csv_contacts(raw.get("contacts", ""), row, reading)
        text_attrs = (raw.get("attributes") or "").strip()
        try:
            raw["attributes"] = json.loads(text_attrs) if text_attrs else {}
        except ValueError as exc:
            reading.add(
                row.at("attributes"), f"attributes: not a JSON object ({exc})", f"attributes: không phải JSON ({exc})"
            )
            raw["attributes"] = {}
        _finish(raw, row, reading)
    return reading


def read_yaml(text: str, file: str) -> Reading:
    reading = Reading(file)
    doc, problems = parse_yaml(text, file)
    for p in problems:
        reading.add((p.line, p.column), p.message, f"lỗi YAML: {p.message}")
    if doc is None or problems:
        return reading
    items = doc.data.get("orgs") if isinstance(doc.data, dict) else None
    if not isinstance(items, list):
        reading.add((1, 1), "expected a mapping with a list under 'orgs:'", "cần một ánh xạ có danh sách 'orgs:'")
        return reading
    for i, item in enumerate(items):
        pos = doc.locate(("orgs", i))
        row = FileRow({}, pos.line, {})
        if not isinstance(item, dict):
            reading.add((pos.line, pos.column), "each organisation is a mapping", "mỗi tổ chức là một ánh xạ")
            continue
        for key in item:
            at = doc.locate(("orgs", i, key))
            row.places[key] = (at.line, at.column)
            if key not in COLUMNS:
                reading.add(
                    (at.line, at.column),
                    f"unknown field {key!r} (fields: {', '.join(COLUMNS)})",
                    f"trường {key!r} không hợp lệ (các trường: {', '.join(COLUMNS)})",
                )
        _finish(item, row, reading)
    return reading


def read(text: str, format: str, file: str) -> Reading:
    return read_csv(text, file) if format == "csv" else read_yaml(text, file)


# ---------------------------------------------------------------- writing


def tree_order(orgs: Sequence[OrgRecord]) -> list[OrgRecord]:
    """Parents before children (depth first, siblings by id); an organisation whose parent is not among
    ``orgs`` counts as a root."""
    by_id = {o.id: o for o in orgs}
    children: dict[str | None, list[OrgRecord]] = {}
    for org in sorted(orgs, key=lambda o: o.id):
        parent = org.parent_id if org.parent_id in by_id else None
        children.setdefault(parent, []).append(org)
    ordered: list[OrgRecord] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        org = stack.pop()
        ordered.append(org)
        stack.extend(reversed(children.get(org.id, [])))
    return ordered


def _item(org: OrgRecord) -> dict[str, Any]:
    return {
        "id": org.id,
        "parent": org.parent_id,
        "kind": org.kind,
        "name": org.name,
        "has_youth_union": org.has_youth_union,
        "has_trade_union": org.has_trade_union,
        "contacts": org.contacts,
        "authority": authority_of(org.attributes),
        "attributes": {k: v for k, v in sorted(org.attributes.items()) if k != "authority"},
    }


def write_csv(orgs: Sequence[OrgRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for org in tree_order(orgs):
        item = _item(org)
        contacts = "; ".join(
            f"{role}={c['name']} <{c['email']}>" for role, people in item["contacts"].items() for c in people
        )
        writer.writerow(
            [
                item["id"],
                item["parent"] or "",
                item["kind"],
                item["name"],
                "true" if item["has_youth_union"] else "false",
                "true" if item["has_trade_union"] else "false",
                contacts,
                ";".join(item["authority"]),
                json.dumps(item["attributes"], ensure_ascii=False, sort_keys=True) if item["attributes"] else "",
            ]
        )
    return buffer.getvalue()


def write_yaml(orgs: Sequence[OrgRecord]) -> str:
    items = [_item(org) for org in tree_order(orgs)]
    return yaml.safe_dump({"orgs": items}, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)


def write(orgs: Sequence[OrgRecord], format: str) -> str:
    return write_csv(orgs) if format == "csv" else write_yaml(orgs)
