"""What a variant or a new version changes: ``diff`` (readable lines) and ``changed_states`` (for diagrams).

The shipped pair standard@2021 → standard@2025 is compared as loaded from ``workflows/``; the other cases use
a small base and a variant written to a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from admission_flow.engine.catalog import Catalog
from admission_flow.guards import default_registry
from admission_flow.workflow.diff import Change, changed_states, diff
from admission_flow.workflow.spec import WorkflowSpec

SHIPPED = Path(__file__).resolve().parents[2] / "workflows"

BASE = """\
id: base
version: "1"
title: {vi: Quy trình cơ sở, en: Base procedure}
initial: applicant
roles:
  cell: {vi: Chi bộ, en: Party cell}
  committee: {vi: Cấp ủy, en: Committee}
documents:
  application: {label: {vi: Đơn xin vào Đảng, en: Application}}
  background: {label: {vi: Lý lịch, en: Background}}
dates:
  applied_on: {vi: Ngày nộp đơn, en: Applied}
flags:
  reviewed: {vi: Đã xem xét, en: Reviewed}
states:
  applicant:
    label: {vi: Người xin vào Đảng, en: Applicant}
    deadlines:
      - {id: decide, label: {vi: Quyết định, en: Decide}, from: entered, after: {days: 60}}
  member: {label: {vi: Đảng viên, en: Member}}
  done: {final: true, label: {vi: Hoàn tất, en: Done}}
transitions:
  - trigger: review
    source: applicant
    roles: [cell]
    requires_documents: [application]
    sets: [reviewed]
    records: [applied_on]
  - {trigger: admit, source: applicant, dest: member, roles: [cell], guards: [{flag_set: {flag: reviewed}}]}
  - {trigger: finish, source: member, dest: done, roles: [committee]}
"""

VARIANT = """\
id: variant
version: "1"
extends: base@1
documents:
  transcript: {label: {vi: Bảng điểm, en: Transcript}}
states:
  on_hold: {label: {vi: Tạm dừng, en: On hold}}
transitions:
  - {trigger: hold, label: {vi: Tạm dừng hồ sơ, en: Put on hold}, source: applicant, dest: on_hold, roles: [cell]}
  - {trigger: resume, source: on_hold, dest: applicant, roles: [cell]}
