"""Targets, quotas and classes in the database: set and replace, list by period and subtree, allocation of a
parent's quota to its children, the 2–3× warning, and the caller's subtree bounding all of it."""

from __future__ import annotations

from datetime import date

import pytest

from admission_flow.errors import AlreadyExists, InvalidInput, NotFound
from admission_flow.flow import AdmissionFlow
from admission_flow.testing.scenario import add_sample_orgs


@pytest.fixture
def planned(flow: AdmissionFlow) -> AdmissionFlow:
    add_sample_orgs(flow)
    flow.set_target("ks", kind="term", starts_on=date(2020, 10, 1), ends_on=date(2025, 9, 30), admissions=500)
    flow.set_target("ks.anmy", kind="annual", year=2024, admissions=10, sourcing_plan=25)
    flow.set_target("ks.anmy", kind="annual", year=2025, admissions=12, sourcing_plan=30)
    return flow


def test_setting_the_same_organisation_kind_and_start_replaces_the_target(planned: AdmissionFlow) -> None:
    first = planned.targets(org_id="ks.anmy", year=2024)
    again = planned.set_target("ks.anmy", kind="annual", year=2024, admissions=11, sourcing_plan=22, note="sửa")
    assert again.id == first[0].id
    [now] = planned.targets(org_id="ks.anmy", year=2024)
    assert (now.admissions, now.sourcing_plan, now.note) == (11, 22, "sửa")


def test_targets_are_listed_by_period_kind_and_subtree(planned: AdmissionFlow) -> None:
    assert [(t.org_id, t.kind) for t in planned.targets(year=2024)] == [("ks", "term"), ("ks.anmy", "annual")]
    assert [t.starts_on.year for t in planned.targets(kind="annual")] == [2024, 2025]
    assert [t.org_id for t in planned.targets(org_id="ks.anmy")] == ["ks.anmy", "ks.anmy"]
    assert planned.targets(within="ks.thpt") == []
    assert len(planned.targets(starts=date(2025, 9, 30), ends=date(2025, 10, 1))) == 2  # the term's last day


def test_the_sourcing_plan_outside_two_to_three_times_is_a_warning_not_a_refusal(planned: AdmissionFlow) -> None:
    record = planned.set_target("ks.anmy.ap1", kind="annual", year=2024, admissions=4, sourcing_plan=13)
    assert [w.code for w in record.warnings if w.org_id == "ks.anmy.ap1"] == ["sourcing_plan_large"]
    assert [w.code for w in planned.targets(org_id="ks.anmy.ap1")[0].warnings] == ["sourcing_plan_large"]
    planned.set_target("ks.anmy.ap1", kind="annual", year=2024, admissions=4, sourcing_plan=12)
    assert planned.targets(org_id="ks.anmy.ap1")[0].warnings == []


def test_the_factors_come_from_the_settings(planned: AdmissionFlow) -> None:
    planned.settings = planned.settings.model_copy(update={"sourcing_plan_min_factor": 3.0})
    assert [w.code for w in planned.targets(org_id="ks.anmy", year=2024)[0].warnings] == ["sourcing_plan_small"]


def test_allocation_reports_children_short_of_over_or_matching_the_parents_quota(planned: AdmissionFlow) -> None:
    [before] = planned.allocation(year=2024)
    assert (before.org_id, before.children, before.children_with_target, before.status) == (
        "ks.anmy",
        2,
        0,
        "unallocated",
    )
    short = planned.set_target("ks.anmy.ap1", kind="annual", year=2024, admissions=4, sourcing_plan=8)
    assert [(w.code, w.org_id) for w in short.warnings] == [("allocation_short", "ks.anmy")]
    over = planned.set_target("ks.anmy.ap2", kind="annual", year=2024, admissions=7)
    assert [w.code for w in over.warnings] == ["allocation_over"]
    [after] = planned.allocation(year=2024)
    assert (after.allocated, after.children_with_target, after.status) == (11, 2, "over")
    planned.set_target("ks.anmy.ap2", kind="annual", year=2024, admissions=6)
    [balanced] = planned.allocation(year=2024, org_id="ks.anmy")
    assert (balanced.allocated, balanced.status, balanced.warnings) == (10, "balanced", [])
    # another year's quotas do not count towards 2024's
    assert [a.status for a in planned.allocation(year=2025)] == ["unallocated"]
    assert planned.allocation(kind="term", year=2024)[0].status == "unallocated"


def test_a_caller_sets_and_sees_targets_only_in_its_subtree(planned: AdmissionFlow) -> None:
    with pytest.raises(NotFound):
        planned.set_target("ks.anmy", kind="annual", year=2026, admissions=1, within="ks.thpt")
    with pytest.raises(NotFound):
        planned.remove_target("ks.anmy", kind="annual", starts_on=date(2024, 1, 1), within="ks.thpt")
    assert planned.allocation(year=2024, within="ks.thpt") == []
    planned.remove_target("ks.anmy", kind="annual", starts_on=date(2024, 1, 1), within="ks")
    assert planned.targets(org_id="ks.anmy", year=2024) == []
    with pytest.raises(NotFound):
        planned.remove_target("ks.anmy", kind="annual", starts_on=date(2024, 1, 1))


