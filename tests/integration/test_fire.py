"""Firing events on both databases: what one fire writes, what a refused one does not, and the rules at their
boundaries, all through ``AdmissionFlow.fire`` against the shipped standard workflow."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    WORKFLOW,
    count_documents,
    count_events,
    document_rows,
    event_rows,
    fields_of,
    label_in_yaml,
    open_flow,
    snapshot,
    triggers_in_yaml,
)

from admission_flow.dates import add_months
from admission_flow.domain.records import CandidateRecord, FireResult
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import ConcurrentUpdate, IdempotencyConflict, InvalidInput, TransitionRefused
from admission_flow.flow import AdmissionFlow
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

DOCUMENT_COLUMNS = ("instance_id", "event_id", "kind", "form", "issued_on", "reference", "attributes", "recorded_at")
PROSPECT_TRIGGERS = ("admit_to_sympathizer_list", "remove_from_list", "withdraw", "record_death")
START = date(2025, 1, 1)  # drive() starts here; the dossier is complete on 2025-04-19
VOTE_ON = date(2025, 6, 16)  # a branch vote date while every dossier paper is still fresh


@pytest.fixture
def orgs(flow: AdmissionFlow) -> AdmissionFlow:
    add_sample_orgs(flow)
    return flow


def enrol(flow: AdmissionFlow, cid: str = "an", org_id: str = "ks.anmy.ap1", **fields: Any) -> CandidateRecord:
    values: dict[str, Any] = {"full_name": "Nguyễn Văn An", "birth_date": date(1995, 5, 15), "education": "university"}
    return flow.add_candidate(id=cid, org_id=org_id, **(values | fields), workflow=WORKFLOW)


def at_state(flow: AdmissionFlow, state: str, cid: str = "an", **fields: Any) -> CandidateRecord:
    enrol(flow, cid, **fields)
    record = drive(flow, cid, START, until=state)
    assert record.state == state
    return record


def refusal_codes(raised: pytest.ExceptionInfo[TransitionRefused]) -> list[str]:
    return [r.code for r in raised.value.reasons]


def refusals(fire: Callable[[], FireResult]) -> list[str]:
    """The reason codes of a refused fire, or [] when it was applied."""
    try:
        fire()
    except TransitionRefused as exc:
        return [r.code for r in exc.reasons]
    return []


def branch_vote(flow: AdmissionFlow, cid: str, votes: Votes, on: date = VOTE_ON) -> FireResult:
    resolution = DocumentRecord("branch_resolution", on, f"NQ-{cid}")
    return flow.fire(cid, "branch_vote_passed", on=on, role="cell", documents=[resolution], votes=votes)


# -------------------------------------------------------------------- what one fire writes


def test_a_successful_fire_writes_exactly_one_event_with_everything_it_carries(
    orgs: AdmissionFlow, clock: ManualClock
) -> None:
    before = at_state(orgs, "dossier_in_progress")
    events_before, documents_before = count_events(orgs), count_documents(orgs)
    recorded_at = clock.advance(timedelta(days=3, seconds=17))
    papers = [
        DocumentRecord("application", date(2025, 3, 1), "Đơn xin vào Đảng", {"viết_tay": True}),
        DocumentRecord("background", date(2025, 3, 2), "LL-2025/17", {"số_trang": 12, "ký_ngày": date(2025, 3, 2)}),
    ]

    result = orgs.fire(
        "an",
        "declare_background",
        on=date(2025, 3, 3),
        actor="Nguyễn Văn An",
        role="candidate",
        data={"ghi_chú": "Khai đủ 3 đời", "bản": 2},
        documents=papers,
        votes=Votes(in_favour=5, eligible=7, against=1),
        idempotency_key="an/declare_background/1",
    )

    after = orgs.candidate("an")
    (event,) = event_rows(orgs, "an")[before.version :]
    wf = orgs.catalog.get("standard", "2021")
    assert result == FireResult(
        candidate_id="an",
        instance_id=before.instance_id,
        event_id=event["id"],
        trigger="declare_background",
        from_state="dossier_in_progress",
        to_state="dossier_in_progress",
        version=7,
        occurred_on=date(2025, 3, 3),
    )
    assert (count_events(orgs), count_documents(orgs)) == (events_before + 1, documents_before + 2)
    assert (after.version, after.state) == (before.version + 1, "dossier_in_progress")
    expected_documents = [
        {
            "kind": "application",
            "form": "1-KNĐ",
            "issued_on": "2025-03-01",
            "reference": "Đơn xin vào Đảng",
            "attributes": {"viết_tay": True},
        },
        {
            "kind": "background",
            "form": "2-KNĐ",
            "issued_on": "2025-03-02",
            "reference": "LL-2025/17",
            "attributes": {"số_trang": 12, "ký_ngày": "2025-03-02"},
        },
    ]
    expected_event = {
        "instance_id": before.instance_id,
        "seq": 7,
        "trigger": "declare_background",
        "from_state": "dossier_in_progress",
        "to_state": "dossier_in_progress",
        "actor": "Nguyễn Văn An",
        "role": "candidate",
        "org_id": "ks.anmy.ap1",
        "occurred_on": date(2025, 3, 3),
        "recorded_at": recorded_at,
        "payload": {"ghi_chú": "Khai đủ 3 đời", "bản": 2},
        "documents": expected_documents,
        "votes": {"in_favour": 5, "eligible": 7, "against": 1},
        "workflow_id": "standard",
        "workflow_version": "2021",
        "workflow_hash": wf.content_hash,
        "idempotency_key": "an/declare_background/1",
    }
    assert {k: event[k] for k in expected_event} == expected_event
    rows = document_rows(orgs, "an")[documents_before:]
    assert [{k: r[k] for k in DOCUMENT_COLUMNS} for r in rows] == [
        {
            "instance_id": before.instance_id,
            "event_id": event["id"],
            "kind": d["kind"],
            "form": d["form"],
            "issued_on": date.fromisoformat(d["issued_on"]),
            "reference": d["reference"],
            "attributes": d["attributes"],
            "recorded_at": recorded_at,
        }
        for d in expected_documents
    ]
    expected_record = {
        "id": event["id"],
        "seq": 7,
        "trigger": "declare_background",
        "from_state": "dossier_in_progress",
        "to_state": "dossier_in_progress",
        "actor": "Nguyễn Văn An",
        "role": "candidate",
        "org_id": "ks.anmy.ap1",
        "occurred_on": date(2025, 3, 3),
        "recorded_at": recorded_at,
        "payload": {"ghi_chú": "Khai đủ 3 đời", "bản": 2},
        "documents": expected_documents,
        "votes": {"in_favour": 5, "eligible": 7, "against": 1},
        "workflow": "standard@2021",
        "workflow_hash": wf.content_hash,
        "idempotency_key": "an/declare_background/1",
    }
    assert fields_of(orgs.history("an")[-1], expected_record) == expected_record
    assert after.documents["background"] == [
        {"issued_on": "2025-03-02", "reference": "LL-2025/17", "attributes": {"số_trang": 12, "ký_ngày": "2025-03-02"}}
    ]


def test_a_document_kind_without_a_form_code_is_stored_with_form_none(orgs: AdmissionFlow) -> None:
    at_state(orgs, "dossier_in_progress")
    papers = [DocumentRecord("application", date(2025, 3, 1)), DocumentRecord("background", date(2025, 3, 1))]
    orgs.fire("an", "declare_background", role="candidate", on=date(2025, 3, 1), documents=papers)
    orgs.fire("an", "stamp_background", role="cell", on=date(2025, 3, 2))
    orgs.fire("an", "request_verification", role="grassroots_committee", on=date(2025, 3, 3))

    orgs.fire(
        "an",
        "record_verification_result",
        role="grassroots_committee",
        on=date(2025, 3, 20),
        documents=[DocumentRecord("verification_result", date(2025, 3, 20), "CV 45/UBND")],
    )

    assert [(r["kind"], r["form"]) for r in document_rows(orgs, "an")] == [
        ("awareness_certificate", "CN-NTVĐ"),
        ("application", "1-KNĐ"),
        ("background", "2-KNĐ"),
        ("verification_result", None),
    ]
    assert orgs.history("an")[-1].documents == [
        {
            "kind": "verification_result",
            "form": None,
            "issued_on": "2025-03-20",
            "reference": "CV 45/UBND",
            "attributes": {},
        }
    ]


def test_the_enrolment_event_is_first_in_history(orgs: AdmissionFlow, clock: ManualClock) -> None:
    enrolled_at = clock.now()
    record = enrol(orgs)
    clock.advance(timedelta(days=2))
    orgs.fire("an", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 7))

    first, second = orgs.history("an")

    expected_record = {
        "id": first.id,
        "seq": 1,
        "trigger": "add_to_source_plan",
        "from_state": None,
        "to_state": "prospect",
        "actor": "system",
        "role": None,
        "org_id": "ks.anmy.ap1",
        "occurred_on": date(2026, 1, 5),
        "recorded_at": enrolled_at,
        "payload": {},
        "documents": [],
        "votes": None,
        "workflow": "standard@2021",
        "workflow_hash": record.workflow_hash,
        "idempotency_key": None,
    }
    assert fields_of(first, expected_record) == expected_record
    assert (second.seq, second.trigger, second.from_state, second.to_state) == (
        2,
        "admit_to_sympathizer_list",
        "prospect",
        "sympathizer",
    )
    assert first.id < second.id


@pytest.mark.parametrize(
    ("now", "paper_date"),
    [
        (datetime(2026, 1, 4, 16, 59, 59, tzinfo=UTC), date(2026, 1, 4)),
        (datetime(2026, 1, 4, 17, 0, 0, tzinfo=UTC), date(2026, 1, 5)),
    ],
    ids=["23:59:59-in-hanoi", "00:00-in-hanoi"],
)
def test_a_fire_without_a_paper_date_is_dated_today_in_asia_ho_chi_minh(
    orgs: AdmissionFlow, clock: ManualClock, now: datetime, paper_date: date
) -> None:
    clock.set(now)
    enrol(orgs)

    result = orgs.fire("an", "admit_to_sympathizer_list", role="cell")

    assert result.occurred_on == paper_date
    assert [e.occurred_on for e in orgs.history("an")] == [paper_date, paper_date]
    assert orgs.candidate("an").dates == {"sympathizer_listed_on": paper_date.isoformat()}


# -------------------------------------------------------------------- what a refused fire does not write


def test_a_refused_fire_writes_nothing_and_reports_every_reason(orgs: AdmissionFlow, clock: ManualClock) -> None:
    at_state(orgs, "dossier_in_progress")
    before = snapshot(orgs, "an")
    clock.advance(timedelta(days=1))

    with pytest.raises(TransitionRefused) as raised:
        orgs.fire(
            "an",
            "dossier_complete",
            role="candidate",
            on=date(2025, 3, 1),
            documents=[DocumentRecord("application", date(2025, 3, 1), "Đơn")],
            idempotency_key="an/dossier_complete",
        )

    assert (raised.value.trigger, raised.value.state) == ("dossier_complete", "dossier_in_progress")
    assert refusal_codes(raised) == [
        "role_not_allowed",
        "document_missing",
        "document_missing",
        "document_missing",
        "flag_missing",
        "introducers_insufficient",
    ]
    assert [r.values.get("document") for r in raised.value.reasons if r.code == "document_missing"] == [
        "background",
        "introduction",
        "comments_summary",
    ]
    for r in raised.value.reasons:
        assert r.message_vi and r.message_en and r.message_vi != r.message_en
    assert snapshot(orgs, "an") == before


def test_a_trigger_not_available_in_the_current_state_is_refused_and_writes_nothing(orgs: AdmissionFlow) -> None:
    enrol(orgs)
    before = snapshot(orgs, "an")

    with pytest.raises(TransitionRefused) as raised:
        orgs.fire("an", "hold_ceremony", role="cell", on=date(2026, 1, 5))

    assert refusal_codes(raised) == ["trigger_not_available"]
    assert raised.value.reasons[0].values["available"] == triggers_in_yaml("prospect")
    assert "admit_to_sympathizer_list" in raised.value.reasons[0].values["available"]
    assert snapshot(orgs, "an") == before


def test_an_unknown_trigger_is_refused_as_unknown_and_writes_nothing(orgs: AdmissionFlow) -> None:
    enrol(orgs)
    before = snapshot(orgs, "an")

    with pytest.raises(TransitionRefused) as raised:
        orgs.fire("an", "khong_co_su_kien", role="cell")

    assert refusal_codes(raised) == ["unknown_trigger"]
    assert snapshot(orgs, "an") == before


def test_an_unknown_document_kind_is_invalid_input_and_writes_nothing(orgs: AdmissionFlow) -> None:
    at_state(orgs, "dossier_in_progress")
    before = snapshot(orgs, "an")

    with pytest.raises(InvalidInput, match="giay_khai_sinh"):
        orgs.fire(
            "an",
            "file_application",
            role="candidate",
            on=date(2025, 3, 1),
            documents=[
                DocumentRecord("application", date(2025, 3, 1)),
                DocumentRecord("giay_khai_sinh", date(1995, 5, 15)),
            ],
        )

    assert snapshot(orgs, "an") == before


@pytest.mark.parametrize(
    ("trigger", "extra"),
    [
        ("admit_to_sympathizer_list", {"role": "cell", "actor": "a" * 201}),
        ("admit_to_sympathizer_list", {"role": "cell", "idempotency_key": "k" * 201}),
        ("withdraw", {"role": "r" * 65}),
    ],
    ids=["actor", "idempotency_key", "role"],
)
def test_an_event_field_longer_than_its_column_is_invalid_input_and_writes_nothing(
    orgs: AdmissionFlow, trigger: str, extra: dict[str, Any]
) -> None:
    enrol(orgs)
    before = snapshot(orgs, "an")

    with pytest.raises(InvalidInput):
        orgs.fire("an", trigger, on=date(2026, 1, 5), **extra)

    assert snapshot(orgs, "an") == before


# -------------------------------------------------------------------- optimistic version check


def test_a_stale_expected_version_raises_concurrent_update_and_writes_nothing(orgs: AdmissionFlow) -> None:
    record = enrol(orgs)
    orgs.fire("an", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 5))
    before = snapshot(orgs, "an")

    with pytest.raises(ConcurrentUpdate) as raised:
        orgs.fire("an", "assign_helper", role="cell", data={"helper": "Trần Văn Bình"}, expected_version=1)

    assert (raised.value.instance_id, raised.value.expected_version) == (record.instance_id, 1)
    assert snapshot(orgs, "an") == before


def test_the_current_expected_version_lets_the_fire_through(orgs: AdmissionFlow) -> None:
    enrol(orgs)
    orgs.fire("an", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 5), expected_version=1)

    result = orgs.fire("an", "assign_helper", role="cell", data={"helper": "Trần Văn Bình"}, expected_version=2)

    assert (result.version, orgs.candidate("an").version, count_events(orgs, "an")) == (3, 3, 3)


# -------------------------------------------------------------------- idempotency


def test_replaying_an_idempotency_key_returns_the_first_result_and_writes_nothing(orgs: AdmissionFlow) -> None:
    enrol(orgs)
    first = orgs.fire("an", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 5), idempotency_key="k-1")
    before = snapshot(orgs, "an")

    again = orgs.fire("an", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 5), idempotency_key="k-1")

    assert first.replayed is False
    assert again == dataclasses.replace(first, replayed=True)
    assert snapshot(orgs, "an") == before
    assert event_rows(orgs, "an")[-1]["idempotency_key"] == "k-1"


def test_replaying_a_key_after_later_events_still_answers_with_the_original_result(orgs: AdmissionFlow) -> None:
    enrol(orgs)
    first = orgs.fire("an", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 5), idempotency_key="k-1")
    orgs.fire("an", "assign_helper", role="cell", data={"helper": "Trần Văn Bình"}, idempotency_key="k-2")
    before = snapshot(orgs, "an")

    again = orgs.fire("an", "admit_to_sympathizer_list", role="cell", idempotency_key="k-1", expected_version=1)

    assert again == dataclasses.replace(first, replayed=True)
    assert (again.from_state, again.to_state, again.version) == ("prospect", "sympathizer", 2)
    assert snapshot(orgs, "an") == before


def test_reusing_a_key_for_a_different_trigger_raises_idempotency_conflict_and_writes_nothing(
    orgs: AdmissionFlow,
) -> None:
    enrol(orgs)
    orgs.fire("an", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 5), idempotency_key="k-1")
    before = snapshot(orgs, "an")

    with pytest.raises(IdempotencyConflict) as raised:
        orgs.fire("an", "assign_helper", role="cell", data={"helper": "Trần Văn Bình"}, idempotency_key="k-1")

    assert raised.value.key == "k-1"
    assert snapshot(orgs, "an") == before


def test_reusing_a_key_on_another_candidate_raises_idempotency_conflict_and_writes_nothing(
    orgs: AdmissionFlow,
) -> None:
    enrol(orgs, "an")
    enrol(orgs, "binh", full_name="Trần Văn Bình")
    orgs.fire("an", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 5), idempotency_key="k-1")
    before = snapshot(orgs, "binh")

    with pytest.raises(IdempotencyConflict):
        orgs.fire("binh", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 5), idempotency_key="k-1")

    assert snapshot(orgs, "binh") == before


def test_a_refused_fire_does_not_use_up_its_idempotency_key(orgs: AdmissionFlow) -> None:
    enrol(orgs)
    with pytest.raises(TransitionRefused):
        orgs.fire("an", "admit_to_sympathizer_list", role="candidate", idempotency_key="k-1")

    result = orgs.fire("an", "admit_to_sympathizer_list", role="cell", idempotency_key="k-1")

    assert (result.replayed, result.to_state, count_events(orgs, "an")) == (False, "sympathizer", 2)


# -------------------------------------------------------------------- recorded dates and flags


def test_the_branch_vote_records_branch_resolution_on_as_its_paper_date(orgs: AdmissionFlow) -> None:
    at_state(orgs, "awaiting_branch_vote")

    branch_vote(orgs, "an", Votes(8, 10), on=VOTE_ON)

    record = orgs.candidate("an")
    assert record.state == "awaiting_grassroots_vote"
    assert record.dates["branch_resolution_on"] == VOTE_ON.isoformat()
    assert record.dates["dossier_completed_on"] == "2025-04-19"


@pytest.mark.parametrize(
    ("ceremony_on", "probation_end_on"),
    [
        (date(2024, 2, 29), date(2025, 2, 28)),
        (date(2024, 8, 31), date(2025, 8, 31)),
        (date(2024, 12, 15), date(2025, 12, 15)),
    ],
)
def test_holding_the_ceremony_records_ceremony_on_and_probation_end_on_twelve_months_later(
    orgs: AdmissionFlow, ceremony_on: date, probation_end_on: date
) -> None:
    enrol(orgs)
    record = drive(orgs, "an", date(2023, 1, 1), until="awaiting_ceremony")
    assert date.fromisoformat(record.dates["decision_signed_on"]) < ceremony_on
    orgs.fire("an", "receive_decision", role="cell", on=ceremony_on - timedelta(days=3))

    orgs.fire("an", "hold_ceremony", role="cell", on=ceremony_on)

    record = orgs.candidate("an")
    assert record.state == "probationary"
    assert record.dates["ceremony_on"] == ceremony_on.isoformat()
    assert record.dates["probation_end_on"] == probation_end_on.isoformat()


def test_probation_elapses_on_probation_end_on_and_not_a_day_before(orgs: AdmissionFlow) -> None:
    enrol(orgs)
    record = drive(orgs, "an", date(2023, 1, 1), until="awaiting_ceremony")
    orgs.fire("an", "receive_decision", role="cell", on=date(2024, 2, 20))
    orgs.fire("an", "hold_ceremony", role="cell", on=date(2024, 2, 29))
    before = snapshot(orgs, "an")

    with pytest.raises(TransitionRefused) as raised:
        orgs.fire("an", "probation_elapsed", role="system", on=date(2025, 2, 27))
    assert refusal_codes(raised) == ["date_too_early"]
    assert snapshot(orgs, "an") == before

    orgs.fire("an", "probation_elapsed", role="system", on=date(2025, 2, 28))
    record = orgs.candidate("an")
    assert record.state == "awaiting_recognition_vote"


def test_flags_are_set_by_the_events_that_declare_them(orgs: AdmissionFlow) -> None:
    at_state(orgs, "dossier_in_progress")
    papers = [DocumentRecord("application", date(2025, 3, 1)), DocumentRecord("background", date(2025, 3, 1))]
    orgs.fire("an", "declare_background", role="candidate", on=date(2025, 3, 1), documents=papers)
    assert orgs.candidate("an").flags == []

    orgs.fire("an", "stamp_background", role="cell", on=date(2025, 3, 2))
    assert orgs.candidate("an").flags == ["background_stamped"]

    orgs.fire("an", "request_verification", role="grassroots_committee", on=date(2025, 3, 3))
    assert orgs.candidate("an").flags == ["background_stamped", "verification_requested"]


FLAG_WORKFLOW = """\
id: flag_demo
version: "1"
title: {vi: Thử cờ, en: Flag demo}
initial: open
roles:
  cell: {vi: Chi bộ, en: Party cell}
