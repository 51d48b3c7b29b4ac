"""The store contract: the same suite on SQLite (a WAL file) and PostgreSQL (a schema of its own).

Everything is read back through a second, fresh ``AdmissionFlow`` on the same database where it matters, so
an answer cannot come from anything cached in the first one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers import WORKFLOW, count_events, document_rows, event_rows, fields_of, instance_row, open_flow
from sqlalchemy import select

from admission_flow.domain.records import OrgRecord
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import AlreadyExists, ConfigurationError, InvalidInput, NotFound, StoreError
from admission_flow.flow import AdmissionFlow
from admission_flow.settings import Settings
from admission_flow.store.schema import Candidate, Org
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import SAMPLE_ORGS, add_sample_orgs

ROOT = Path(__file__).resolve().parents[2]

NESTED_JSON = {
    "quê_quán": "Xã An Mỹ, huyện Kế Sách, tỉnh Sóc Trăng",
    "số_con": 2,
    "chiều_cao_m": 1.62,
    "đã_kết_hôn": True,
    "ghi_chú": None,
    "quá_trình": [{"từ": "2015", "đến": "2019", "nơi": "Trường ĐH Cần Thơ"}, {"từ": "2019", "nơi": "UBND xã"}],
    "rỗng": {"danh_sách": [], "từ_điển": {}},
    "số_lớn": 9_007_199_254_740_993,
}
NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")


@pytest.fixture
def reader(flow: AdmissionFlow, database_url: str) -> Iterator[AdmissionFlow]:
    """A second AdmissionFlow on the same database, with its own engine and nothing cached."""
    with open_flow(database_url) as second:
        yield second
        assert second.store.connections.in_use() == 0


def full_candidate(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "id": "nguyen.thi.anh.tuyet",
        "full_name": "Nguyễn Thị Ánh Tuyết",
        "org_id": "ks.anmy.ap1",
        "birth_date": date(1998, 2, 28),
        "sex": "female",
        "ethnicity": "Khmer",
        "religion": "Phật giáo Nam tông",
        "education": "upper_secondary",
        "remote_area": True,
        "occupation": "Giáo viên mầm non",
        "youth_union_member": True,
        "trade_union_member": True,
        "email": "anh.tuyet@example.vn",
        "attributes": NESTED_JSON,
    }
    return values | overrides


# -------------------------------------------------------------------- organisations


def test_an_added_org_comes_back_with_every_field_from_get_and_list(flow: AdmissionFlow, reader: AdmissionFlow) -> None:
    flow.add_org(id="st", name="Tỉnh ủy Sóc Trăng", kind="province")
    contacts = {
        "cell_secretary": [{"name": "Bí thư Lâm Văn Đức", "email": "bithu.duc@example.vn"}],
        "helper": [{"name": "Trần Văn Bình", "email": "binh@example.vn"}, {"name": "Lê Thị Cúc", "email": "cuc@x.vn"}],
    }
    added = flow.add_org(
        id="st.ks",
        name="Huyện ủy Kế Sách",
        kind="superior_committee",
        parent_id="st",
        has_youth_union=True,
        has_trade_union=True,
        contacts=contacts,
        attributes=NESTED_JSON,
    )

    expected = OrgRecord(
        id="st.ks",
        name="Huyện ủy Kế Sách",
        kind="superior_committee",
        parent_id="st",
        has_youth_union=True,
        has_trade_union=True,
        contacts=contacts,
        attributes=NESTED_JSON,
    )
    assert added == expected
    assert reader.org("st.ks") == expected
    assert [o.id for o in reader.orgs()] == ["st", "st.ks"]
    assert reader.orgs()[1] == expected
    assert reader.orgs()[0] == OrgRecord("st", "Tỉnh ủy Sóc Trăng", "province", None, False, False, {}, {})


def test_the_sample_org_tree_lists_in_id_order_with_its_parents(flow: AdmissionFlow, reader: AdmissionFlow) -> None:
    add_sample_orgs(flow)

    listed = reader.orgs()

    assert [o.id for o in listed] == sorted(o["id"] for o in SAMPLE_ORGS)
    assert {o.id: o.parent_id for o in listed} == {o["id"]: o.get("parent_id") for o in SAMPLE_ORGS}
    assert {o.id: o.name for o in listed} == {o["id"]: o["name"] for o in SAMPLE_ORGS}


def test_getting_an_unknown_org_raises_not_found(flow: AdmissionFlow) -> None:
    with pytest.raises(NotFound) as raised:
        flow.org("không-có")

    assert (raised.value.kind, raised.value.key) == ("org", "không-có")


def test_an_org_whose_parent_does_not_exist_is_refused_with_not_found_and_not_stored(flow: AdmissionFlow) -> None:
    with pytest.raises(NotFound) as raised:
        flow.add_org(id="ks.anmy", name="Đảng ủy xã An Mỹ", kind="grassroots_committee", parent_id="ks")

    assert (raised.value.kind, raised.value.key) == ("org", "ks")
    assert flow.orgs() == []


def test_adding_an_org_id_twice_raises_already_exists_and_keeps_the_first(flow: AdmissionFlow) -> None:
    flow.add_org(id="ks", name="Huyện ủy Kế Sách", kind="superior_committee")

    with pytest.raises(AlreadyExists) as raised:
        flow.add_org(id="ks", name="Huyện ủy khác", kind="province")

    assert (raised.value.kind, raised.value.key) == ("org", "ks")
    assert [(o.id, o.name, o.kind) for o in flow.orgs()] == [("ks", "Huyện ủy Kế Sách", "superior_committee")]


# -------------------------------------------------------------------- candidates


def test_a_candidate_round_trips_every_personal_field_with_diacritics_intact(
    flow: AdmissionFlow, reader: AdmissionFlow
) -> None:
    add_sample_orgs(flow)
    values = full_candidate()

    added = flow.add_candidate(**values, workflow=WORKFLOW)

    expected = values | {
        "instance_id": added.instance_id,
        "attempt": 1,
        "workflow": "standard@2021",
        "workflow_hash": flow.catalog.get("standard", "2021").content_hash,
        "state": "prospect",
        "version": 1,
        "dates": {},
        "flags": [],
        "documents": {},
    }
    assert fields_of(added, expected) == expected
    assert fields_of(reader.candidate("nguyen.thi.anh.tuyet"), expected) == expected
    assert [fields_of(c, expected) for c in reader.candidates()] == [expected]


def test_decomposed_unicode_is_stored_exactly_as_given(flow: AdmissionFlow, reader: AdmissionFlow) -> None:
    add_sample_orgs(flow)
    flow.add_candidate(
        id="nfd", full_name=NFD_NAME, org_id="ks.anmy.ap1", attributes={"tên": NFD_NAME}, workflow=WORKFLOW
    )

    back = reader.candidate("nfd")

    assert back.full_name == NFD_NAME
    assert back.attributes == {"tên": NFD_NAME}
    assert back.full_name != unicodedata.normalize("NFC", NFD_NAME)


def test_a_candidate_with_only_the_required_fields_comes_back_with_the_defaults(
    flow: AdmissionFlow, reader: AdmissionFlow
) -> None:
    add_sample_orgs(flow)
    flow.add_candidate(id="toi.thieu", full_name="Lý Văn Tư", org_id="ks.ctyxk", workflow=WORKFLOW)

    back = reader.candidate("toi.thieu")

    assert (back.birth_date, back.sex, back.ethnicity, back.religion, back.education) == (None,) * 5
    assert (back.occupation, back.email) == (None, None)
    assert (back.remote_area, back.youth_union_member, back.trade_union_member) == (False, False, False)
    assert back.attributes == {}


def test_a_candidate_in_an_unknown_org_is_refused_with_not_found_and_not_stored(flow: AdmissionFlow) -> None:
    with pytest.raises(NotFound) as raised:
        flow.add_candidate(id="lac", full_name="Đặng Văn Lạc", org_id="không-có", workflow=WORKFLOW)

    assert (raised.value.kind, raised.value.key) == ("org", "không-có")
    assert flow.candidates() == []
    assert count_events(flow) == 0


def test_adding_a_candidate_id_twice_raises_already_exists_and_keeps_the_first(flow: AdmissionFlow) -> None:
    add_sample_orgs(flow)
    first = flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks.anmy.ap1", workflow=WORKFLOW)

    with pytest.raises(AlreadyExists) as raised:
        flow.add_candidate(id="an", full_name="Người khác", org_id="ks.ctyxk", workflow=WORKFLOW)

    assert (raised.value.kind, raised.value.key) == ("candidate", "an")
    assert flow.candidate("an") == first
    assert count_events(flow, "an") == 1


def test_an_unknown_candidate_raises_not_found(flow: AdmissionFlow) -> None:
    with pytest.raises(NotFound) as raised:
        flow.candidate("không-có")

    assert (raised.value.kind, raised.value.key) == ("candidate", "không-có")


@pytest.mark.parametrize("field", ["ethnicity", "religion", "occupation"])
def test_a_personal_field_longer_than_its_column_is_invalid_input_on_every_database(
    flow: AdmissionFlow, field: str
) -> None:
    flow.add_org(id="ks", name="Huyện ủy Kế Sách", kind="superior_committee")

    with pytest.raises(InvalidInput):
        flow.add_candidate(id="dai", full_name="Nguyễn Văn Dài", org_id="ks", **{field: "Ê" * 65}, workflow=WORKFLOW)

    assert flow.candidates() == []


@pytest.mark.parametrize("field", ["ethnicity", "religion", "occupation"])
def test_a_personal_field_of_exactly_its_column_width_in_multibyte_letters_is_stored_intact(
    flow: AdmissionFlow, reader: AdmissionFlow, field: str
) -> None:
    flow.add_org(id="ks", name="Huyện ủy Kế Sách", kind="superior_committee")

    flow.add_candidate(id="vua", full_name="Nguyễn Văn Vừa", org_id="ks", **{field: "Ê" * 64}, workflow=WORKFLOW)

    assert getattr(reader.candidate("vua"), field) == "Ê" * 64


# -------------------------------------------------------------------- listing


@pytest.fixture
def cohort(flow: AdmissionFlow) -> AdmissionFlow:
    """Candidates spread over the sample tree; two of them moved on to 'sympathizer'."""
    add_sample_orgs(flow)
    for cid, org in [
        ("ap1.a", "ks.anmy.ap1"),
        ("ap1.b", "ks.anmy.ap1"),
        ("ap2.a", "ks.anmy.ap2"),
        ("toan.a", "ks.thpt.gv.toan"),
        ("ctyxk.a", "ks.ctyxk"),
    ]:
        flow.add_candidate(id=cid, full_name=f"Ứng viên {cid}", org_id=org, workflow=WORKFLOW)
    for cid in ("ap1.b", "toan.a"):
        flow.fire(cid, "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 5))
    return flow


@pytest.mark.parametrize(
    ("org_id", "expected"),
    [
        ("st", ["ap1.a", "ap1.b", "ap2.a", "ctyxk.a", "toan.a"]),
        ("ks", ["ap1.a", "ap1.b", "ap2.a", "ctyxk.a", "toan.a"]),
        ("ks.anmy", ["ap1.a", "ap1.b", "ap2.a"]),
        ("ks.anmy.ap1", ["ap1.a", "ap1.b"]),
        ("ks.thpt", ["toan.a"]),
        ("ks.thpt.gv", ["toan.a"]),
        ("ks.ctyxk", ["ctyxk.a"]),
    ],
)
def test_candidates_are_listed_by_org_subtree(cohort: AdmissionFlow, org_id: str, expected: list[str]) -> None:
    assert [c.id for c in cohort.candidates(org_id=org_id)] == expected


def test_listing_an_org_without_candidates_gives_an_empty_list(cohort: AdmissionFlow) -> None:
    cohort.add_org(id="ks.moi", name="Chi bộ mới", kind="cell", parent_id="ks")

    assert cohort.candidates(org_id="ks.moi") == []


def test_listing_by_an_unknown_org_raises_not_found(cohort: AdmissionFlow) -> None:
    with pytest.raises(NotFound):
        cohort.candidates(org_id="không-có")


def test_candidates_are_listed_by_state(cohort: AdmissionFlow) -> None:
    assert [c.id for c in cohort.candidates(state="sympathizer")] == ["ap1.b", "toan.a"]
    assert [c.id for c in cohort.candidates(state="prospect")] == ["ap1.a", "ap2.a", "ctyxk.a"]
    assert cohort.candidates(state="full_member") == []


def test_candidates_are_listed_by_org_subtree_and_state_together(cohort: AdmissionFlow) -> None:
    assert [c.id for c in cohort.candidates(org_id="ks.anmy", state="sympathizer")] == ["ap1.b"]
    assert [c.id for c in cohort.candidates(org_id="ks.anmy", state="prospect")] == ["ap1.a", "ap2.a"]


# -------------------------------------------------------------------- instants


def test_recorded_at_comes_back_aware_utc_and_equal_to_the_clock(
    flow: AdmissionFlow, reader: AdmissionFlow, clock: ManualClock
) -> None:
    add_sample_orgs(flow)
    enrolled_at = datetime(2026, 1, 5, 2, 0, 0, 123456, tzinfo=UTC)
    clock.set(enrolled_at)
    flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks.anmy.ap1", workflow=WORKFLOW)
    fired_at = clock.advance(timedelta(hours=30, microseconds=654321))
    flow.fire("an", "admit_to_sympathizer_list", role="cell")

    history = reader.history("an")

    assert [e.recorded_at for e in history] == [enrolled_at, fired_at]
    for event in history:
        assert event.recorded_at.tzinfo is not None
        assert event.recorded_at.utcoffset() == timedelta(0)
        assert event.recorded_at.tzinfo == UTC


def test_an_instant_given_in_another_zone_is_stored_as_the_same_utc_instant(
    flow: AdmissionFlow, reader: AdmissionFlow, clock: ManualClock
) -> None:
    add_sample_orgs(flow)
    ict = timezone(timedelta(hours=7))
    clock.set(datetime(2026, 1, 5, 8, 30, tzinfo=ict))
    flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks.anmy.ap1", workflow=WORKFLOW)

    (event,) = reader.history("an")

    assert event.recorded_at == datetime(2026, 1, 5, 1, 30, tzinfo=UTC)
    assert (event.recorded_at.hour, event.recorded_at.tzinfo) == (1, UTC)


@pytest.mark.postgres
def test_a_postgresql_session_in_another_time_zone_stores_and_reads_the_same_utc_instant(
    postgres_schema_url: str, clock: ManualClock
) -> None:
    recorded_at = datetime(2026, 1, 5, 2, 0, 0, 123456, tzinfo=UTC)
    clock.set(recorded_at)
    hanoi_session = postgres_schema_url + "%20-ctimezone%3DAsia/Ho_Chi_Minh"
    with open_flow(hanoi_session, clock) as writer, open_flow(postgres_schema_url, clock) as utc_reader:
        writer.upgrade_database()
        with writer.store.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW timezone").scalar_one() == "Asia/Ho_Chi_Minh"
        writer.add_org(id="ks", name="Huyện ủy Kế Sách", kind="superior_committee")
        writer.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks", workflow=WORKFLOW)

        seen = [writer.history("an")[0].recorded_at, utc_reader.history("an")[0].recorded_at]

    assert seen == [recorded_at, recorded_at]
    assert [instant.tzinfo for instant in seen] == [UTC, UTC]


def test_every_stored_instant_column_comes_back_aware_and_equal(
    flow: AdmissionFlow, reader: AdmissionFlow, clock: ManualClock
) -> None:
    created_at = datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    clock.set(created_at)
    add_sample_orgs(flow)
    flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks.anmy.ap1", workflow=WORKFLOW)
    updated_at = clock.advance(timedelta(days=1))
    flow.fire("an", "admit_to_sympathizer_list", role="cell")
    flow.fire("an", "assign_helper", role="cell", data={"helper": "Trần Văn Bình"})

    with reader.store.engine.connect() as conn:
        org_created = conn.execute(select(Org.__table__.c.created_at).where(Org.__table__.c.id == "ks")).scalar_one()
        cand_created = conn.execute(select(Candidate.__table__.c.created_at)).scalar_one()
    instance = instance_row(reader, "an")

    stored = {
        "org.created_at": org_created,
        "candidate.created_at": cand_created,
        "instance.started_at": instance["started_at"],
        "instance.updated_at": instance["updated_at"],
    }
    assert stored == {
        "org.created_at": created_at,
        "candidate.created_at": created_at,
        "instance.started_at": created_at,
        "instance.updated_at": updated_at,
    }
    assert {name: value.tzinfo for name, value in stored.items()} == dict.fromkeys(stored, UTC)


# -------------------------------------------------------------------- JSON columns


def test_event_payload_votes_and_document_attributes_round_trip_as_json(
    flow: AdmissionFlow, reader: AdmissionFlow
) -> None:
    add_sample_orgs(flow)
    flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks.anmy.ap1", workflow=WORKFLOW)
    flow.fire("an", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 5), data=NESTED_JSON)
    flow.fire("an", "nominate_for_class", role="cell", on=date(2026, 1, 6))
    certificate = DocumentRecord(
        "awareness_certificate",
        date(2026, 2, 1),
        "Số 12/GCN-TTCT",
        {"trung_tâm": "Trung tâm Chính trị huyện Kế Sách", "xếp_loại": "Khá", "ngày_thi": date(2026, 1, 30)},
    )
    flow.fire(
        "an",
        "issue_awareness_certificate",
        role="political_centre",
        on=date(2026, 2, 1),
        documents=[certificate],
        votes=Votes(in_favour=7, eligible=9, against=1),
    )

    history = reader.history("an")
    record = reader.candidate("an")
    (doc_row,) = document_rows(reader, "an")

    attributes = {"trung_tâm": "Trung tâm Chính trị huyện Kế Sách", "xếp_loại": "Khá", "ngày_thi": "2026-01-30"}
    assert history[1].payload == NESTED_JSON
    assert history[3].votes == {"in_favour": 7, "eligible": 9, "against": 1}
    assert history[3].documents == [
        {
            "kind": "awareness_certificate",
            "form": "CN-NTVĐ",
            "issued_on": "2026-02-01",
            "reference": "Số 12/GCN-TTCT",
            "attributes": attributes,
        }
    ]
    assert record.documents == {
        "awareness_certificate": [{"issued_on": "2026-02-01", "reference": "Số 12/GCN-TTCT", "attributes": attributes}]
    }
    assert (doc_row["form"], doc_row["issued_on"], doc_row["attributes"]) == ("CN-NTVĐ", date(2026, 2, 1), attributes)
    assert record.dates == {
        "sympathizer_listed_on": "2026-01-05",
        "class_nominated_on": "2026-01-06",
        "certificate_issued_on": "2026-02-01",
    }


def test_instance_flags_and_dates_round_trip_as_json(flow: AdmissionFlow, reader: AdmissionFlow) -> None:
    add_sample_orgs(flow)
    flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks.anmy.ap1", workflow=WORKFLOW)
    flow.fire("an", "admit_to_sympathizer_list", role="cell", on=date(2026, 1, 5))

    raw = instance_row(reader, "an")

    assert raw["dates"] == {"sympathizer_listed_on": "2026-01-05"}
    assert raw["flags"] == []
    assert raw["documents"] == {}
    assert [r["payload"] for r in event_rows(reader, "an")] == [{}, {}]
    assert [r["votes"] for r in event_rows(reader, "an")] == [None, None]


def test_candidate_attributes_holding_a_date_come_back_as_iso_text_like_org_attributes(
    flow: AdmissionFlow, reader: AdmissionFlow
) -> None:
    flow.add_org(id="ks", name="Huyện ủy Kế Sách", kind="superior_committee", attributes={"từ": date(2020, 1, 1)})
    flow.add_candidate(
        id="an", full_name="Nguyễn Văn An", org_id="ks", attributes={"vào_đoàn": date(2014, 3, 26)}, workflow=WORKFLOW
    )

    assert reader.org("ks").attributes == {"từ": "2020-01-01"}
    assert reader.candidate("an").attributes == {"vào_đoàn": "2014-03-26"}


def test_a_database_that_was_never_upgraded_says_how_to_create_its_tables(
    database_url: str, clock: ManualClock
) -> None:
    flow = AdmissionFlow(Settings(database_url=database_url, workflows_dir=ROOT / "workflows"), clock=clock)
    try:
        if database_url.startswith("sqlite:///"):  # a missing file is not created by a read (only by an upgrade)
            path = Path(database_url.removeprefix("sqlite:///"))
            with pytest.raises(ConfigurationError, match=r"no database at .*: run `admission-flow db upgrade`"):
                flow.outbox()
            assert not path.exists()
            path.touch()  # an empty file: a database without tables
        with pytest.raises(StoreError, match=r"no admission_flow tables; run `admission-flow db upgrade`"):
            flow.outbox()
        with pytest.raises(StoreError, match=r"run `admission-flow db upgrade`"):
            flow.sweep()
    finally:
        flow.close()
