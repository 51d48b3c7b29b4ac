"""Import and export of the organisation tree on both databases: creation, audited differences effective on the
import's date, all or nothing, the same file twice, and export → import round trips."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from admission_flow.errors import InvalidFile
from admission_flow.flow import AdmissionFlow
from admission_flow.store.schema import ImportBatch, Org, OrgChange, OrgPeriod, table

JULY = date(2025, 7, 1)
CHANGES = table(OrgChange)
IMPORTS = table(ImportBatch)
BEFORE = (
    "id,parent,kind,name,has_youth_union,has_trade_union,contacts,authority,attributes\n"
    "bt,,province,Tỉnh ủy Bến Tre,false,false,,consent,\n"
    "bt.hu,bt,superior_committee,Huyện ủy Ba Tri,false,false,standing_board=Võ Văn Hùng <hung@example.vn>,"
    'admission;recognition,"{""code"": ""HU-01""}"\n'
    "bt.hu.xa,bt.hu,grassroots_committee,Đảng ủy xã An Đức,true,false,,,\n"
    "bt.hu.xa.c1,bt.hu.xa,cell,Chi bộ ấp 1,true,false,cell_secretary=Lê Thị Lan <lan@example.vn>,,\n"
)
AFTER = (
    "id,parent,kind,name,has_youth_union,has_trade_union,contacts,authority,attributes\n"
    "bt,,province,Tỉnh ủy Bến Tre,false,false,,consent,\n"
    "bt.hu,bt,superior_committee,Huyện ủy Ba Tri,false,false,standing_board=Võ Văn Hùng <hung@example.vn>,"
    ',"{""code"": ""HU-01""}"\n'
    "bt.xa,bt,commune_committee,Đảng ủy xã An Đức,false,false,,admission;recognition,\n"
    "bt.hu.xa,bt.xa,grassroots_committee,Đảng bộ cơ sở An Đức,true,false,,,\n"
    "bt.hu.xa.c1,bt.hu.xa,cell,Chi bộ ấp 1,true,false,cell_secretary=Lê Thị Lan <lan@example.vn>,,\n"
)


def count(flow: AdmissionFlow, table_: object) -> int:
    with flow.store.transaction(readonly=True) as uow:
        return int(uow.connection.execute(select(func.count()).select_from(table_)).scalar_one())  # type: ignore[arg-type]


def test_a_first_import_creates_the_tree_since_always_and_exports_back_the_same_text(flow: AdmissionFlow) -> None:
    report = flow.import_orgs(BEFORE, file_name="tree.csv")
    assert report.created == ["bt", "bt.hu", "bt.hu.xa", "bt.hu.xa.c1"]
    assert (report.changes, report.unchanged, report.seen_before) == ([], 0, False)
    assert flow.org("bt.hu").contacts == {"standing_board": [{"name": "Võ Văn Hùng", "email": "hung@example.vn"}]}
    assert flow.org("bt.hu").attributes == {"authority": ["admission", "recognition"], "code": "HU-01"}
    assert flow.export_orgs(format="csv") == BEFORE
    assert {o.id for o in flow.org_tree(as_of=date(1990, 1, 1))} == {"bt", "bt.hu", "bt.hu.xa", "bt.hu.xa.c1"}
    assert [c.change for c in flow.org_history("bt.hu")] == ["create"]


def test_the_same_file_twice_changes_nothing(flow: AdmissionFlow) -> None:
    flow.import_orgs(BEFORE, file_name="tree.csv")
    changes = count(flow, CHANGES)
    again = flow.import_orgs(BEFORE, file_name="tree.csv")
    assert (again.created, again.changes, again.unchanged, again.seen_before) == ([], [], 4, True)
    assert (count(flow, CHANGES), count(flow, IMPORTS)) == (changes, 1)


def test_an_edited_file_records_each_difference_effective_on_its_date(flow: AdmissionFlow) -> None:
    flow.import_orgs(BEFORE, file_name="before.csv")
    report = flow.import_orgs(AFTER, file_name="after.csv", effective_on=JULY, actor="btc")
    assert report.created == ["bt.xa"]
    assert report.changes == [
        {"org_id": "bt.hu", "change": "authority"},
        {"org_id": "bt.hu.xa", "change": "rename"},
        {"org_id": "bt.hu.xa", "change": "move"},
    ]
    assert report.unchanged == 2
    assert flow.org_as_of("bt.hu.xa", date(2025, 6, 30)).parent_id == "bt.hu"
    assert flow.org_as_of("bt.hu.xa", JULY).parent_id == "bt.xa"
    assert flow.org_as_of("bt.hu", date(2025, 6, 30)).attributes["authority"] == ["admission", "recognition"]
    assert "bt.xa" not in {o.id for o in flow.org_tree(as_of=date(2025, 6, 30))}  # new from the import's date
    assert [(c.change, c.actor) for c in flow.org_history("bt.hu.xa")] == [
        ("create", "import"),
        ("rename", "btc"),
        ("move", "btc"),
    ]
    assert flow.export_orgs() == AFTER


def test_a_file_with_problems_changes_nothing_and_names_every_line(flow: AdmissionFlow) -> None:
    flow.import_orgs(BEFORE, file_name="before.csv")
    bad = AFTER.replace("bt.xa,bt,commune", "bt.xa,nowhere,commune").replace(
        "bt.hu.xa.c1,bt.hu.xa,", "bt.hu.xa.c1,bt.hu.xa.c1,"
    )
    with pytest.raises(InvalidFile) as caught:
        flow.import_orgs(bad, file_name="bad.csv", effective_on=JULY)
    assert [(p.line, p.column) for p in caught.value.problems] == [(4, 2), (6, 2)]
    assert "unknown organisation 'nowhere'" in caught.value.problems[0].message_en
    assert "vòng lặp" in caught.value.problems[1].message_vi
    assert flow.export_orgs() == BEFORE
    assert count(flow, IMPORTS) == 1


def test_a_change_dated_before_an_organisations_present_period_rolls_the_whole_file_back(flow: AdmissionFlow) -> None:
    flow.import_orgs(BEFORE, file_name="before.csv")
    flow.rename_org("bt.hu.xa.c1", "Chi bộ ấp Một", effective_on=date(2025, 8, 1))
    with pytest.raises(InvalidFile) as caught:
        flow.import_orgs(AFTER, file_name="after.csv", effective_on=JULY)
    assert [p.line for p in caught.value.problems] == [6]
    assert "2025-08-01" in caught.value.problems[0].message_en
    assert flow.org("bt.hu.xa").parent_id == "bt.hu"
    assert "bt.xa" not in {o.id for o in flow.orgs()}


def test_yaml_export_as_of_a_date_imports_back_without_a_change(flow: AdmissionFlow) -> None:
    flow.import_orgs(BEFORE, file_name="before.csv")
    flow.import_orgs(AFTER, file_name="after.csv", effective_on=JULY)
    now = flow.export_orgs(format="yaml")
    assert flow.import_orgs(now, format="yaml", file_name="now.yaml").changes == []
    then = flow.export_orgs(format="yaml", as_of=date(2025, 6, 30))
    assert "Huyện ủy Ba Tri" in then and "bt.xa" not in then
    assert "admission" in then.split("id: bt.hu\n")[1].split("- id:")[0]


def test_a_caller_bound_to_a_subtree_may_import_only_inside_it(flow: AdmissionFlow) -> None:
    flow.import_orgs(BEFORE, file_name="before.csv")
    inside = BEFORE.replace("Chi bộ ấp 1", "Chi bộ ấp Một")
    with pytest.raises(InvalidFile) as caught:
        flow.import_orgs(inside + "bt.x,bt,cell,Chi bộ X,false,false,,,\n", within="bt.hu", effective_on=JULY)
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, 1), (6, 1)]
    assert all("outside" in p.message_en for p in caught.value.problems)
    lines = inside.splitlines(keepends=True)
    report = flow.import_orgs("".join(lines[:1] + lines[3:]), within="bt.hu", effective_on=JULY)
    assert report.changes == [{"org_id": "bt.hu.xa.c1", "change": "rename"}]
    moved_out = lines[0] + lines[4].replace("bt.hu.xa.c1,bt.hu.xa,", "bt.hu.xa.c1,bt,")
    with pytest.raises(InvalidFile):
        flow.import_orgs(moved_out, within="bt.hu", effective_on=JULY)
    cycle = lines[0] + lines[3].replace("bt.hu.xa,bt.hu,", "bt.hu.xa,bt.hu.xa.c1,") + lines[4]
    with pytest.raises(InvalidFile) as caught:
        flow.import_orgs(cycle, within="bt.hu", effective_on=JULY)
    assert "cycle" in caught.value.problems[0].message_en


@pytest.mark.parametrize("effective_on", [JULY, None])
def test_imported_organisations_get_the_rows_and_audit_of_organisations_created_one_by_one(
    flow: AdmissionFlow, effective_on: date | None
) -> None:
    """The first import writes its organisations in bulk; each gets the same ``orgs``, ``org_periods`` and
    ``create`` audit row as ``create_org`` writes (ids, instants and row numbers apart)."""
    made = [
        {"id": "one", "name": "Tỉnh ủy Một", "kind": "province", "attributes": {"authority": ["consent"]}},
        {"id": "one.hu", "name": "Huyện ủy", "kind": "superior_committee", "parent_id": "one"},
        {"id": "one.hu.c", "name": "Chi bộ ấp 1", "kind": "cell", "parent_id": "one.hu", "has_youth_union": True},
    ]
    for values in made:
        flow.create_org(effective_on=effective_on, actor="btc", **values)
    text = flow.export_orgs(within="one").replace("one", "two")
    report = flow.import_orgs(text, file_name="two.csv", effective_on=effective_on, actor="btc")
    assert report.created == ["two", "two.hu", "two.hu.c"]
    periods, orgs = table(OrgPeriod), table(Org)

    def rows(table_: Any, key: Any, prefix: str, leave: tuple[str, ...]) -> list[dict[str, Any]]:
        with flow.store.transaction(readonly=True) as uow:
            found = uow.connection.execute(select(table_).where(key.like(f"{prefix}%")).order_by(key)).all()
        kept = [{k: v for k, v in r._mapping.items() if k not in leave} for r in found]
        return [json.loads(json.dumps(r, default=str).replace(prefix, "x")) for r in kept]

    for table_, key, leave in (
        (CHANGES, CHANGES.c.org_id, ("id", "recorded_at")),
        (periods, periods.c.org_id, ("id",)),
        (orgs, orgs.c.id, ("created_at",)),
    ):
        assert rows(table_, key, "two", leave) == rows(table_, key, "one", leave)
        assert len(rows(table_, key, "two", leave)) == 3


def test_a_dated_import_under_a_parent_that_did_not_exist_yet_changes_nothing(flow: AdmissionFlow) -> None:
    flow.create_org(id="late", name="Tỉnh ủy", kind="province", effective_on=date(2025, 8, 1))
    text = "id,parent,kind,name\nlate.hu,late,superior_committee,Huyện ủy\nlate.hu.c,late.hu,cell,Chi bộ\n"
    with pytest.raises(InvalidFile) as refused:
        flow.import_orgs(text, file_name="early.csv", effective_on=JULY)
    assert [(p.line, "did not exist yet on 2025-07-01" in p.message_en) for p in refused.value.problems] == [(2, True)]
    assert [o.id for o in flow.orgs()] == ["late"]
    flow.import_orgs(text, file_name="early.csv", effective_on=date(2025, 8, 1))
    assert [o.id for o in flow.orgs()] == ["late", "late.hu", "late.hu.c"]
