"""Organisations over time, on both databases: the July 2025 reorganisation, merges, and every refusal at its
boundary.

The tree before 1/7/2025: province ``bt`` → district ``bt.hu`` (holds ``admission``) → grassroots committee
``bt.hu.xa`` → cells ``bt.hu.xa.c1`` and ``bt.hu.xa.c2``. On 1/7/2025 the grassroots committee moves under the new
commune committee ``bt.xa`` (which takes ``admission``) and the district is dissolved.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from helpers import migrated_flow
from sqlalchemy import select

from admission_flow.errors import NotFound, OrgChangeRefused
from admission_flow.flow import AdmissionFlow
from admission_flow.store.orgs import subtree_ids_as_of
from admission_flow.store.schema import OrgPeriod, table
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import drive

JULY = date(2025, 7, 1)
EVE = JULY - timedelta(days=1)
PERIODS = table(OrgPeriod)
TREE = [
    {"id": "bt", "name": "Tỉnh ủy Bến Tre", "kind": "province", "attributes": {"authority": ["consent"]}},
    {"id": "bt.hu", "name": "Huyện ủy Ba Tri", "kind": "superior_committee", "parent_id": "bt"},
    {"id": "bt.hu.xa", "name": "Đảng ủy xã An Đức", "kind": "grassroots_committee", "parent_id": "bt.hu"},
    {"id": "bt.hu.xa.c1", "name": "Chi bộ ấp 1", "kind": "cell", "parent_id": "bt.hu.xa"},
    {"id": "bt.hu.xa.c2", "name": "Chi bộ ấp 2", "kind": "cell", "parent_id": "bt.hu.xa"},
]


@pytest.fixture
def tree(database_url: str, clock: ManualClock) -> Iterator[AdmissionFlow]:
    """The tree before July 2025 (since always), the district holding ``admission`` from 1/1/2020."""
    flow = migrated_flow(database_url, clock)
    for org in TREE:
        flow.add_org(**org)
    flow.set_org_authority("bt.hu", grant=["admission"], effective_on=date(2020, 1, 1), actor="btc")
    yield flow
    assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"
    flow.close()


def subtree_then(flow: AdmissionFlow, root: str, on: date) -> set[str]:
    with flow.store.transaction(readonly=True) as uow:
        return {row[0] for row in uow.connection.execute(subtree_ids_as_of(root, on))}


def admission_body(flow: AdmissionFlow, candidate_id: str) -> str | None:
    found = [c for c in flow.competent(candidate_id) if c["power"] == "admission"]
    assert found, "the candidate should be waiting for an admission decision"
    org = found[0]["org"]
    return None if org is None else str(org.id)


def reorganise(flow: AdmissionFlow) -> None:
    flow.create_org(
        id="bt.xa", name="Đảng ủy xã An Đức (mới)", kind="commune_committee", parent_id="bt", effective_on=JULY
    )
    flow.move_org("bt.hu.xa", "bt.xa", effective_on=JULY, actor="btc", note="Quy định 294-QĐ/TW")
    flow.set_org_authority("bt.xa", grant=["admission"], effective_on=JULY, actor="btc")
    flow.set_org_authority("bt.hu", withdraw=["admission"], effective_on=JULY, actor="btc")
    flow.dissolve_org("bt.hu", effective_on=JULY, actor="btc")


def refused(call: object) -> OrgChangeRefused:
    with pytest.raises(OrgChangeRefused) as caught:
        call()  # type: ignore[operator]
    return caught.value


# -------------------------------------------------------------------- July 2025


def test_july_2025_open_dossier_follows_the_commune_and_past_subtrees_keep_the_cells(tree: AdmissionFlow) -> None:
    tree.add_candidate(
        id="an", full_name="Nguyễn Văn An", org_id="bt.hu.xa.c1", birth_date=date(1995, 5, 15),
        education="university", workflow="standard@2025",
    )  # fmt: skip
    assert drive(tree, "an", date(2025, 1, 1), until="awaiting_admission_decision").state == (
        "awaiting_admission_decision"
    )
    assert admission_body(tree, "an") == "bt.hu"  # before the change is recorded: the district

    reorganise(tree)

    assert admission_body(tree, "an") == "bt.xa"  # after: the commune committee
    cells = {"bt.hu.xa", "bt.hu.xa.c1", "bt.hu.xa.c2"}
    assert subtree_then(tree, "bt.hu", EVE) == {"bt.hu", *cells}
    assert subtree_then(tree, "bt.hu", JULY) == {"bt.hu"}
    assert subtree_then(tree, "bt.xa", JULY) == {"bt.xa", *cells}
    assert subtree_then(tree, "bt.xa", EVE) == {"bt.xa"}  # the commune did not exist yet
    assert {o.id for o in tree.org_tree(as_of=EVE)} == {o["id"] for o in TREE}
    assert {o.id for o in tree.org_tree()} == {"bt", "bt.xa", *cells}  # the district is gone from the present
    assert tree.org_as_of("bt.hu.xa", EVE).parent_id == "bt.hu"
    assert tree.org_as_of("bt.hu", EVE).attributes == {"authority": ["admission"]}
    assert tree.org_as_of("bt.hu", date(2019, 12, 31)).attributes == {}
    with pytest.raises(NotFound):
        tree.org_as_of("bt.xa", EVE)
    assert tree.org("bt.hu").attributes == {"dissolved_on": "2025-07-01"}


def test_history_lists_each_change_with_before_after_and_actor(tree: AdmissionFlow) -> None:
    reorganise(tree)
    moves = tree.org_history("bt.hu.xa")
    assert [(c.change, c.effective_on, c.before, c.after, c.actor, c.note) for c in moves] == [
        ("move", JULY, {"parent_id": "bt.hu"}, {"parent_id": "bt.xa"}, "btc", "Quy định 294-QĐ/TW")
    ]
    district = tree.org_history("bt.hu")
    assert [(c.change, c.effective_on, c.before, c.after) for c in district] == [
        ("authority", date(2020, 1, 1), {"authority": []}, {"authority": ["admission"]}),
        ("authority", JULY, {"authority": ["admission"]}, {"authority": []}),
        ("dissolve", JULY, {}, {"dissolved_on": "2025-07-01"}),
    ]
    assert [c.change for c in tree.org_history("bt.xa")] == ["create", "authority"]


def test_each_change_closes_the_open_period_and_opens_one_from_its_date(tree: AdmissionFlow) -> None:
    tree.rename_org("bt.hu.xa.c1", "Chi bộ ấp Một", effective_on=date(2024, 3, 1))
    with tree.store.transaction(readonly=True) as uow:
        rows = uow.connection.execute(
            select(PERIODS.c.valid_from, PERIODS.c.valid_until, PERIODS.c.name)
            .where(PERIODS.c.org_id == "bt.hu.xa.c1")
            .order_by(PERIODS.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (None, date(2024, 3, 1), "Chi bộ ấp 1"),
        (date(2024, 3, 1), None, "Chi bộ ấp Một"),
    ]
    assert tree.org_as_of("bt.hu.xa.c1", date(2024, 2, 29)).name == "Chi bộ ấp 1"
    assert tree.org_as_of("bt.hu.xa.c1", date(2024, 3, 1)).name == "Chi bộ ấp Một"
    assert tree.org("bt.hu.xa.c1").name == "Chi bộ ấp Một"


# -------------------------------------------------------------------- merge


def test_a_merge_moves_children_and_only_candidates_with_an_open_attempt(tree: AdmissionFlow) -> None:
    tree.add_org(id="bt.hu.xa.c1.t1", name="Tổ đảng 1", kind="cell", parent_id="bt.hu.xa.c1")
    for cid in ("open1", "open2", "closed"):
        tree.add_candidate(id=cid, full_name="Trần Thị Bình", org_id="bt.hu.xa.c1", workflow="standard@2025")
    tree.fire("closed", "withdraw", on=date(2025, 2, 1))

    change = tree.merge_org("bt.hu.xa.c1", "bt.hu.xa.c2", effective_on=JULY, actor="btc")

    assert change.after == {
        "dissolved_on": "2025-07-01",
        "merged_into": "bt.hu.xa.c2",
        "children_moved": ["bt.hu.xa.c1.t1"],
        "candidates_moved": ["open1", "open2"],
    }
    assert [tree.candidate(c).org_id for c in ("open1", "open2", "closed")] == ["bt.hu.xa.c2"] * 2 + ["bt.hu.xa.c1"]
    assert tree.org("bt.hu.xa.c1.t1").parent_id == "bt.hu.xa.c2"
    assert tree.org_as_of("bt.hu.xa.c1.t1", EVE).parent_id == "bt.hu.xa.c1"
    assert tree.org("bt.hu.xa.c1").attributes["merged_into"] == "bt.hu.xa.c2"
    assert "bt.hu.xa.c1" in subtree_then(tree, "bt.hu.xa", EVE)
    assert "bt.hu.xa.c1" not in subtree_then(tree, "bt.hu.xa", JULY)
    assert [c.change for c in tree.org_history("bt.hu.xa.c1.t1")] == ["move"]


def test_a_merge_into_itself_its_subtree_an_unknown_or_a_dissolved_org_is_refused(tree: AdmissionFlow) -> None:
    assert refused(lambda: tree.merge_org("bt.hu.xa", "bt.hu.xa", effective_on=JULY)).reason == "merge_into_self"
    assert refused(lambda: tree.merge_org("bt.hu.xa", "bt.hu.xa.c1", effective_on=JULY)).reason == (
        "merge_into_subtree"
    )
    with pytest.raises(NotFound):
        tree.merge_org("bt.hu.xa.c1", "nowhere", effective_on=JULY)
    tree.dissolve_org("bt.hu.xa.c2", effective_on=JULY)
    assert refused(lambda: tree.merge_org("bt.hu.xa.c1", "bt.hu.xa.c2", effective_on=JULY)).reason == ("org_dissolved")
    assert refused(lambda: tree.rename_org("bt.hu.xa.c2", "X", effective_on=JULY)).reason == "org_dissolved"


# -------------------------------------------------------------------- refusals at their boundaries


def test_the_effective_date_may_equal_the_open_periods_start_but_not_precede_it(tree: AdmissionFlow) -> None:
    tree.rename_org("bt.hu.xa", "Đảng ủy xã An Đức mới", effective_on=JULY)
    tree.rename_org("bt.hu.xa", "Đảng ủy xã An Đức", effective_on=JULY)  # the same day: fine
    error = refused(lambda: tree.rename_org("bt.hu.xa", "Khác", effective_on=EVE))
    assert error.reason == "effective_before_period"
    assert error.values == {"org": "bt.hu.xa", "effective_on": "2025-06-30", "period_from": "2025-07-01"}
    assert tree.org_as_of("bt.hu.xa", JULY).name == "Đảng ủy xã An Đức"
    assert tree.org_as_of("bt.hu.xa", EVE).name == "Đảng ủy xã An Đức"  # the start of time's period


def test_an_effective_date_after_today_is_refused_and_today_is_accepted(tree: AdmissionFlow) -> None:
    today = tree.today()
    error = refused(lambda: tree.rename_org("bt.hu.xa.c2", "Sau", effective_on=today + timedelta(days=1)))
    assert error.reason == "effective_in_future"
    assert "future" in error.message_en and "tương lai" in error.message_vi
    assert tree.rename_org("bt.hu.xa.c2", "Hôm nay", effective_on=today).effective_on == today


def test_a_move_under_its_own_subtree_or_itself_is_a_cycle(tree: AdmissionFlow) -> None:
    assert refused(lambda: tree.move_org("bt.hu", "bt.hu.xa.c1", effective_on=JULY)).reason == "move_cycle"
    assert refused(lambda: tree.move_org("bt.hu", "bt.hu", effective_on=JULY)).reason == "move_cycle"
    assert tree.org("bt.hu").parent_id == "bt"


def test_a_move_under_an_org_that_did_not_exist_yet_on_the_date_is_refused(tree: AdmissionFlow) -> None:
    tree.create_org(id="bt.new", name="Đảng ủy mới", kind="commune_committee", parent_id="bt", effective_on=JULY)
    assert refused(lambda: tree.move_org("bt.hu.xa", "bt.new", effective_on=EVE)).reason == "target_not_yet"
    assert tree.move_org("bt.hu.xa", "bt.new", effective_on=JULY).after == {"parent_id": "bt.new"}


def test_dissolving_an_org_with_children_or_running_candidates_is_refused(tree: AdmissionFlow) -> None:
    assert refused(lambda: tree.dissolve_org("bt.hu.xa", effective_on=JULY)).reason == "has_children"
    tree.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="bt.hu.xa.c1", workflow="standard@2025")
    assert refused(lambda: tree.dissolve_org("bt.hu.xa.c1", effective_on=JULY)).reason == "has_open_candidates"
    tree.fire("an", "withdraw", on=date(2025, 3, 1))
    assert tree.dissolve_org("bt.hu.xa.c1", effective_on=JULY).change == "dissolve"


def test_a_change_that_changes_nothing_is_refused_and_writes_nothing(tree: AdmissionFlow) -> None:
    before = tree.org_history("bt.hu")
    assert refused(lambda: tree.rename_org("bt.hu", "Huyện ủy Ba Tri", effective_on=JULY)).reason == (
        "nothing_to_change"
    )
    assert refused(lambda: tree.set_org_authority("bt.hu", grant=["admission"])).reason == "nothing_to_change"
    assert tree.org_history("bt.hu") == before


def test_a_caller_bound_to_a_subtree_cannot_change_or_move_into_what_lies_outside(tree: AdmissionFlow) -> None:
    with pytest.raises(NotFound):
        tree.rename_org("bt.hu", "X", effective_on=JULY, within="bt.hu.xa")
    with pytest.raises(NotFound):
        tree.move_org("bt.hu.xa.c1", "bt", effective_on=JULY, within="bt.hu.xa")
    tree.move_org("bt.hu.xa.c1", "bt.hu.xa.c2", effective_on=JULY, within="bt.hu.xa")


def test_plain_updates_of_contacts_and_kind_are_audited(tree: AdmissionFlow) -> None:
    contacts = {"cell_secretary": [{"name": "Lê Văn Cường", "email": "cuong@example.vn"}]}
    change = tree.update_org("bt.hu.xa.c1", contacts=contacts, has_youth_union=True, effective_on=JULY)
    assert (change.change, change.before, change.after) == (
        "update",
        {"contacts": {}, "has_youth_union": False},
        {"contacts": contacts, "has_youth_union": True},
    )
    assert tree.org("bt.hu.xa.c1").contacts == contacts
    tree.update_org("bt.hu.xa", kind="grassroots_cell", effective_on=JULY)
    assert tree.org_as_of("bt.hu.xa", EVE).kind == "grassroots_committee"
    assert tree.org_as_of("bt.hu.xa", JULY).kind == "grassroots_cell"
