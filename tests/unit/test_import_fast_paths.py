"""The bulk import's short cuts change nothing but speed.

- Its replay of a paper step (engine/import_replay.py) decides exactly as a live event does: the same histories
  replayed through ``replay_step`` and through ``engine.effects.decide`` (the state machine's move included)
  give the same rows to insert and the same rejections, row for row.
- Its writer (store/imports.py) hands the driver what SQLAlchemy's own bind processors make of each row
  (``Prepared.parameters``), on SQLite and PostgreSQL, though it converts each distinct date once."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy.dialects import postgresql, sqlite

from admission_flow.calendar import WorkingCalendar
from admission_flow.domain.import_mapping import ImportMapping, Rejection, parse_mapping
from admission_flow.domain.stored import OrgNode
from admission_flow.engine import import_rows
from admission_flow.engine.catalog import Catalog
from admission_flow.engine.import_rows import Accepted, RowContext, check_row
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.engine.timing import TimeRules
from admission_flow.errors import NotFound
from admission_flow.guards import default_registry
from admission_flow.services.imports import org_places
from admission_flow.store.imports import SqlImports, statements

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
RULES = TimeRules(ZoneInfo("Asia/Ho_Chi_Minh"), time(8, 0), WorkingCalendar())
ORGS = [
    OrgNode("ks", None, "superior_committee", "Huyện ủy", False, False, {"authority": ["admission", "recognition"]}),
    OrgNode("ks.anmy", "ks", "grassroots_committee", "Đảng ủy xã", False, False, {}),
    OrgNode("ks.anmy.ap1", "ks.anmy", "cell", "Chi bộ ấp", True, False, {}),
    OrgNode("ks.anmy.ap2", "ks.anmy", "cell", "Chi bộ ấp 2", False, False, {}),
]
STEPS = (
    "Ngày vào danh sách cảm tình",
    "Ngày cấp GCN nhận thức về Đảng",
    "Ngày chi bộ xét kết nạp",
    "Ngày ký quyết định kết nạp",
    "Ngày chi bộ nhận quyết định",
    "Ngày kết nạp",
    "Ngày công nhận chính thức",
)


@pytest.fixture(scope="module")
def ctx() -> RowContext:
    catalog = Catalog.from_folder(ROOT / "workflows", default_registry())
    mapping: ImportMapping = parse_mapping(
        yaml.safe_load((ROOT / "examples" / "import" / "mapping.yaml").read_text(encoding="utf-8"))
    )
    earliest = catalog.get("standard", "2021")

    def on(day: date) -> tuple[CompiledWorkflow, bool]:
        try:
            return catalog.in_force("standard", day), True
        except NotFound:
            return earliest, False

    index = {h: i for i, h in enumerate(mapping.headers)}
    return RowContext(mapping, index, on, org_places(ORGS), RULES, NOW, NOW.date(), "paper.csv")


def histories(ctx: RowContext, count: int, seed: int) -> list[Sequence[Any]]:
    """Rows along the standard path from 2016 to 2026: most plausible, some with a step too early or too late, a
    gap (steps done on paper), dates going backwards, a young candidate or no youth union membership."""
    rnd = random.Random(seed)
    rows = []
    for i in range(count):
        born = date(rnd.randint(1975, 2008), rnd.randint(1, 12), rnd.randint(1, 28))
        female = rnd.random() < 0.5
        day = date(2016, 1, 1) + timedelta(days=rnd.randint(0, 3700))
        gaps = [(30, 200), (-5, 300), (5, 70), (1, 6), (-2, 45), (330, 420)]
        dates = [day]
        for low, high in gaps:
            dates.append(dates[-1] + timedelta(days=rnd.randint(low, high)))
        done = rnd.randint(0, 7)
        cells = [d.strftime("%d/%m/%Y") if k < done and rnd.random() > 0.12 else "" for k, d in enumerate(dates)]
        century = (0 if born.year < 2000 else 2) + (1 if female else 0)
        values = {
            "Mã hồ sơ": f"R-{i}",
            "Họ và tên": f"Người thứ {i}",
            "Mã chi bộ": rnd.choice(("ks.anmy.ap1", "ks.anmy.ap2")),
            "Ngày sinh": born.strftime("%d/%m/%Y"),
            "Giới tính": "Nữ" if female else "Nam",
            "Trình độ học vấn": rnd.choice(("12/12", "Đại học", "9/12")),
            "Đoàn viên": "x" if rnd.random() < 0.8 else "",
            "Số định danh cá nhân": f"094{century}{born.year % 100:02d}{i:06d}",
            **dict(zip(STEPS, cells, strict=True)),
        }
        rows.append([values.get(h, "") for h in ctx.mapping.headers])
    return rows


def test_replayed_steps_give_the_rows_and_refusals_of_live_decisions(
    ctx: RowContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = histories(ctx, 600, seed=4)
    fast = [check_row(ctx, n, cells) for n, cells in enumerate(rows, start=2)]
    # Every step through engine.effects.decide instead (replay_step declining, as it does for a transfer):
    monkeypatch.setattr(import_rows, "replay_step", lambda *args: None)
    slow = [check_row(ctx, n, cells) for n, cells in enumerate(rows, start=2)]
    assert fast == slow
    # The sample is worth comparing: rows accepted in several states, rows refused for several reasons.
    states = Counter(a.instance["state"] for a in fast if isinstance(a, Accepted))
    refused = Counter(r.code for found in fast if isinstance(found, list) for r in found)
    assert len(states) >= 6 and sum(states.values()) >= 200, states
    assert len(refused) >= 4, refused
    assert sum(len(a.events) for a in fast if isinstance(a, Accepted)) > 1000


def test_a_refused_step_reports_the_reasons_of_a_live_decision(
    ctx: RowContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    cells = {h: "" for h in ctx.mapping.headers}
    cells.update(
        {
            "Mã hồ sơ": "Y-1",
            "Họ và tên": "Trẻ Tuổi",
            "Mã chi bộ": "ks.anmy.ap1",
            "Ngày sinh": "01/01/2008",
            "Giới tính": "Nam",
            "Trình độ học vấn": "12/12",
            "Số định danh cá nhân": "094208000001",
            STEPS[0]: "01/02/2024",
            STEPS[1]: "01/03/2024",
            STEPS[2]: "01/04/2024",
        }
    )
    row = [cells[h] for h in ctx.mapping.headers]
    fast = check_row(ctx, 2, row)
    monkeypatch.setattr(import_rows, "replay_step", lambda *args: None)
    slow = check_row(ctx, 2, row)
    assert isinstance(fast, list) and fast == slow
    assert {r.column for r in fast} == {STEPS[2]}
    assert all(isinstance(r, Rejection) and r.en and r.vi for r in fast)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()], ids=["sqlite", "postgresql"])
def test_the_writer_binds_what_sqlalchemys_processors_make_of_each_row(ctx: RowContext, dialect: Any) -> None:
    accepted = [
        a
        for n, cells in enumerate(histories(ctx, 300, seed=7), start=2)
        if isinstance(a := check_row(ctx, n, cells), Accepted)
    ]
    tables = {
        "candidates": [a.candidate for a in accepted],
        "instances": [{**a.instance, "id": i} for i, a in enumerate(accepted, start=1)],
        "events": [{**e, "id": 9, "instance_id": 1} for a in accepted for e in a.events],
        "documents": [{**d, "instance_id": 1, "event_id": 9} for a in accepted for p in a.papers for d in p],
        "timers": [{**t, "instance_id": 1} for a in accepted for t in a.timers],
    }
    writer = SqlImports(None, dialect)  # type: ignore[arg-type]  # conversion only: no transaction needed
    sql = statements(dialect)
    for converter, (name, rows) in zip(writer._tables, tables.items(), strict=True):
        assert len(rows) > 100, name
        prepared = getattr(sql, name)
        for _ in range(2):  # the second round answers every date from what the first converted
            assert [plain(converter.convert(r)) for r in rows] == [plain(prepared.parameters(r)) for r in rows], name


def plain(bound: Any) -> Any:
    """A row's bound values, comparable: psycopg's JSON wrappers (no equality of their own) as their type and
    content."""
    values = bound.items() if isinstance(bound, dict) else enumerate(bound)
    return {k: (type(v).__name__, v.obj) if hasattr(v, "obj") else v for k, v in values}


def test_papers_on_file_answer_get_as_a_mapping_does() -> None:
    from collections.abc import Mapping

    from admission_flow.domain.values import DocumentRecord
    from admission_flow.engine.context import PapersOnFile

    index = {"introduction": [{"issued_on": "2024-01-02", "reference": "1", "attributes": {"a": 1}}], "empty": []}
    attached = [DocumentRecord("branch_resolution", date(2024, 3, 1)), DocumentRecord("introduction", date(2024, 3, 2))]
    for kind in ("introduction", "empty", "branch_resolution", "admission_decision", ""):
        papers, reference = PapersOnFile(index, attached), PapersOnFile(index, attached)
        assert papers.get(kind) == Mapping.get(reference, kind)
        assert papers.get(kind, ()) == Mapping.get(reference, kind, ())
    assert PapersOnFile(index, attached).get("introduction") == [
        DocumentRecord("introduction", date(2024, 1, 2), "1", {"a": 1}),
        DocumentRecord("introduction", date(2024, 3, 2)),
    ]
    assert list(PapersOnFile(index, attached)) == ["introduction", "empty", "branch_resolution"]


class _Recorder:
    """A cursor (and the transaction that hands it out) that keeps what ``executemany`` was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Any]]] = []

    def cursor(self) -> _Recorder:
        return self

    def executemany(self, sql: str, rows: list[Any]) -> None:
        self.calls.append((sql, rows))


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()], ids=["sqlite", "postgresql"])
def test_encoded_rows_get_the_ids_the_writer_gives_in_order(ctx: RowContext, dialect: Any) -> None:
    """``RowEncoder.encode`` (in a worker) and ``SqlImports.write`` (in the importing process) bind what numbering
    the rows one after the other and converting them with SQLAlchemy's processors binds, over two chunks."""
    accepted = [
        a
        for n, cells in enumerate(histories(ctx, 200, seed=11), start=2)
        if isinstance(a := check_row(ctx, n, cells), Accepted)
    ]
    expected: dict[str, list[Any]] = {name: [] for name in ("candidates", "instances", "events", "documents", "timers")}
    next_instance, next_event = 41, 1001  # as begin_batch would find them after earlier rows
    for a in accepted:
        expected["candidates"].append(a.candidate)
        expected["instances"].append({**a.instance, "id": next_instance})
        for e, papers in zip(a.events, a.papers, strict=True):
            expected["events"].append({**e, "id": next_event, "instance_id": next_instance})
            expected["documents"] += [{**d, "instance_id": next_instance, "event_id": next_event} for d in papers]
            next_event += 1
        expected["timers"] += [{**t, "instance_id": next_instance} for t in a.timers]
        next_instance += 1
    recorder = _Recorder()
    writer = SqlImports(recorder, dialect)  # type: ignore[arg-type]
    writer._next_instance, writer._next_event = 41, 1001
    encoder = writer.encoder()
    encoded = [encoder.encode(a.candidate, a.instance, a.events, a.papers, a.timers) for a in accepted]
    half = len(encoded) // 2
    writer.write(encoded[:half])
    writer.write(encoded[half:])
    sql = statements(dialect)
    for name, rows in expected.items():
        prepared = getattr(sql, name)
        written = [row for stmt, chunk in recorder.calls if stmt == prepared.sql for row in chunk]
        assert len(rows) > 50, name
        assert [plain(r) for r in written] == [plain(prepared.parameters(r)) for r in rows], name
    assert (writer._next_instance, writer._next_event) == (next_instance, next_event)