flags:
  on_hold: {vi: Tạm dừng, en: On hold}
  reviewed: {vi: Đã xem xét, en: Reviewed}
states:
  open: {label: {vi: Đang mở, en: Open}}
  closed: {final: true, label: {vi: Đã đóng, en: Closed}}
transitions:
  - trigger: put_on_hold
    label: {vi: Tạm dừng, en: Put on hold}
    source: open
    roles: [cell]
    sets: [on_hold, reviewed]
  - trigger: release_hold
    label: {vi: Tiếp tục, en: Release the hold}
    source: open
    roles: [cell]
    clears: [on_hold]
  - trigger: close
    label: {vi: Đóng, en: Close}
    source: open
    dest: closed
    roles: [cell]
    guards:
      - flag_not_set: {flag: on_hold}
"""


@pytest.fixture
def flag_flow(database_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[AdmissionFlow]:
    """A migrated flow whose only workflow sets and clears flags."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "flag-demo.yaml").write_text(FLAG_WORKFLOW, encoding="utf-8")
    with open_flow(database_url, clock, workflows_dir=folder) as flow:
        flow.upgrade_database()
        flow.add_org(id="cell", name="Chi bộ", kind="cell")
        flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="cell", workflow="flag_demo")
        yield flow
        assert flow.store.connections.in_use() == 0


