"""The dashboard's people and pages through the facade, on SQLite and PostgreSQL: accounts, sign-in throttling,
sessions, and My work and the boards counting only the signed-in person's subtree."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from admission_flow.domain.web import UserRecord
from admission_flow.errors import InvalidInput, NotFound, Unauthenticated
from admission_flow.flow import AdmissionFlow
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

PASSWORD = "a long enough password"
PERSON = {"birth_date": date(1995, 5, 15), "education": "university"}


def person(flow: AdmissionFlow, login: str, org_id: str, roles: list[str]) -> UserRecord:
    return flow.add_user(login=login, display_name=login, org_id=org_id, roles=roles, password=PASSWORD)


@pytest.fixture
def tree(flow: AdmissionFlow) -> AdmissionFlow:
    """The sample tree with three candidates: ``vote`` waits for the cell's vote (ks.anmy.ap1), ``decide`` for
    the admission decision of ks due on 2026-01-21 (ks.anmy.ap2), ``far`` is a prospect of ks.thpt."""
    add_sample_orgs(flow)
    flow.add_candidate(id="vote", full_name="Vote", org_id="ks.anmy.ap1", workflow="standard@2021", **PERSON)
    drive(flow, "vote", date(2025, 9, 2), until="awaiting_branch_vote")
    flow.add_candidate(id="decide", full_name="Decide", org_id="ks.anmy.ap2", workflow="standard@2025", **PERSON)
    drive(flow, "decide", date(2025, 7, 2), until="awaiting_admission_decision")
    flow.add_candidate(id="far", full_name="Far", org_id="ks.thpt.gv.toan", workflow="standard@2021", **PERSON)
    return flow


def test_web_five_failed_sign_ins_lock_an_account_for_fifteen_minutes(flow: AdmissionFlow, clock: ManualClock) -> None:
    add_sample_orgs(flow)
    person(flow, "thu", "ks.anmy", ["cell"])
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            flow.sign_in("thu", "wrong password")
    with pytest.raises(Unauthenticated) as locked:
        flow.sign_in("thu", PASSWORD)  # the right password, refused while locked
    with pytest.raises(Unauthenticated) as unknown:
        flow.sign_in("nobody", PASSWORD)
    assert str(locked.value) == str(unknown.value)  # the answer never tells a lock from an unknown login
    clock.advance(timedelta(minutes=15))
    _, secret = flow.sign_in("thu", PASSWORD)
    assert flow.web_session(secret).user.login == "thu"
    assert [u.failed_sign_ins for u in flow.users()] == [0]


def test_web_signing_out_disabling_resetting_and_expiry_end_sessions(flow: AdmissionFlow, clock: ManualClock) -> None:
    add_sample_orgs(flow)
    person(flow, "thu", "ks.anmy", ["cell"])
    _, first = flow.sign_in("thu", PASSWORD)
    _, second = flow.sign_in("thu", PASSWORD)
    flow.sign_out(first)
    with pytest.raises(Unauthenticated):
        flow.web_session(first)
    assert flow.web_session(second).user.login == "thu"
    flow.disable_user("thu")
    with pytest.raises(Unauthenticated):
        flow.web_session(second)
    with pytest.raises(Unauthenticated):
        flow.sign_in("thu", PASSWORD)
    flow.disable_user("thu", disabled=False)
    new_password = flow.reset_user_password("thu")
    _, third = flow.sign_in("thu", new_password)
    clock.advance(timedelta(hours=12))
    with pytest.raises(Unauthenticated):
        flow.web_session(third)


def test_web_accounts_need_a_known_organisation_known_roles_a_free_login_and_a_long_password(
    flow: AdmissionFlow,
) -> None:
    add_sample_orgs(flow)
    person(flow, "thu", "ks.anmy", ["cell"])
    with pytest.raises(NotFound):
        person(flow, "lan", "nowhere", ["cell"])
    with pytest.raises(InvalidInput, match="no workflow has 'pope'"):
        person(flow, "lan", "ks", ["pope"])
    with pytest.raises(InvalidInput, match="taken"):
        person(flow, "thu", "ks", ["cell"])
    with pytest.raises(InvalidInput, match="password"):
        flow.add_user(login="lan", display_name="Lan", org_id="ks", roles=["cell"], password="short")
    with pytest.raises(NotFound):
        flow.disable_user("nobody")


def test_web_my_work_lists_what_the_persons_roles_may_do_in_their_subtree_most_urgent_first(
    tree: AdmissionFlow, clock: ManualClock
) -> None:
    cell = person(tree, "cell", "ks.anmy", ["cell"])
    assert [i.candidate_id for i in tree.my_work(cell).items] == ["vote"]  # not "decide" (not a cell act), not "far"
    committee = person(tree, "committee", "ks", ["competent_committee", "cell"])
    items = tree.my_work(committee).items
    assert [i.candidate_id for i in items] == ["decide", "vote", "far"]  # nearest deadline first, none last
    decide = items[0]
    assert (decide.deadline, decide.due_on, decide.overdue) == ("admission_decision", date(2026, 1, 21), False)
    # (Jan 5, Jan 21]: 12 weekdays and Saturday Jan 10, a make-up working day (config/calendar-vn.toml)
    assert decide.days_left == 16 and decide.working_days_left == 13
    assert decide.basis is not None and "Quy định" in decide.basis["vi"]
    assert {t["trigger"] for t in decide.triggers} >= {"decide_admission"}
    clock.advance(timedelta(days=30))
    assert tree.my_work(committee).items[0].overdue
    first, second = tree.my_work(committee, page=1), tree.my_work(committee, page=2)
    assert first.has_next is False and second.items == []


def test_web_boards_count_only_the_subtree_per_committee(tree: AdmissionFlow, clock: ManualClock) -> None:
    district = person(tree, "district", "ks", ["cell"])
    rows = {r.org_id: r for r in tree.deadline_board(district)}
    assert list(rows) == ["ks", "ks.anmy", "ks.ctyxk", "ks.thpt"]
    anmy = rows["ks.anmy"]
    assert (anmy.overdue, anmy.within_30) == (0, 1)  # the admission decision, due in 16 days
    clock.advance(timedelta(days=30))
    anmy = next(r for r in tree.deadline_board(district) if r.org_id == "ks.anmy")
    assert (anmy.overdue, anmy.within_30) == (1, 0)
    board = tree.pipeline_board(district)
    assert board.totals == {"awaiting_branch_vote": 1, "awaiting_admission_decision": 1, "prospect": 1}
    assert dict((r[0], sum(r[2].values())) for r in board.rows) == {"ks": 0, "ks.anmy": 2, "ks.ctyxk": 0, "ks.thpt": 1}
    commune = person(tree, "commune", "ks.anmy", ["cell"])
    assert tree.pipeline_board(commune).totals == {"awaiting_branch_vote": 1, "awaiting_admission_decision": 1}
    with pytest.raises(NotFound):
        tree.deadline_board(commune, "ks.thpt")
    with pytest.raises(NotFound):
        tree.pipeline_board(commune, "ks")
