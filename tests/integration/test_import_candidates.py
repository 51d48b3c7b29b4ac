"""Bulk import on SQLite and PostgreSQL: an accepted file, rejected rows (row, column, reason), all or nothing,
the same file twice, a person already there or twice in the file, CSV and XLSX, projected deadlines, and the
rules chosen by the paper dates."""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from admission_flow import AdmissionFlow
from admission_flow.testing.scenario import add_sample_orgs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "import"
MAPPING = EXAMPLES / "mapping.yaml"


@pytest.fixture
def loaded(flow: AdmissionFlow) -> AdmissionFlow:
    add_sample_orgs(flow)
    return flow


def read_rows(path: Path = EXAMPLES / "candidates.csv") -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def counts(flow: AdmissionFlow) -> tuple[int, int]:
    found = flow.candidates()
    return len(found), sum(len(flow.history(c.id)) for c in found)


def test_an_accepted_file_creates_candidates_with_their_history(loaded: AdmissionFlow) -> None:
    result = loaded.import_candidates(EXAMPLES / "candidates.csv", MAPPING)
    assert result.written and result.accepted == 4 and not result.rejected
    assert result.workflows == {"standard@2021": 3, "standard@2025.1": 1}  # the row of 2025: the revised rules
    bình = loaded.candidate("KS-2023-002")
    assert (bình.state, bình.workflow, bình.sex, bình.religion) == (
        "probationary",
        "standard@2021",
        "female",
        "Phật giáo",
    )
    assert bình.dates["ceremony_on"] == "2023-09-08" and bình.dates["probation_end_on"] == "2024-09-08"
    history = loaded.history("KS-2023-002")
    assert [e.trigger for e in history][-2:] == ["receive_decision", "hold_ceremony"]
    assert all(e.payload["imported"] == {"file": "candidates.csv", "row": 3} for e in history)
    assert loaded.candidate("KS-2019-001").state == "full_member"
    # The live path goes on from the imported state.
    loaded.fire("KS-2024-004", "receive_decision", on=date(2024, 6, 25), role="cell")
    assert loaded.candidate("KS-2024-004").version == len(loaded.history("KS-2024-004"))


def test_the_timed_state_gets_its_deadlines_so_reminders_work(loaded: AdmissionFlow) -> None:
    loaded.import_candidates(EXAMPLES / "candidates.csv", MAPPING)
    mine = {d.deadline: d for d in loaded.deadlines() if d.candidate_id == "KS-2023-002"}
    assert mine["probation_end"].due_on == date(2024, 9, 8) and mine["probation_end"].overdue
    cert = [d for d in loaded.deadlines() if d.candidate_id == "KS-2025-003"]
    assert [(d.deadline, d.due_on) for d in cert] == [("certificate_validity", date(2030, 9, 20))]
    reminders = loaded.upcoming_reminders(timedelta(days=365 * 5))
    assert any(r.candidate_id == "KS-2025-003" for r in reminders)


def test_rejected_rows_are_reported_and_nothing_is_written(loaded: AdmissionFlow, tmp_path: Path) -> None:
    rows = read_rows()
    header = rows[0]
    rows[1][header.index("Ngày kết nạp")] = "20/09/2019"  # 45 working days after the decision was received
    rows[3][header.index("Ngày sinh")] = "31/02/1990"
    result = loaded.import_candidates(write_csv(tmp_path / "bad.csv", rows), MAPPING)
    assert not result.written and result.accepted == 2
    assert [(r.row, r.column, r.code) for r in result.rejected] == [
        (2, "Ngày kết nạp", "date_past_limit"),
        (4, "Ngày sinh", "bad_date"),
    ]
    assert all(r.vi and r.en for r in result.rejected)
    assert counts(loaded) == (0, 0)  # all or nothing: the two good rows were not written either


def test_the_same_file_twice_changes_nothing(loaded: AdmissionFlow, tmp_path: Path) -> None:
    first = loaded.import_candidates(EXAMPLES / "candidates.csv", MAPPING)
    before = counts(loaded)
    again = loaded.import_candidates(shutil.copy(EXAMPLES / "candidates.csv", tmp_path / "renamed.csv"), MAPPING)
    assert first.written and not again.written and not again.rejected
    assert again.seen_before is not None and again.seen_before[:2] == ("candidates.csv", 4)
    assert counts(loaded) == before


def test_a_person_already_in_the_database_is_rejected(loaded: AdmissionFlow, tmp_path: Path) -> None:
    loaded.import_candidates(EXAMPLES / "candidates.csv", MAPPING)
    rows = read_rows()
    header = rows[0]
    rows[1][header.index("Mã hồ sơ")] = "NEW-1"  # another file id, the same personal number as KS-2019-001
    result = loaded.import_candidates(write_csv(tmp_path / "more.csv", rows[:2]), MAPPING)
    assert [(r.row, r.column, r.code) for r in result.rejected] == [(2, "Số định danh cá nhân", "already_in_database")]
    rows[1][header.index("Số định danh cá nhân")] = ""
    rows[1][header.index("Mã hồ sơ")] = "KS-2019-001"
    result = loaded.import_candidates(write_csv(tmp_path / "again.csv", rows[:2]), MAPPING)
    assert [(r.row, r.column, r.code) for r in result.rejected] == [(2, "Mã hồ sơ", "already_in_database")]


