"""Reading and writing the organisation tree as CSV and YAML, without a database: every problem at its line (and
column for CSV) in Vietnamese and English, and what is written reads back to the same organisations."""

from __future__ import annotations

import pytest

from admission_flow.domain.org_history import classify
from admission_flow.domain.records import OrgRecord
from admission_flow.services.org_files import read, read_csv, read_yaml, tree_order, write

HEADER = "id,parent,kind,name,has_youth_union,has_trade_union,contacts,authority,attributes\n"
ORGS = [
    OrgRecord("p", "Tỉnh ủy", "province", None, False, False, {}, {"authority": ["consent"]}),
    OrgRecord(
        "p.c", "Đảng ủy xã, \"mới\"", "commune_committee", "p", True, False,
        {"secretary": [{"name": "Lê Văn A", "email": "a@example.vn"}, {"name": "Hồ B", "email": "b@example.vn"}]},
        {"authority": ["admission", "recognition"], "code": "X-01", "size": 3},
    ),
    OrgRecord("p.c.1", "Chi bộ 1", "cell", "p.c", False, True, {}, {}),
]  # fmt: skip


def records(rows: list[dict[str, object]]) -> list[OrgRecord]:
    return [OrgRecord(**{k: v for k, v in r.items()}) for r in rows]  # type: ignore[arg-type]


@pytest.mark.parametrize("format", ["csv", "yaml"])
def test_what_is_written_reads_back_to_the_same_organisations_and_the_same_text(format: str) -> None:
    text = write(list(reversed(ORGS)), format)
    reading = read(text, format, "tree")
    assert reading.problems == []
    assert records([row.values for row in reading.rows]) == ORGS  # parents first, whatever the order given
    assert write(records([row.values for row in reading.rows]), format) == text


def test_csv_problems_name_line_and_column_in_both_languages() -> None:
    text = HEADER + (
        "a,,province,Tỉnh,maybe,no,,admission,\n"
        "b,a,planet,Chi bộ,no,no,secretary=Lê <not-an-email>,,\n"
        "c,a,cell,,no,no,boss: X,judge,{oops\n"
    )
    problems = sorted(read_csv(text, "t.csv").problems)
    found = [(p.line, p.column, p.message_en.split(":")[0]) for p in problems]
    assert found == [
        (2, 5, "has_youth_union"),
        (3, 3, "kind"),
        (3, 7, "contacts"),
        (4, 4, "name"),
        (4, 7, "contacts"),
        (4, 8, "authority"),
        (4, 9, "attributes"),
    ]
    assert all(p.message_vi and p.message_vi != p.message_en for p in problems)
    assert str(problems[0]).startswith("t.csv:2:5: has_youth_union")


def test_a_csv_with_unknown_or_missing_columns_is_refused_at_the_header() -> None:
    problems = sorted(read_csv("id,parent,colour\nx,,red\n", "t.csv").problems)
    assert [(p.line, p.column) for p in problems] == [(1, 0), (1, 0), (1, 3)]
    assert "colour" in problems[-1].message_en


def test_yaml_problems_name_the_line_of_the_value() -> None:
    text = (
        "orgs:\n  - id: a\n    kind: province\n    name: Tỉnh\n  - id: b\n    kind: cell\n    name: ''\n    wings: 2\n"
    )
    problems = sorted(read_yaml(text, "t.yaml").problems)
    assert [(p.line, p.message_en.split(":")[0]) for p in problems] == [
        (7, "name"),
        (8, "unknown field 'wings' (fields"),
    ]


def test_attributes_may_not_carry_the_powers_or_the_dissolution_marks() -> None:
    text = HEADER + 'a,,province,Tỉnh,no,no,,,"{""dissolved_on"": ""2025-07-01""}"\n'
    problems = read_csv(text, "t.csv").problems
    assert [(p.line, p.column) for p in problems] == [(2, 9)]


def test_tree_order_puts_parents_first_and_treats_an_absent_parent_as_a_root() -> None:
    orphan = OrgRecord("z", "Z", "cell", "gone", False, False, {}, {})
    assert [o.id for o in tree_order([ORGS[2], orphan, ORGS[1], ORGS[0]])] == ["p", "p.c", "p.c.1", "z"]


def test_differences_split_into_rename_move_authority_and_update() -> None:
    before = {
        "parent_id": "p", "name": "A", "kind": "cell", "has_youth_union": False, "has_trade_union": False,
        "contacts": {}, "attributes": {"authority": ["admission"], "code": 1},
    }  # fmt: skip
    after = {**before, "name": "B", "parent_id": "q", "attributes": {"code": 2}, "has_trade_union": True}
    assert classify(before, after) == [
        ("rename", {"name": "A"}, {"name": "B"}),
        ("move", {"parent_id": "p"}, {"parent_id": "q"}),
        ("authority", {"authority": ["admission"]}, {"authority": []}),
        (
            "update",
            {"has_trade_union": False, "attributes": {"code": 1}},
            {"has_trade_union": True, "attributes": {"code": 2}},
        ),
    ]
    assert classify(before, dict(before)) == []
