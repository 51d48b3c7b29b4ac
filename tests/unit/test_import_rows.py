"""Bulk import without a database: the mapping file's parser and the row checker (engine/import_rows.py), which
replays a row's paper history through the workflow's own ``decide`` on the paper dates."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from admission_flow.calendar import WorkingCalendar
from admission_flow.domain.import_mapping import ImportMapping, Rejection, parse_mapping
from admission_flow.domain.stored import OrgNode
from admission_flow.engine.catalog import Catalog
from admission_flow.engine.import_rows import Accepted, RowContext, check_row, parse_date
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.engine.timing import TimeRules
from admission_flow.errors import InvalidInput, NotFound
from admission_flow.guards import default_registry
from admission_flow.services.imports import org_places

ROOT = Path(__file__).resolve().parents[2]
MAPPING = yaml.safe_load((ROOT / "examples" / "import" / "mapping.yaml").read_text(encoding="utf-8"))
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
RULES = TimeRules(ZoneInfo("Asia/Ho_Chi_Minh"), time(8, 0), WorkingCalendar())
ORGS = [
    OrgNode("ks", None, "superior_committee", "Huyện ủy", False, False, {"authority": ["admission", "recognition"]}),
    OrgNode("ks.anmy", "ks", "grassroots_committee", "Đảng ủy xã", False, False, {}),
    OrgNode("ks.anmy.ap1", "ks.anmy", "cell", "Chi bộ ấp", True, False, {}),
]
GOOD = {
    "Mã hồ sơ": "A-1",
    "Họ và tên": "Nguyễn Văn An",
    "Mã chi bộ": "ks.anmy.ap1",
    "Ngày sinh": "12/03/1995",
    "Giới tính": "Nam",
    "Trình độ học vấn": "12/12",
    "Đoàn viên": "x",
    "Số định danh cá nhân": "094095001234",
}
HISTORY_2019 = {
    "Ngày vào danh sách cảm tình": "05/01/2019",
    "Ngày cấp GCN nhận thức về Đảng": "20/04/2019",
    "Ngày chi bộ xét kết nạp": "10/06/2019",
    "Ngày ký quyết định kết nạp": "15/07/2019",
    "Ngày chi bộ nhận quyết định": "18/07/2019",
    "Ngày kết nạp": "02/08/2019",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.from_folder(ROOT / "workflows", default_registry())


@pytest.fixture(scope="module")
def mapping() -> ImportMapping:
    return parse_mapping(MAPPING)


def context(catalog: Catalog, mapping: ImportMapping) -> RowContext:
    earliest = catalog.get("standard", "2021")

    def on(day: date) -> tuple[CompiledWorkflow, bool]:
        try:
            return catalog.in_force("standard", day), True
        except NotFound:
            return earliest, False

    index = {h: i for i, h in enumerate(mapping.headers)}
    return RowContext(mapping, index, on, org_places(ORGS), RULES, NOW, NOW.date(), "paper.csv")


def row(mapping: ImportMapping, **cells: str) -> Sequence[Any]:
    values = {**GOOD, **cells}
    return [values.get(h) for h in mapping.headers]


def check(catalog: Catalog, mapping: ImportMapping, **cells: str) -> Accepted | list[Rejection]:
    return check_row(context(catalog, mapping), 7, row(mapping, **cells))


def codes(found: Accepted | list[Rejection]) -> list[tuple[str, str]]:
    assert isinstance(found, list), "the row was accepted"
    assert all(r.row == 7 and r.en and r.vi for r in found)
    return [(r.column, r.code) for r in found]


# ---------------------------------------------------------------- the mapping file


def test_the_example_mapping_parses(mapping: ImportMapping) -> None:
    assert mapping.workflow == "standard"
    assert mapping.columns["personal_id"] == "Số định danh cá nhân"
    assert [s.trigger for s in mapping.history][:3] == [
        "admit_to_sympathizer_list",
        "issue_awareness_certificate",
        "branch_vote_passed",
    ]
    branch = mapping.history[2]
    assert branch.votes is not None and branch.votes.in_favour == 8
    assert [p.kind for p in branch.papers] == ["branch_resolution", "introduction", "introduction"]
    assert branch.papers[1].attributes["together_since"] == "2000-01-01"  # YAML dates kept as ISO text
    assert mapping.values["sex"] == {"nam": "male", "nữ": "female"}  # cell text compared case-folded


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"workflow": None}, "workflow: a workflow id is required"),
        ({"columns": {"full_name": "Tên"}}, "columns.id: required"),
        ({"columns": {**MAPPING["columns"], "shoe_size": "Cỡ giày"}}, "columns.shoe_size: not a candidate field"),
        ({"date_formats": ["dd/mm/yyyy"]}, "date_formats: a list of strptime formats"),
        ({"history": [{"step": "hold_ceremony"}]}, "history[0]: needs step (a trigger) and column"),
        ({"history": [{"step": "x", "column": "Họ và tên"}]}, "the column 'Họ và tên' is mapped twice"),
        ({"colums": {}}, "colums: unknown key"),
        ({"history": [{"step": "x", "column": "C", "votes": {"in_favour": "8"}}]}, "history[0].votes"),
    ],
)
def test_a_wrong_mapping_is_refused_naming_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse_mapping({**MAPPING, **change}, "m.yaml")


def test_dates_are_read_in_the_mappings_formats() -> None:
    formats = ("%d/%m/%Y", "%Y-%m-%d")
    assert parse_date("05/01/2019", formats) == date(2019, 1, 5)
    assert parse_date("2019-01-05", formats) == date(2019, 1, 5)
    assert parse_date(datetime(2019, 1, 5, 0, 0), formats) == date(2019, 1, 5)  # an XLSX date cell
    assert parse_date("31/02/2019", formats) is None
    assert parse_date("5 Jan 2019", formats) is None
    assert parse_date("Jan 5 2019", ("%b %d %Y",)) == date(2019, 1, 5)  # any strptime format still works


# ---------------------------------------------------------------- the person


def test_a_good_row_becomes_the_rows_to_insert(catalog: Catalog, mapping: ImportMapping) -> None:
    found = check(catalog, mapping, **HISTORY_2019)
    assert isinstance(found, Accepted)
    assert found.candidate["sex"] == "male" and found.candidate["education"] == "upper_secondary"
    assert found.candidate["youth_union_member"] is True and found.candidate["personal_id"] == "094095001234"
    assert found.instance["state"] == "probationary"
    assert [e["trigger"] for e in found.events] == [
        "add_to_source_plan",
        "admit_to_sympathizer_list",
        "issue_awareness_certificate",
        "branch_vote_passed",
        "decide_admission",
        "receive_decision",
        "hold_ceremony",
    ]
    assert [e["seq"] for e in found.events] == list(range(1, 8))
    assert all(e["payload"]["imported"]["row"] == 7 for e in found.events)
    assert found.instance["dates"]["probation_end_on"] == "2020-08-02"


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"Ngày sinh": "1995-13-01"}, [("Ngày sinh", "bad_date")]),
        ({"Giới tính": "?"}, [("Giới tính", "bad_value")]),
        ({"Đoàn viên": "maybe"}, [("Đoàn viên", "bad_value")]),
        ({"Trình độ học vấn": "lớp 5"}, [("Trình độ học vấn", "bad_value")]),
        ({"Số định danh cá nhân": "12345"}, [("Số định danh cá nhân", "personal_id_format")]),
        ({"Số định danh cá nhân": "094085001234"}, [("Số định danh cá nhân", "personal_id_birth_year")]),
        ({"Mã chi bộ": "nowhere"}, [("Mã chi bộ", "unknown_org")]),
        ({"Họ và tên": ""}, [("Họ và tên", "bad_value")]),
    ],
)
def test_a_bad_person_is_rejected_at_its_column(
    catalog: Catalog, mapping: ImportMapping, cells: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    assert codes(check(catalog, mapping, **HISTORY_2019, **cells)) == expected


# ---------------------------------------------------------------- the history, by the rules in force then


def test_a_2019_row_is_judged_by_the_2021_rules_and_says_so(catalog: Catalog, mapping: ImportMapping) -> None:
    found = check(catalog, mapping, **HISTORY_2019)
    assert isinstance(found, Accepted)
    assert found.instance["workflow_version"] == "2021"
    assert "none was in force on 2019-01-05" in found.events[0]["payload"]["imported"]["rules"]


def test_a_2025_row_is_judged_by_the_revised_2025_rules(catalog: Catalog, mapping: ImportMapping) -> None:
    found = check(catalog, mapping, **{"Ngày vào danh sách cảm tình": "03/08/2025"})
    assert isinstance(found, Accepted)
    assert found.instance["workflow_version"] == "2025.1" and found.instance["state"] == "sympathizer"
    assert "rules" not in found.events[0]["payload"]["imported"]


def test_a_ceremony_after_30_working_days_is_rejected(catalog: Catalog, mapping: ImportMapping) -> None:
    late = {**HISTORY_2019, "Ngày kết nạp": "20/09/2019"}  # 45 working days after the decision was received
    assert codes(check(catalog, mapping, **late)) == [("Ngày kết nạp", "date_past_limit")]


def test_recognition_before_twelve_months_of_probation_is_rejected(catalog: Catalog, mapping: ImportMapping) -> None:
    early = {**HISTORY_2019, "Ngày công nhận chính thức": "01/05/2020"}
    assert codes(check(catalog, mapping, **early)) == [("Ngày công nhận chính thức", "date_too_early")]


def test_recognition_after_probation_makes_a_full_member(catalog: Catalog, mapping: ImportMapping) -> None:
    found = check(catalog, mapping, **HISTORY_2019, **{"Ngày công nhận chính thức": "10/08/2020"})
    assert isinstance(found, Accepted) and found.instance["state"] == "full_member"


def test_paper_dates_going_backwards_are_rejected(catalog: Catalog, mapping: ImportMapping) -> None:
    found = codes(check(catalog, mapping, **{**HISTORY_2019, "Ngày ký quyết định kết nạp": "01/06/2019"}))
    assert found == [("Ngày ký quyết định kết nạp", "date_order")]


def test_a_candidate_under_18_at_the_cell_vote_is_rejected(catalog: Catalog, mapping: ImportMapping) -> None:
    young = {**HISTORY_2019, "Ngày sinh": "12/03/2002", "Số định danh cá nhân": "094302001234", "Giới tính": "Nữ"}
    assert codes(check(catalog, mapping, **young)) == [("Ngày chi bộ xét kết nạp", "age_below_minimum")]


def test_a_missing_step_is_done_on_paper_but_later_guards_still_read_its_date(
    catalog: Catalog, mapping: ImportMapping
) -> None:
    """Without the certificate's date, the cell vote's certificate guard has nothing to read: rejected there."""
    found = codes(check(catalog, mapping, **{**HISTORY_2019, "Ngày cấp GCN nhận thức về Đảng": ""}))
    assert found == [("Ngày chi bộ xét kết nạp", "awareness_certificate_missing")]


def test_the_final_stay_gets_its_deadlines_projected_from_the_paper_dates(
    catalog: Catalog, mapping: ImportMapping
) -> None:
    found = check(catalog, mapping, **HISTORY_2019)
    assert isinstance(found, Accepted)
    deadlines = {t["deadline_id"]: t for t in found.timers if t["rung"] == 0}
    assert deadlines["probation_end"]["due_on"] == date(2020, 8, 2)
    assert deadlines["probation_end"]["status"] == "pending"  # the deadline itself is still due (overdue)
    assert all(t["state"] == "probationary" for t in found.timers)
    assert any(t["status"] == "skipped" for t in found.timers if t["rung"] > 0)  # reminders long past