def test_the_same_person_twice_in_one_file_is_rejected(loaded: AdmissionFlow, tmp_path: Path) -> None:
    rows = read_rows()
    twin = list(rows[1])
    twin[rows[0].index("Mã hồ sơ")] = "KS-2019-009"
    result = loaded.import_candidates(write_csv(tmp_path / "twice.csv", [*rows, twin]), MAPPING)
    assert [(r.row, r.code) for r in result.rejected] == [(6, "duplicate_in_file")]
    assert "row 2" in result.rejected[0].en and "dòng 2" in result.rejected[0].vi
    assert counts(loaded) == (0, 0)


def test_an_xlsx_file_with_real_date_cells_imports_like_the_csv(loaded: AdmissionFlow, tmp_path: Path) -> None:
    rows = read_rows()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(rows[0])
    dated = {i for i, h in enumerate(rows[0]) if h.startswith("Ngày")}
    for row in rows[1:]:
        sheet.append([datetime.strptime(v, "%d/%m/%Y") if i in dated and v else (v or None) for i, v in enumerate(row)])
    book.save(tmp_path / "candidates.xlsx")
    result = loaded.import_candidates(tmp_path / "candidates.xlsx", MAPPING)
    assert result.written and result.accepted == 4
    assert loaded.candidate("KS-2023-002").dates["ceremony_on"] == "2023-09-08"


def test_the_shipped_xlsx_example_matches_the_csv(loaded: AdmissionFlow) -> None:
    result = loaded.import_candidates(EXAMPLES / "candidates.xlsx", MAPPING, dry_run=True)
    assert (result.accepted, result.rejected, result.written) == (4, (), False)
    assert result.states == loaded.import_candidates(EXAMPLES / "candidates.csv", MAPPING, dry_run=True).states
    assert counts(loaded) == (0, 0)  # a dry run writes nothing


def test_rules_are_chosen_by_the_first_paper_date(loaded: AdmissionFlow) -> None:
    """A 2019 row (before any release loaded) is judged by the 2021 workflow; a 2025 row by the one in force then
    (standard@2025.1, the revised 2025 rules)."""
    loaded.import_candidates(EXAMPLES / "candidates.csv", MAPPING)
    assert loaded.candidate("KS-2019-001").workflow == "standard@2021"
    assert loaded.candidate("KS-2025-003").workflow == "standard@2025.1"
    first = loaded.history("KS-2019-001")[0]
    assert "none was in force on 2019-01-05" in first.payload["imported"]["rules"]


def test_ids_continue_after_an_import(loaded: AdmissionFlow) -> None:
    """Ids given by the import leave the sequences past them: a live enrolment afterwards just works."""
    loaded.import_candidates(EXAMPLES / "candidates.csv", MAPPING)
    record = loaded.add_candidate(id="LIVE-1", full_name="Võ Văn Em", org_id="ks.anmy.ap1", birth_date=date(1999, 1, 1))
    assert record.instance_id == 5
    loaded.fire("LIVE-1", "admit_to_sympathizer_list", role="cell")
    assert len(loaded.history("LIVE-1")) == 2


def test_the_garbage_collector_is_paused_during_an_import_and_put_back_as_it_was(
    loaded: AdmissionFlow, tmp_path: Path
) -> None:
    import gc

    seen: list[bool] = []
    was = gc.isenabled()
    try:
        gc.enable()
        result = loaded.import_candidates(
            EXAMPLES / "candidates.csv", MAPPING, dry_run=True, progress=lambda *_: seen.append(gc.isenabled())
        )
        assert result.accepted == 4 and seen and not any(seen)
        assert gc.isenabled()
        with pytest.raises(Exception, match="cannot read"):  # put back on a failure too
            loaded.import_candidates(tmp_path / "absent.csv", MAPPING)
        assert gc.isenabled()
        gc.disable()  # a caller that had it off keeps it off
        loaded.import_candidates(EXAMPLES / "candidates.csv", MAPPING, dry_run=True)
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


def test_the_connections_page_cache_is_put_back_after_an_import(loaded: AdmissionFlow, tmp_path: Path) -> None:
    engine = loaded.store.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("the page cache is SQLite's")

    def cache_sizes() -> set[int]:
        # Every pooled connection's setting (an import may have used any of them).
        connections = [engine.raw_connection() for _ in range(3)]
        try:
            return {c.driver_connection.execute("PRAGMA cache_size").fetchone()[0] for c in connections}  # type: ignore[union-attr]
        finally:
            for c in connections:
                c.close()

    before = cache_sizes()
    assert loaded.import_candidates(EXAMPLES / "candidates.csv", MAPPING).written
    assert cache_sizes() == before
    rows = read_rows()
    rows[1][rows[0].index("Ngày sinh")] = "31/02/1990"
    rows[1][rows[0].index("Mã hồ sơ")] = "OTHER-1"
    refused = loaded.import_candidates(write_csv(tmp_path / "bad.csv", rows), MAPPING)
    assert refused.rejected and not refused.written
    assert cache_sizes() == before