"""


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return Catalog.from_folder(SHIPPED, default_registry())


def pair(tmp_path: Path, variant: str = VARIANT) -> tuple[WorkflowSpec, WorkflowSpec]:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "variant.yaml").write_text(variant, encoding="utf-8")
    catalog = Catalog.from_folder(tmp_path, default_registry())
    return catalog.resolve("base@1").spec, catalog.resolve("variant@1").spec


def lines(old: WorkflowSpec, new: WorkflowSpec) -> list[str]:
    return [str(c) for c in diff(old, new)]


# ---------------------------------------------------------------- the shipped 2021 → 2025 version


@pytest.mark.parametrize(
    ("trigger", "power"),
    [("decide_admission", "admission"), ("decide_recognition", "recognition"), ("grant_exception_consent", "consent")],
)
def test_the_2025_rules_add_a_competent_authority_guard_to_each_deciding_event(
    shipped: Catalog, trigger: str, power: str
) -> None:
    found = lines(shipped.resolve("standard@2021").spec, shipped.resolve("standard@2025").spec)

    assert f"~ transitions: {trigger}.guards: + competent_authority(power={power})" in found


def test_each_competent_authority_change_is_a_changed_guard_list_of_a_transition(shipped: Catalog) -> None:
    changes = diff(shipped.resolve("standard@2021").spec, shipped.resolve("standard@2025").spec)
    guards = [c for c in changes if c.path == "guards[]"]

    assert {c.name for c in guards} == {
        "decide_admission",
        "reject_admission",
        "decide_recognition",
        "decide_strike_off",
        "grant_exception_consent",
        "deny_exception_consent",
    }
    for change in guards:
        assert (change.kind, change.section, change.before) == ("changed", "transitions", [])
        assert [g["name"] for g in change.after] == ["competent_authority"]
        assert str(change).startswith("~ transitions:")
    decide = next(c for c in guards if c.name == "decide_admission")
    assert decide.after == [{"name": "competent_authority", "params": {"power": "admission"}}]


def test_the_2025_rules_change_no_state_document_date_or_flag(shipped: Catalog) -> None:
    changes = diff(shipped.resolve("standard@2021").spec, shipped.resolve("standard@2025").spec)

    assert {c.section for c in changes} == {"workflow", "roles", "transitions"}
    assert [str(c) for c in changes if c.section == "roles"] == [
        "~ roles: competent_committee: “Cấp ủy có thẩm quyền” → “Cấp ủy có thẩm quyền (theo phân cấp trên cây tổ chức)”"
    ]
    assert all(c.kind == "changed" for c in changes)


def test_the_title_change_is_shown_first_with_both_vietnamese_titles(shipped: Catalog) -> None:
    first = diff(shipped.resolve("standard@2021").spec, shipped.resolve("standard@2025").spec)[0]

    assert (first.section, first.name) == ("workflow", "title")
    assert str(first).startswith("~ workflow: title: “Kết nạp đảng viên (Quy định 24-QĐ/TW")
    assert "→ “Kết nạp đảng viên (Quy định 294-QĐ/TW" in str(first)


def test_a_workflow_compared_with_itself_has_no_changes(shipped: Catalog) -> None:
    spec = shipped.resolve("standard@2025").spec

    assert diff(spec, spec) == []
    assert changed_states(spec, spec) == []


def test_changed_states_marks_the_states_around_the_deciding_events(shipped: Catalog) -> None:
    marked = changed_states(shipped.resolve("standard@2021").spec, shipped.resolve("standard@2025").spec)

    assert {"awaiting_admission_decision", "awaiting_exception_consent", "awaiting_recognition_decision"} <= set(marked)
    assert {"prospect", "sympathizer", "dossier_in_progress", "probationary"}.isdisjoint(marked)
    assert len(marked) == len(set(marked))


def test_the_students_variant_adds_the_transcript_and_the_graduation(shipped: Catalog) -> None:
    found = lines(shipped.resolve("standard@2025").spec, shipped.resolve("students@2025").spec)

    assert "+ documents: transcript (Bảng điểm học tập gần nhất)" in found
    assert "~ transitions: dossier_complete.requires_documents: + transcript" in found
    assert "+ transitions: graduate (Tốt nghiệp, nhà trường chuyển hồ sơ về địa phương)" in found


# ---------------------------------------------------------------- a variant written for the test


def test_a_variant_that_adds_a_document_and_a_state_shows_plus_lines(tmp_path: Path) -> None:
    base, variant = pair(tmp_path)

    assert lines(base, variant) == [
        "+ documents: transcript (Bảng điểm)",
        "+ states: on_hold (Tạm dừng)",
        "+ transitions: hold (Tạm dừng hồ sơ)",
        "+ transitions: resume",
    ]


def test_added_changes_carry_the_new_value_and_no_old_one(tmp_path: Path) -> None:
    base, variant = pair(tmp_path)
    added = {(c.section, c.name): c for c in diff(base, variant)}

    document = added[("documents", "transcript")]
    assert (document.kind, document.before, document.path) == ("added", None, "")
    assert document.after == {"label": {"vi": "Bảng điểm", "en": "Transcript"}}
    assert all(isinstance(c, Change) and c.kind == "added" for c in added.values())


def test_removed_parts_show_minus_lines(tmp_path: Path) -> None:
    base, variant = pair(tmp_path, 'id: variant\nversion: "1"\nextends: base@1\nremove:\n  documents: [background]\n')

    assert lines(base, variant) == ["- documents: background (Lý lịch)"]


def test_a_changed_deadline_and_transition_show_tilde_lines_where_the_change_was_made(tmp_path: Path) -> None:
    base, variant = pair(
        tmp_path,
        'id: variant\nversion: "1"\nextends: base@1\n'
        "states:\n"
        "  applicant:\n"
        "    label: {vi: Người xin vào Đảng, en: Applicant}\n"
        "    deadlines:\n"
        "      - {id: decide, label: {vi: Quyết định, en: Decide}, from: entered, after: {days: 45}}\n"
        "transitions:\n"
        "  - trigger: review\n"
        "    source: applicant\n"
        "    roles: [cell, committee]\n"
        "    requires_documents: [application, background]\n"
        "    sets: [reviewed]\n"
        "    records: [applied_on]\n",
    )

    assert lines(base, variant) == [
        "~ states: applicant.deadlines.decide.after.days: 60 → 45",
        "~ transitions: review.roles: + committee",
        "~ transitions: review.requires_documents: + background",
    ]


def test_changed_states_marks_an_added_state_and_the_states_its_transitions_touch(tmp_path: Path) -> None:
    base, variant = pair(tmp_path)

    assert changed_states(base, variant) == ["on_hold", "applicant"]


def test_changed_states_leaves_out_states_the_new_workflow_no_longer_has(tmp_path: Path) -> None:
    base, variant = pair(
        tmp_path,
        'id: variant\nversion: "1"\nextends: base@1\n'
        "remove: {states: [member], transitions: [admit, finish]}\n"
        "transitions:\n  - {trigger: admit, source: applicant, dest: done, roles: [cell]}\n",
    )

    marked = changed_states(base, variant)
    assert "member" not in marked
    assert set(marked) == {"applicant", "done"}
    assert "- states: member (Đảng viên)" in lines(base, variant)