def test_flags_set_by_one_event_are_cleared_by_another_and_guards_see_the_change(flag_flow: AdmissionFlow) -> None:
    flag_flow.fire("an", "put_on_hold", role="cell")
    assert flag_flow.candidate("an").flags == ["on_hold", "reviewed"]
    with pytest.raises(TransitionRefused) as raised:
        flag_flow.fire("an", "close", role="cell")
    assert refusal_codes(raised) == ["flag_present"]

    flag_flow.fire("an", "release_hold", role="cell")
    assert flag_flow.candidate("an").flags == ["reviewed"]
    flag_flow.fire("an", "close", role="cell")

    record = flag_flow.candidate("an")
    assert (record.state, record.flags, record.version) == ("closed", ["reviewed"], 4)


# -------------------------------------------------------------------- options


def test_options_list_every_trigger_of_the_state_with_allowed_and_reasons(orgs: AdmissionFlow) -> None:
    enrol(orgs)

    options = {o.trigger: o for o in orgs.options("an", on=date(2026, 1, 5))}

    assert list(options) == triggers_in_yaml("prospect")
    assert {t: (options[t].dest, options[t].allowed) for t in PROSPECT_TRIGGERS} == {
        "admit_to_sympathizer_list": ("sympathizer", False),
        "remove_from_list": ("dropped", False),
        "withdraw": ("withdrawn", True),
        "record_death": ("deceased", True),
    }
    assert {t: [r["code"] for r in options[t].reasons] for t in PROSPECT_TRIGGERS} == {
        "admit_to_sympathizer_list": ["role_not_allowed"],
        "remove_from_list": ["role_not_allowed"],
        "withdraw": [],
        "record_death": [],
    }
    reason = options["admit_to_sympathizer_list"].reasons[0]
    assert (reason["guard"], reason["values"]) == ("roles", {"role": None, "allowed": ["cell"]})
    assert reason["message"]["vi"].startswith("Vai trò")
    assert reason["message"]["en"].startswith("role")
    for option in options.values():
        assert option.allowed == (option.reasons == [])
        for r in option.reasons:
            assert r["message"]["vi"] and r["message"]["en"] and r["message"]["vi"] != r["message"]["en"]
    assert options["admit_to_sympathizer_list"].label == label_in_yaml("admit_to_sympathizer_list")
    assert options["admit_to_sympathizer_list"].label == {
        "vi": "Chi bộ đưa vào danh sách cảm tình Đảng",
        "en": "Cell adds to the sympathiser list",
    }


