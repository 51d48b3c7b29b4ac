"""A bulk import's rows checked by forked worker processes: the same rows written, the same report, in the file's
order, as when the importing process checks them itself; rows checked in this process when another thread runs;
a worker's failure reaches the importer and nothing is written."""

from __future__ import annotations

import csv
import dataclasses
import os
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from admission_flow import AdmissionFlow
from admission_flow.engine import import_rows
from admission_flow.errors import WorkerLost
from admission_flow.services import import_workers, imports
from admission_flow.settings import Settings
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "examples" / "import" / "mapping.yaml"
WORKFLOWS = ROOT / "workflows"
CELLS = ("ks.anmy.ap1", "ks.anmy.ap2", "ks.thpt.gv.toan", "ks.ctyxk")


def rows_file(path: Path, n: int, *, broken: bool = True) -> Path:
    """``n`` people on the standard path, 0 to 5 paper steps each; if ``broken``, row 9 has a bad birth date and
    the last row is row 2's person under another file id (both rejected)."""
    with (ROOT / "examples" / "import" / "candidates.csv").open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    rows: list[list[str]] = [header]
    for i in range(n):
        born = date(1980 + i % 15, 1 + i % 12, 1 + i % 28)
        listed = date(2016, 1, 4) + timedelta(days=7 * i)
        steps = [listed, listed + timedelta(days=60), listed + timedelta(days=120), listed + timedelta(days=150)]
        steps += [steps[-1] + timedelta(days=2), steps[-1] + timedelta(days=10)]
        done = i % 6
        female = i % 2 == 1
        pid = f"094{1 if female else 0}{born.year % 100:02d}{i:06d}"
        row = [f"W-{i:04d}", f"Người {i}", CELLS[i % 4], born.strftime("%d/%m/%Y"), "Nữ" if female else "Nam"]
        row += ["Kinh", "", "12/12", "Nông dân", "x", "", pid, "", ""]
        row += [d.strftime("%d/%m/%Y") if k < done else "" for k, d in enumerate(steps)] + [""]
        rows.append(row)
    if broken:
        rows[8][header.index("Ngày sinh")] = "31/02/1990"
    for column in ("Số định danh cá nhân", "Ngày sinh", "Giới tính") if broken else ():  # row 2's person
        rows[-1][header.index(column)] = rows[1][header.index(column)]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers from 20 rows on, 7 rows per task: a small file crosses many slices."""
    monkeypatch.setattr(import_workers, "MIN_PARALLEL_ROWS", 20)
    monkeypatch.setattr(import_workers, "SLICE", 7)


def with_workers(flow: AdmissionFlow, workers: int) -> AdmissionFlow:
    deps = flow._deps
    deps.policy = dataclasses.replace(deps.policy, import_workers=workers)
    return flow


def snapshot(flow: AdmissionFlow) -> dict[str, Any]:
    people = flow.candidates()
    return {
        "people": sorted((c.id, c.state, c.workflow, c.version, sorted(c.dates.items())) for c in people),
        "history": {c.id: [(e.trigger, e.occurred_on, e.to_state) for e in flow.history(c.id)] for c in people},
        "deadlines": sorted((d.candidate_id, d.deadline, d.due_on) for d in flow.deadlines()),
    }


def test_workers_write_what_one_process_writes(
    flow: AdmissionFlow, clock: ManualClock, tmp_path: Path, small_slices: None
) -> None:
    assert import_workers.parallel_possible(), "this test process runs another thread"
    add_sample_orgs(with_workers(flow, 2))
    alone = AdmissionFlow(
        Settings(database_url=f"sqlite:///{tmp_path / 'alone.db'}", workflows_dir=WORKFLOWS), clock=clock
    )
    alone.upgrade_database()
    add_sample_orgs(with_workers(alone, 1))
    try:
        path = rows_file(tmp_path / "people.csv", 60)
        refused = flow.import_candidates(path, MAPPING)
        assert refused == alone.import_candidates(path, MAPPING)
        assert [(r.row, r.code) for r in refused.rejected] == [(9, "bad_date"), (61, "duplicate_in_file")]
        assert not refused.written and snapshot(flow)["people"] == []

        fixed = rows_file(tmp_path / "fixed.csv", 60, broken=False)
        accepted = flow.import_candidates(fixed, MAPPING)
        assert accepted.written and accepted.accepted == 60
        assert accepted == alone.import_candidates(fixed, MAPPING)
        assert snapshot(flow) == snapshot(alone)
        assert len({s for s, *_ in snapshot(flow)["deadlines"]}) > 10  # the comparison covers projected deadlines
    finally:
        alone.close()


def checked(flow: AdmissionFlow, path: Path, workers: int) -> Iterator[Any]:
    """Each row of ``path`` checked, with the process that checked it: (pid, row number, result)."""
    from admission_flow.engine.import_cells import RowContext
    from admission_flow.flow_imports import load_mapping
    from admission_flow.services.import_files import column_index, read_sheet
    from admission_flow.services.imports import org_places, workflow_chooser

    deps = flow._deps
    mapping = load_mapping(MAPPING)
    sheet = read_sheet(path, None)
    with deps.db.transaction(readonly=True) as uow:
        places = org_places(uow.imports.org_nodes())
    index = column_index(sheet.name, sheet.header, mapping.headers)
    chooser = workflow_chooser(deps, mapping)
    ctx = RowContext(mapping, index, chooser, places, deps.rules(), deps.clock.now(), deps.today(), sheet.name)

    def check(number: int, cells: Any) -> Any:
        return (os.getpid(), number, import_rows.check_row(ctx, number, cells))

    return import_workers.checked_rows(check, sheet.rows, workers)


def test_rows_come_back_in_the_files_order_from_the_workers(
    flow: AdmissionFlow, tmp_path: Path, small_slices: None
) -> None:
    add_sample_orgs(flow)
    found = list(checked(flow, rows_file(tmp_path / "people.csv", 50), workers=2))
    assert [number for _, number, _ in found] == list(range(2, 52))
    pids = {pid for pid, _, _ in found}
    assert os.getpid() not in pids and len(pids) == 2


def test_rows_are_checked_here_while_another_thread_runs(
    flow: AdmissionFlow, tmp_path: Path, small_slices: None
) -> None:
    add_sample_orgs(flow)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="a server's thread")
    other.start()
    try:
        assert not import_workers.parallel_possible()
        found = list(checked(flow, rows_file(tmp_path / "people.csv", 50), workers=2))
    finally:
        stop.set()
        other.join()
    assert {pid for pid, _, _ in found} == {os.getpid()} and len(found) == 50


def test_small_files_and_one_worker_are_checked_here(
    flow: AdmissionFlow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_sample_orgs(flow)
    path = rows_file(tmp_path / "people.csv", 50)
    assert {pid for pid, _, _ in checked(flow, path, workers=4)} == {os.getpid()}  # under MIN_PARALLEL_ROWS
    monkeypatch.setattr(import_workers, "MIN_PARALLEL_ROWS", 20)
    assert {pid for pid, _, _ in checked(flow, path, workers=1)} == {os.getpid()}


def test_a_workers_failure_reaches_the_importer_and_nothing_is_written(
    flow: AdmissionFlow, tmp_path: Path, small_slices: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_sample_orgs(with_workers(flow, 2))
    real = import_rows.check_row

    def check(ctx: Any, number: int, cells: Any) -> Any:
        if number == 40:
            raise RuntimeError(f"worker {os.getpid()} broke on row 40")
        return real(ctx, number, cells)

    monkeypatch.setattr(imports, "check_row", check)  # the forked workers inherit the patched module
    path = rows_file(tmp_path / "people.csv", 60, broken=False)
    with pytest.raises(RuntimeError, match="broke on row 40") as raised:
        flow.import_candidates(path, MAPPING)
    assert f"worker {os.getpid()} " not in str(raised.value)  # it broke in a worker, not here
    assert flow.candidates() == []


def test_a_consumer_that_stops_early_leaves_no_worker_behind(
    flow: AdmissionFlow, tmp_path: Path, small_slices: None
) -> None:
    import multiprocessing

    add_sample_orgs(flow)
    rows = checked(flow, rows_file(tmp_path / "people.csv", 60), workers=2)
    next(rows)
    assert multiprocessing.active_children()
    rows.close()  # type: ignore[attr-defined]
    assert not multiprocessing.active_children()


def test_a_worker_that_dies_fails_the_import_clearly_and_nothing_is_written(
    flow: AdmissionFlow, tmp_path: Path, small_slices: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_sample_orgs(with_workers(flow, 2))
    parent = os.getpid()
    real = import_rows.check_row

    def check(ctx: Any, number: int, cells: Any) -> Any:
        if number == 40 and os.getpid() != parent:
            os._exit(9)  # as the kernel's OOM killer would leave it
        return real(ctx, number, cells)

    monkeypatch.setattr(imports, "check_row", check)
    with pytest.raises(WorkerLost, match="nothing was imported"):
        flow.import_candidates(rows_file(tmp_path / "people.csv", 60, broken=False), MAPPING)
    assert flow.candidates() == []
    monkeypatch.setattr(imports, "check_row", real)
    flow.import_candidates(rows_file(tmp_path / "again.csv", 60, broken=False), MAPPING)  # the next one works
    assert len(flow.candidates()) == 60
