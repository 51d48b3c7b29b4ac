"""Reconciling the member database's list against ours, without a database: each kind of mismatch at its
boundary, and the files (CSV and XLSX) read back as they were written."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from admission_flow import tabular
from admission_flow.domain.handover import COLUMNS, HandoverRow, TheirRow, handover_row, parse_day, reconcile
from admission_flow.errors import InvalidInput

AN = HandoverRow(
    candidate_id="an",
    personal_id="079098000123",
    full_name="Nguyễn Văn An",
    birth_date=date(1998, 5, 17),
    sex="male",
    org_id="ks.anmy.ap1",
    org_name="Chi bộ ấp An Phú",
    change="admitted",
    decision_signed_on=date(2024, 6, 7),
    ceremony_on=date(2024, 6, 22),
    probation_end_on=date(2025, 6, 22),
    recognition_decided_on=None,
    full_member_since=None,
    party_card_no=None,
)
COLUMNS_THEY_HAVE = ["personal_id", "full_name", "decision_signed_on", "ceremony_on"]


def theirs(*rows: dict[str, object]) -> list[TheirRow]:
    return [TheirRow(i + 2, dict(r)) for i, r in enumerate(rows)]


def same_as_an(**changed: object) -> dict[str, object]:
    row: dict[str, object] = {
        "personal_id": "079098000123",
        "full_name": "Nguyễn  Văn An ",
        "decision_signed_on": "07/06/2024",
        "ceremony_on": datetime(2024, 6, 22),
    }
    return row | changed


def test_the_same_person_with_the_same_dates_in_any_spelling_matches() -> None:
    report = reconcile(theirs(same_as_an()), COLUMNS_THEY_HAVE, {AN.personal_id or "": AN}, [AN])
    assert (report.rows_read, report.matched, report.mismatches, report.clean) == (1, 1, [], True)


def test_a_different_date_names_the_field_and_both_values() -> None:
    report = reconcile(theirs(same_as_an(ceremony_on="2024-06-23")), COLUMNS_THEY_HAVE, {"079098000123": AN}, [AN])
    [found] = report.mismatches
    assert (found.kind, found.field, found.ours, found.theirs, found.row) == (
        "different",
        "ceremony_on",
        date(2024, 6, 22),
        date(2024, 6, 23),
        2,
    )
    assert report.counts == {"not_here": 0, "missing": 0, "different": 1, "invalid": 0} and report.matched == 0


def test_only_the_columns_their_file_has_are_compared() -> None:
    report = reconcile(theirs({"personal_id": "079098000123"}), ["personal_id"], {"079098000123": AN}, [AN])
    assert report.clean


def test_someone_they_list_whom_we_do_not_hold_is_not_here_and_someone_we_handed_over_they_lack_is_missing() -> None:
    stranger = {"personal_id": "001190000001", "full_name": "Lê Thị Bình"}
    report = reconcile(theirs(stranger), ["personal_id", "full_name"], {}, [AN])
    assert [(m.kind, m.personal_id, m.full_name) for m in report.mismatches] == [
        ("not_here", "001190000001", "Lê Thị Bình"),
        ("missing", "079098000123", "Nguyễn Văn An"),
    ]
    assert report.mismatches[1].candidate_id == "an" and report.mismatches[1].row is None


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"personal_id": "79098000123"}, "12"),
        ({"personal_id": "003198000123"}, "003"),
        ({"personal_id": ""}, "12"),
        ({"personal_id": "079098000123", "ceremony_on": "22.06.2024"}, "ceremony_on"),
    ],
)
def test_an_id_or_a_date_that_cannot_be_read_is_invalid_with_its_row(row: dict[str, object], reason: str) -> None:
    report = reconcile(theirs(row), ["personal_id", "ceremony_on"], {"079098000123": AN}, [])
    [found] = report.mismatches
    assert found.kind == "invalid" and found.row == 2 and reason in (found.reason or "")


def test_an_id_listed_twice_is_invalid_the_second_time() -> None:
    report = reconcile(theirs(same_as_an(), same_as_an()), COLUMNS_THEY_HAVE, {"079098000123": AN}, [AN])
    assert [(m.kind, m.row) for m in report.mismatches] == [("invalid", 3)] and report.matched == 1


def test_a_spreadsheet_that_stored_the_id_as_a_number_gets_its_leading_zero_back() -> None:
    report = reconcile(theirs({"personal_id": 79098000123}), ["personal_id"], {"079098000123": AN}, [AN])
    assert report.clean


def test_admitted_and_recognised_are_judged_by_the_decision_dates_inside_the_period() -> None:
    raw = {
        "candidate_id": "an",
        "full_name": "An",
        "org_id": "c",
        "dates": {"decision_signed_on": "2023-12-31", "recognition_decided_on": "2024-12-31"},
    }
    assert handover_row(raw, date(2024, 1, 1), date(2024, 12, 31)).change == "member"  # not yet a full member
    raw["dates"] = {**raw["dates"], "full_member_since": "2024-12-20"}  # type: ignore[dict-item]
    assert handover_row(raw, date(2024, 1, 1), date(2024, 12, 31)).change == "recognised"
    assert handover_row(raw, date(2023, 12, 31), date(2024, 12, 31)).change == "admitted+recognised"
    assert handover_row(raw, None, date(2023, 12, 31)).change == "admitted"


def test_dates_are_read_in_iso_and_vietnamese_order_and_from_spreadsheet_cells() -> None:
    assert (
        parse_day("05/03/2024") == parse_day("2024-03-05") == parse_day(datetime(2024, 3, 5, 0, 0)) == date(2024, 3, 5)
    )
    assert parse_day("  ") is None
    with pytest.raises(ValueError):
        parse_day("31/02/2024")


@pytest.mark.parametrize("fmt", tabular.FORMATS)
def test_a_file_written_is_read_back_with_its_rows_numbered_as_a_person_sees_them(fmt: str) -> None:
    content = tabular.write(fmt, COLUMNS, [AN.cells(), AN.cells()])
    header, rows = tabular.read(content, fmt, f"x.{fmt}")
    assert header == list(COLUMNS)
    assert [r.number for r in rows] == [2, 3]
    assert rows[0].cells["personal_id"] == "079098000123" and rows[0].cells["full_name"] == "Nguyễn Văn An"
    assert parse_day(rows[0].cells["ceremony_on"]) == date(2024, 6, 22)


def test_unreadable_files_are_refused_with_the_file_named() -> None:
    with pytest.raises(InvalidInput, match=r"x\.xlsx"):
        tabular.read(b"not a zip", "xlsx", "x.xlsx")
    with pytest.raises(InvalidInput, match="UTF-8"):
        tabular.read("tên".encode("latin-1"), "csv", "x.csv")
    with pytest.raises(InvalidInput, match="twice"):
        tabular.read(b"a,a\n1,2\n", "csv", "x.csv")
    with pytest.raises(InvalidInput, match="empty"):
        tabular.read(b"", "csv", "x.csv")