def test_options_with_the_right_role_allow_what_fire_then_accepts(orgs: AdmissionFlow) -> None:
    enrol(orgs)

    options = {o.trigger: o for o in orgs.options("an", on=date(2026, 1, 5), role="cell")}
    orgs.fire("an", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 5))

    assert [options[t].allowed for t in PROSPECT_TRIGGERS] == [True, True, True, True]
    assert [o.trigger for o in orgs.options("an", role="cell")] == triggers_in_yaml("sympathizer")
    assert {"assign_helper", "nominate_for_class"} <= set(triggers_in_yaml("sympathizer"))


def test_options_give_every_reason_with_bilingual_messages_and_fire_refuses_with_the_same(
    orgs: AdmissionFlow,
) -> None:
    at_state(orgs, "awaiting_branch_vote")
    late = date(2025, 12, 1)  # the introductions and comments (6 months) have expired by now

    options = {o.trigger: o for o in orgs.options("an", on=late, role="cell", votes=Votes(5, 9))}

    assert list(options) == triggers_in_yaml("awaiting_branch_vote")
    vote = options["branch_vote_passed"]
    assert (vote.allowed, vote.dest) == (False, "awaiting_grassroots_vote")
    codes = [r["code"] for r in vote.reasons]
    assert codes == [
        "document_missing",
        "document_expired",
        "document_expired",
        "document_expired",
        "vote_ratio_not_reached",
    ]
    assert [r["values"]["document"] for r in vote.reasons[1:4]] == [
        "comments_summary",
        "introduction",
        "residence_comment",
    ]
    for r in vote.reasons:
        assert set(r) == {"code", "guard", "values", "message"}
        assert r["message"]["vi"] and r["message"]["en"] and r["message"]["vi"] != r["message"]["en"]
    with pytest.raises(TransitionRefused) as raised:
        orgs.fire("an", "branch_vote_passed", on=late, role="cell", votes=Votes(5, 9))
    assert [r.as_dict() for r in raised.value.reasons] == vote.reasons


