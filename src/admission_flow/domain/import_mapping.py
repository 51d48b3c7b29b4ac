"""The column-mapping file of a bulk import, as typed data: which column of the spreadsheet holds which candidate
field, the date formats accepted, the value maps (``Nam → male``), and the history: which columns hold the paper
dates of which steps of the workflow, with the papers and votes those steps carry when the file does not.

Parsed from the YAML's plain data (``parse_mapping``); every problem names the mapping file's key, so a wrong
mapping is refused before a single row is read. No I/O here: the caller reads the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from admission_flow.domain.values import Votes
from admission_flow.errors import InvalidInput

# The candidate fields a column may fill (the ``candidates`` table's columns a person has).
CANDIDATE_FIELDS: tuple[str, ...] = (
    "id",
    "full_name",
    "org_id",
    "birth_date",
    "sex",
    "ethnicity",
    "religion",
    "education",
    "remote_area",
    "occupation",
    "youth_union_member",
    "trade_union_member",
    "email",
    "personal_id",
    "party_card_no",
    "old_card_no",
    "manager",
)
REQUIRED_FIELDS = ("id", "full_name", "org_id")
BOOLEAN_FIELDS = frozenset({"remote_area", "youth_union_member", "trade_union_member", "manager"})
DEFAULT_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
# Yes/no words understood without a value map (compared case-folded, spaces trimmed).
YES = frozenset({"x", "1", "có", "co", "yes", "y", "true", "đúng", "là"})
NO = frozenset({"", "0", "không", "khong", "no", "n", "false"})


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a row is refused: the spreadsheet row (1 = the header), the file's column header, a stable code, and
    the reason in Vietnamese and English."""

    row: int
    column: str
    code: str
    en: str
    vi: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did (or, for a dry run or a refused file, would have done)."""

    file: str
    sha256: str
    rows: int
    accepted: int
    rejected: tuple[Rejection, ...]
    written: bool
    dry_run: bool = False
    seen_before: tuple[str, int, datetime] | None = None  # (file name, rows, when): the same bytes imported before
    states: Mapping[str, int] = field(default_factory=dict)  # candidates by the state they are left in
    workflows: Mapping[str, int] = field(default_factory=dict)  # candidates by the workflow version judging them
    events: int = 0
    documents: int = 0
    timers: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected


@dataclass(frozen=True, slots=True)
class Paper:
    """A paper a step carries: its kind, and attributes (e.g. an introducer's name) when the file lacks them."""

    kind: str
    reference: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HistoryStep:
    """One step of the paper history: the trigger that records it, the column with its date, and what it carries."""

    trigger: str
    column: str
    role: str | None = None
    papers: tuple[Paper, ...] = ()
    votes: Votes | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    # The organisation that acted: an id, or ``competent:POWER`` (the one at or above the candidate's organisation
    # configured with that power, e.g. ``competent:admission``): the competent-authority guards then check it.
    acting_org: str | None = None


@dataclass(frozen=True, slots=True)
class ImportMapping:
    workflow: str  # a workflow id: the version is the one in force on the row's first paper date
    columns: Mapping[str, str]  # candidate field → the file's header
    defaults: Mapping[str, Any]  # candidate field → the value when no column holds it (or the cell is empty)
    date_formats: tuple[str, ...]
    values: Mapping[str, Mapping[str, Any]]  # candidate field → {cell text → value}
    history: tuple[HistoryStep, ...]
    sheet: str | None = None  # XLSX: the sheet to read (None: the first)
    actor: str = "import"

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header the file must have."""
        return (*self.columns.values(), *(s.column for s in self.history))


def parse_mapping(data: Any, source: str = "mapping") -> ImportMapping:
    """The mapping from the YAML's data, or ``InvalidInput`` naming every problem as ``source: key: why``."""
    problems: list[str] = []

    def bad(key: str, why: str) -> None:
        problems.append(f"{source}: {key}: {why}")

    if not isinstance(data, dict):
        raise InvalidInput(f"{source}: the mapping must be a YAML mapping (keys: workflow, columns, history, ...)")
    known = {"workflow", "columns", "defaults", "date_formats", "values", "history", "sheet", "actor"}
    for key in sorted(set(map(str, data)) - known):
        bad(key, f"unknown key; known: {', '.join(sorted(known))}")
    workflow = data.get("workflow")
    if not isinstance(workflow, str) or not workflow:
        bad("workflow", "a workflow id is required (e.g. standard)")
    columns = _str_map(data.get("columns"), "columns", bad)
    for name in sorted(set(columns) - set(CANDIDATE_FIELDS)):
        bad(f"columns.{name}", f"not a candidate field; known: {', '.join(CANDIDATE_FIELDS)}")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        bad("defaults", "must map candidate fields to values")
        defaults = {}
    for name in sorted(set(map(str, defaults)) - set(CANDIDATE_FIELDS)):
        bad(f"defaults.{name}", "not a candidate field")
    for name in REQUIRED_FIELDS:
        if name not in columns and not (name == "org_id" and "org_id" in defaults):
            bad(f"columns.{name}", "required: the column that holds it")
    formats = data.get("date_formats", list(DEFAULT_DATE_FORMATS))
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not formats or not all(isinstance(f, str) and "%" in f for f in formats):
        bad("date_formats", "a list of strptime formats such as '%d/%m/%Y'")
        formats = list(DEFAULT_DATE_FORMATS)
    values = data.get("values") or {}
    maps: dict[str, dict[str, Any]] = {}
    if not isinstance(values, dict):
        bad("values", "must map candidate fields to {cell text: value}")
    else:
        for name, table in values.items():
            if str(name) not in CANDIDATE_FIELDS or not isinstance(table, dict):
                bad(f"values.{name}", "a candidate field mapped to {cell text: value}")
                continue
            maps[str(name)] = {_fold(str(k)): v for k, v in table.items()}
    history = tuple(_steps(data.get("history") or [], bad))
    used = [*columns.values(), *(s.column for s in history)]
    for header in sorted({h for h in used if used.count(h) > 1}):
        bad("columns/history", f"the column {header!r} is mapped twice")
    sheet, actor = data.get("sheet"), data.get("actor", "import")
    if sheet is not None and not isinstance(sheet, str):
        bad("sheet", "the name of a sheet")
    if not isinstance(actor, str) or not actor or len(actor) > 200:
        bad("actor", "who the audit rows name (1 to 200 characters)")
    if problems:
        raise InvalidInput("; ".join(problems))
    return ImportMapping(
        str(workflow), columns, {str(k): v for k, v in defaults.items()}, tuple(formats), maps, history, sheet, actor
    )


def _fold(text: str) -> str:
    return text.strip().casefold()


def _str_map(raw: Any, key: str, bad: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        bad(key, "must map names to column headers")
        return {}
    out = {}
    for name, header in raw.items():
        if not isinstance(header, str) or not header.strip():
            bad(f"{key}.{name}", "a column header (text)")
        else:
            out[str(name)] = header.strip()
    return out


def _steps(raw: Any, bad: Any) -> list[HistoryStep]:
    if not isinstance(raw, list):
        bad("history", "a list of steps: {step: TRIGGER, column: HEADER, documents: [...], votes: {...}}")
        return []
    steps = []
    for i, item in enumerate(raw):
        key = f"history[{i}]"
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("step"), str)
            or not isinstance(item.get("column"), str)
        ):
            bad(key, "needs step (a trigger) and column (the header of its date)")
            continue
        extra = set(map(str, item)) - {"step", "column", "role", "documents", "votes", "data", "acting_org"}
        if extra:
            bad(key, f"unknown key(s) {', '.join(sorted(extra))}")
        papers = []
        for j, doc in enumerate(item.get("documents") or []):
            if isinstance(doc, str):
                papers.append(Paper(doc))
            elif isinstance(doc, dict) and isinstance(doc.get("kind"), str):
                attributes = doc.get("attributes") or {}
                papers.append(
                    Paper(doc["kind"], doc.get("reference"), {str(k): _plain(v) for k, v in attributes.items()})
                )
            else:
                bad(f"{key}.documents[{j}]", "a document kind, or {kind, reference, attributes}")
        votes = None
        if item.get("votes") is not None:
            v = item["votes"]
            if (
                not isinstance(v, dict)
                or not isinstance(v.get("in_favour"), int)
                or not isinstance(v.get("eligible"), int)
            ):
                bad(f"{key}.votes", "{in_favour: N, eligible: M}")
            else:
                votes = Votes(v["in_favour"], v["eligible"], v.get("against"))
        data = item.get("data") or {}
        if not isinstance(data, dict):
            bad(f"{key}.data", "a mapping")
            data = {}
        role, acting = item.get("role"), item.get("acting_org")
        if acting is not None and (not isinstance(acting, str) or acting == "competent:"):
            bad(f"{key}.acting_org", "an organisation id, or competent:POWER (e.g. competent:admission)")
            acting = None
        step = HistoryStep(item["step"], item["column"].strip(), role, tuple(papers), votes, data, acting)
        steps.append(step)
    return steps


def _plain(value: Any) -> Any:
    """YAML dates become ISO text, as papers' attributes are stored."""
    return value.isoformat() if isinstance(value, date) else value


__all__ = ["CANDIDATE_FIELDS", "HistoryStep", "ImportMapping", "ImportResult", "Paper", "Rejection", "parse_mapping"]