def test_bad_target_input_is_refused_before_anything_is_written(planned: AdmissionFlow) -> None:
    with pytest.raises(InvalidInput):
        planned.set_target("ks.anmy", kind="annual", year=2024, starts_on=date(2024, 1, 1), admissions=1)
    with pytest.raises(InvalidInput):
        planned.set_target("ks.anmy", kind="annual", starts_on=date(2024, 1, 1), admissions=1)  # no end
    with pytest.raises(NotFound):
        planned.set_target("nowhere", kind="annual", year=2024, admissions=1)


def test_classes_are_recorded_once_per_reference_and_listed_by_period_and_subtree(planned: AdmissionFlow) -> None:
    planned.add_class("ks", kind="awareness", reference="01/2024", starts_on=date(2024, 3, 4), attendees=77)
    planned.add_class(
        "ks.thpt",
        kind="new_member",
        reference="NM-1",
        starts_on=date(2024, 12, 30),
        ends_on=date(2025, 1, 3),
        attendees=12,
    )
    planned.add_class("ks.anmy", kind="awareness", reference="01/2024", starts_on=date(2025, 5, 1), attendees=40)
    with pytest.raises(AlreadyExists):
        planned.add_class("ks", kind="awareness", reference="01/2024", starts_on=date(2024, 5, 1), attendees=1)
    assert [c.reference for c in planned.classes(year=2024)] == ["01/2024", "NM-1"]
    assert [c.org_id for c in planned.classes(year=2025)] == ["ks.thpt", "ks.anmy"]  # NM-1 ran into 2025
    assert [c.org_id for c in planned.classes(kind="awareness", org_id="ks.anmy")] == ["ks.anmy"]
    assert [c.org_id for c in planned.classes(within="ks.thpt")] == ["ks.thpt"]
    with pytest.raises(NotFound):
        planned.add_class(
            "ks", kind="awareness", reference="x", starts_on=date(2024, 1, 1), attendees=1, within="ks.thpt"
        )
    planned.remove_class("ks", kind="awareness", reference="01/2024")
    assert sum(c.attendees for c in planned.classes()) == 52


def test_allocation_uses_the_tree_as_it_stood_on_the_targets_last_day(flow: AdmissionFlow) -> None:
    """A cell moved to another committee on 1 July 2024 counts under its new parent for 2024 and for a period
    ending on the move's day, and under its old one for 2023 and for a period ending the day before."""
    flow.add_org(id="d", name="Huyện ủy", kind="superior_committee")
    for committee in ("d.a", "d.b"):
        flow.add_org(id=committee, name=f"Đảng ủy {committee}", kind="grassroots_committee", parent_id="d")
    for cell in ("d.a.c1", "d.a.c2"):
        flow.add_org(id=cell, name=f"Chi bộ {cell}", kind="cell", parent_id="d.a")
    flow.move_org("d.a.c2", "d.b", effective_on=date(2024, 7, 1))
    eve, move_day = (date(2019, 7, 1), date(2024, 6, 30)), (date(2019, 7, 2), date(2024, 7, 1))
    for org_id, admissions in (("d.a", 10), ("d.b", 6), ("d.a.c1", 4), ("d.a.c2", 6)):
        flow.set_target(org_id, kind="annual", year=2023, admissions=admissions)
        for starts_on, ends_on in (eve, move_day):
            flow.set_target(org_id, kind="term", starts_on=starts_on, ends_on=ends_on, admissions=admissions)
    for org_id, admissions in (("d.a", 10), ("d.b", 6), ("d.a.c1", 4)):
        flow.set_target(org_id, kind="annual", year=2024, admissions=admissions)
    # the cell's 2024 quota is checked against its parent at the end of 2024: d.b (6 planned, 7 given)
    moved = flow.set_target("d.a.c2", kind="annual", year=2024, admissions=7)
    assert [(w.code, w.org_id) for w in moved.warnings] == [("allocation_over", "d.b")]

    def rows(kind: str, **period: object) -> dict[tuple[str, int], tuple[int, int, str]]:
        found = flow.allocation(kind=kind, org_id="d", **period)  # type: ignore[arg-type]
        return {(a.org_id, a.ends_on.day): (a.children, a.allocated, a.status) for a in found}

    # d has no quota of its own; d.b had no child in 2023
    assert rows("annual", year=2023) == {("d.a", 31): (2, 10, "balanced")}
    assert rows("annual", year=2024) == {("d.a", 31): (1, 4, "short"), ("d.b", 31): (1, 7, "over")}
    # the terms ending on 30 June (the move's eve) and on 1 July (its day)
    assert rows("term", year=2024) == {
        ("d.a", 30): (2, 10, "balanced"),
        ("d.a", 1): (1, 4, "short"),
        ("d.b", 1): (1, 6, "balanced"),
    }