def test_every_option_carries_the_bilingual_label_of_its_trigger(orgs: AdmissionFlow) -> None:
    at_state(orgs, "awaiting_branch_vote")

    options = orgs.options("an", on=VOTE_ON, role="cell")

    assert {o.trigger: o.label for o in options} == {o.trigger: label_in_yaml(o.trigger) for o in options}
    assert {o.trigger: o.label for o in options}["branch_vote_passed"] == {
        "vi": "Chi bộ biểu quyết đề nghị kết nạp (Mẫu 6-KNĐ)",
        "en": "Cell votes to propose admission (form 6-KNĐ)",
    }


# -------------------------------------------------------------------- the happy path, per route


@pytest.mark.parametrize(
    ("org_id", "birth_date", "route"),
    [
        pytest.param("ks.anmy.ap1", date(1995, 5, 15), ["awaiting_branch_vote", "awaiting_grassroots_vote"], id="cell"),
        pytest.param(
            "ks.thpt.gv.toan",
            date(1995, 5, 15),
            ["awaiting_branch_vote", "awaiting_partial_appraisal", "awaiting_grassroots_vote"],
            id="cell-under-partial-committee",
        ),
        pytest.param(
            "ks.ctyxk",
            date(1960, 3, 8),
            ["awaiting_branch_vote", "awaiting_exception_consent"],
            id="grassroots-cell-over-60",
        ),
        pytest.param("ks.ctyxk", date(1995, 5, 15), ["awaiting_branch_vote"], id="grassroots-cell-under-60"),
    ],
)
def test_the_happy_path_reaches_full_member_along_each_organisational_route(
    orgs: AdmissionFlow, org_id: str, birth_date: date, route: list[str]
) -> None:
    enrol(orgs, org_id=org_id, birth_date=birth_date)

    record = drive(orgs, "an", START)

    history = orgs.history("an")
    visited = [e.to_state for e in history if e.to_state != e.from_state]
    assert record.state == "full_member"
    assert visited == [
        "prospect",
        "sympathizer",
        "in_awareness_class",
        "awareness_certified",
        "dossier_in_progress",
        *route,
        "awaiting_admission_decision",
        "awaiting_ceremony",
        "probationary",
        "awaiting_recognition_vote",
        "awaiting_recognition_decision",
        "full_member",
    ]
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert (record.version, count_events(orgs, "an")) == (len(history), len(history))
    assert history[-1].trigger == "issue_party_card"
    ceremony_on = date.fromisoformat(record.dates["ceremony_on"])
    assert record.dates["probation_end_on"] == add_months(ceremony_on, 12).isoformat()
    assert record.dates["full_member_since"] == record.dates["probation_end_on"]
    assert ("exception_consent" in record.flags) == ("awaiting_exception_consent" in route)


# -------------------------------------------------------------------- rules at their boundaries, through fire
# -------------------------------------------------------------------- rules at their boundaries, through fire


def test_a_branch_vote_of_five_in_nine_is_refused_and_six_in_nine_passes(orgs: AdmissionFlow) -> None:
    at_state(orgs, "awaiting_branch_vote")
    before = snapshot(orgs, "an")

    with pytest.raises(TransitionRefused) as raised:
        branch_vote(orgs, "an", Votes(5, 9))
    assert refusal_codes(raised) == ["vote_ratio_not_reached"]
    assert raised.value.reasons[0].values == {
        "in_favour": 5,
        "eligible": 9,
        "against": None,
        "required": "2/3",
        "needed": 6,
    }
    assert snapshot(orgs, "an") == before

    result = branch_vote(orgs, "an", Votes(6, 9))
    assert (result.from_state, result.to_state) == ("awaiting_branch_vote", "awaiting_grassroots_vote")
    assert orgs.history("an")[-1].votes == {"in_favour": 6, "eligible": 9, "against": None}


@pytest.mark.parametrize(
    ("birth_date", "refusal", "state_after"),
    [
        (add_months(VOTE_ON, -216), [], "awaiting_grassroots_vote"),
        (add_months(VOTE_ON, -216) + timedelta(days=1), ["age_below_minimum"], "awaiting_branch_vote"),
    ],
    ids=["216-months-passes", "215-months-refused"],
)
def test_the_branch_vote_needs_a_candidate_aged_216_completed_months_on_the_vote_date(
    orgs: AdmissionFlow, birth_date: date, refusal: list[str], state_after: str
) -> None:
    at_state(orgs, "awaiting_branch_vote", birth_date=birth_date)

    codes = refusals(lambda: branch_vote(orgs, "an", Votes(8, 10)))

    assert codes == refusal
    assert orgs.candidate("an").state == state_after


def test_a_refused_age_reports_the_completed_months_it_counted(orgs: AdmissionFlow) -> None:
    at_state(orgs, "awaiting_branch_vote", birth_date=add_months(VOTE_ON, -216) + timedelta(days=1))

    with pytest.raises(TransitionRefused) as raised:
        branch_vote(orgs, "an", Votes(8, 10))

    (reason,) = raised.value.reasons
    assert (reason.code, reason.values["age_months"], reason.values["on"]) == (
        "age_below_minimum",
        215,
        VOTE_ON.isoformat(),
    )


@pytest.mark.parametrize(
    ("months_later", "days_later", "refusal", "state_after"),
    [
        (59, 0, [], "dossier_in_progress"),
        (60, -1, [], "dossier_in_progress"),
        (60, 0, ["awareness_certificate_expired"], "awareness_certified"),
    ],
    ids=["59-months-passes", "day-before-60-months-passes", "60-months-refused"],
)
def test_an_awareness_certificate_is_usable_for_less_than_60_months(
    orgs: AdmissionFlow, months_later: int, days_later: int, refusal: list[str], state_after: str
) -> None:
    record = at_state(orgs, "awareness_certified")
    issued_on = date.fromisoformat(record.dates["certificate_issued_on"])
    on = add_months(issued_on, months_later) + timedelta(days=days_later)

    codes = refusals(lambda: orgs.fire("an", "authorise_dossier", role="cell", on=on))

    assert codes == refusal
    assert orgs.candidate("an").state == state_after
