"""``extends``: a variant is its base plus its own changes, merged entry by entry before validation.

Every test writes a small base and a variant to a temporary folder and loads the folder as a catalog, the way
the application does. Problems are compared as the text an administrator reads: ``FILE:LINE:COLUMN: PATH:
MESSAGE``, with the line and column computed from the YAML text itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from admission_flow.engine.catalog import Catalog
from admission_flow.errors import WorkflowDefinitionError
from admission_flow.guards import default_registry
from admission_flow.workflow.spec import DeadlineSpec, WorkflowSpec

BASE = """\
id: base
version: "1"
title: {vi: Quy trình cơ sở, en: Base procedure}
initial: applicant

roles:
  cell: {vi: Chi bộ, en: Party cell}
  committee: {vi: Cấp ủy, en: Committee}

documents:
  application: {form: 1-KNĐ, label: {vi: Đơn xin vào Đảng, en: Application}}
  background: {form: 2-KNĐ, label: {vi: Lý lịch, en: Background}}

dates:
  applied_on: {vi: Ngày nộp đơn, en: Applied}
  admitted_on: {vi: Ngày kết nạp, en: Admitted}

flags:
  reviewed: {vi: Đã xem xét, en: Reviewed}

deadlines:
  - id: overall
    label: {vi: Toàn bộ quy trình, en: Whole procedure}
    from: applied_on
    after: {days: 365}
  - id: yearly_check
    label: {vi: Kiểm tra hằng năm, en: Yearly check}
    from: applied_on
    after: {months: 12}

states:
  applicant:
    label: {vi: Người xin vào Đảng, en: Applicant}
    deadlines:
      - id: review
        label: {vi: Xem xét hồ sơ, en: Review the dossier}
        from: entered
        after: {days: 30}
      - id: decide
        label: {vi: Quyết định, en: Decide}
        from: entered
        after: {days: 60}
  awaiting_consent:
    label: {vi: Chờ cấp trên đồng ý, en: Awaiting consent}
  member:
    label: {vi: Đảng viên, en: Member}
  withdrawn:
    final: true
    label: {vi: Tự rút, en: Withdrawn}

transitions:
  - trigger: review
    source: applicant
    roles: [cell]
    requires_documents: [application]
    sets: [reviewed]
    records: [applied_on]
  - trigger: admit
    source: applicant
    dest: awaiting_consent
    when:
      - age_in_range: {min_months: 721, max_months: null}
    roles: [cell]
    guards:
      - flag_set: {flag: reviewed}
  - trigger: admit
    source: applicant
    dest: member
    roles: [cell]
    guards:
      - flag_set: {flag: reviewed}
    records: [admitted_on]
  - trigger: consent
    source: awaiting_consent
    dest: member
    roles: [committee]
  - trigger: withdraw
    source: "*"
    dest: withdrawn
"""

VARIANT_HEAD = 'id: variant\nversion: "1"\nextends: base@1\n'


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def load(folder: Path, **files: str) -> Catalog:
    return Catalog.from_folder(write(folder, **files), default_registry())


def variant_of(tmp_path: Path, body: str, base: str = BASE) -> WorkflowSpec:
    """The merged ``variant@1`` of ``VARIANT_HEAD + body`` over ``base``."""
    return load(tmp_path / "wf", base=base, variant=VARIANT_HEAD + body).resolve("variant@1").spec


def problems(folder: Path, **files: str) -> list[str]:
    with pytest.raises(WorkflowDefinitionError) as caught:
        load(folder, **files)
    return [str(p) for p in caught.value.problems]


def at(file: Path, text: str, line_with: str, token: str | None = None) -> str:
    """``FILE:LINE:COLUMN`` of ``token`` on the first line of ``text`` that contains ``line_with``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line_with in line:
            return f"{file}:{number}:{line.index(token or line_with) + 1}"
    raise AssertionError(f"{line_with!r} is not in the text")


def deadlines_by_id(deadlines: list[DeadlineSpec]) -> dict[str, tuple[str, str]]:
    return {d.id: (d.label.en, str(d.after)) for d in deadlines}


# ---------------------------------------------------------------- scalars and map sections


def test_the_base_alone_loads(tmp_path: Path) -> None:
    assert [wf.key for wf in load(tmp_path, base=BASE)] == ["base@1"]


def test_a_variant_overrides_the_title_and_inherits_everything_it_does_not_mention(tmp_path: Path) -> None:
    catalog = load(tmp_path, base=BASE, variant=VARIANT_HEAD + "title: {vi: Biến thể, en: Variant procedure}\n")
    base, variant = catalog.resolve("base@1").spec, catalog.resolve("variant@1").spec

    assert (variant.id, variant.version, variant.extends) == ("variant", "1", "base@1")
    assert variant.title.en == "Variant procedure"
    assert variant.initial == base.initial == "applicant"
    assert variant.roles == base.roles
    assert variant.documents == base.documents
    assert variant.states == base.states
    assert variant.transitions == base.transitions
    assert variant.deadlines == base.deadlines


def test_a_variant_without_a_title_keeps_the_base_title(tmp_path: Path) -> None:
    assert variant_of(tmp_path, "").title.en == "Base procedure"


def test_a_variant_adds_a_document_next_to_the_base_documents(tmp_path: Path) -> None:
    spec = variant_of(tmp_path, "documents:\n  transcript: {label: {vi: Bảng điểm, en: Transcript}}\n")

    assert list(spec.documents) == ["application", "background", "transcript"]
    assert spec.documents["transcript"].label.en == "Transcript"
    assert spec.documents["application"].form == "1-KNĐ"


def test_a_variant_entry_replaces_the_base_entry_of_the_same_name(tmp_path: Path) -> None:
    spec = variant_of(
        tmp_path,
        "roles:\n  committee: {vi: Cấp ủy có thẩm quyền, en: Competent committee}\n"
        "documents:\n  background: {form: 2-KNĐ, valid_for: {months: 12}, label: {vi: Lý lịch, en: Background}}\n",
    )

    assert spec.roles["committee"].en == "Competent committee"
    assert spec.roles["cell"].en == "Party cell"
    assert str(spec.documents["background"].valid_for) == "12 months"
    assert list(spec.documents) == ["application", "background"]


# ---------------------------------------------------------------- states and deadlines


def test_a_variant_replaces_a_state_label_but_keeps_its_deadlines(tmp_path: Path) -> None:
    spec = variant_of(tmp_path, "states:\n  applicant:\n    label: {vi: Người vào Đảng, en: Candidate}\n")

    applicant = spec.states["applicant"]
    assert applicant.label.en == "Candidate"
    assert deadlines_by_id(applicant.deadlines) == {
        "review": ("Review the dossier", "30 days"),
        "decide": ("Decide", "60 days"),
    }
    assert list(spec.states) == ["applicant", "awaiting_consent", "member", "withdrawn"]


def test_a_state_deadline_with_a_new_id_is_added_and_one_with_a_known_id_replaces_the_base_one(
    tmp_path: Path,
) -> None:
    spec = variant_of(
        tmp_path,
        "states:\n"
        "  applicant:\n"
        "    label: {vi: Người xin vào Đảng, en: Applicant}\n"
        "    deadlines:\n"
        "      - {id: decide, label: {vi: Quyết định sớm, en: Decide early}, from: entered, after: {days: 45}}\n"
        "      - {id: interview, label: {vi: Gặp gỡ, en: Interview}, from: entered, after: {days: 10}}\n",
    )

    assert deadlines_by_id(spec.states["applicant"].deadlines) == {
        "review": ("Review the dossier", "30 days"),
        "decide": ("Decide early", "45 days"),
        "interview": ("Interview", "10 days"),
    }


def test_workflow_wide_deadlines_are_merged_by_id(tmp_path: Path) -> None:
    spec = variant_of(
        tmp_path,
        "deadlines:\n"
        "  - {id: overall, label: {vi: Toàn bộ, en: Whole procedure shorter}, from: applied_on, after: {days: 180}}\n"
        "  - {id: transfer, label: {vi: Chuyển, en: Transfer}, from: entered, after: {days: 30}}\n",
    )

    assert deadlines_by_id(spec.deadlines) == {
        "overall": ("Whole procedure shorter", "180 days"),
        "yearly_check": ("Yearly check", "12 months"),
        "transfer": ("Transfer", "30 days"),
    }


def test_a_new_state_of_the_variant_is_added_after_the_base_states(tmp_path: Path) -> None:
    spec = variant_of(
        tmp_path,
        "states:\n  on_hold: {label: {vi: Tạm dừng, en: On hold}}\n"
        "transitions:\n"
        "  - {trigger: hold, source: applicant, dest: on_hold, roles: [cell]}\n"
        "  - {trigger: resume, source: on_hold, dest: applicant, roles: [cell]}\n",
    )

    assert list(spec.states) == ["applicant", "awaiting_consent", "member", "withdrawn", "on_hold"]
    assert spec.states["on_hold"].label.en == "On hold"


# ---------------------------------------------------------------- transitions


def test_a_variant_transition_replaces_all_alternatives_of_its_trigger_in_the_base_place(tmp_path: Path) -> None:
    spec = variant_of(
        tmp_path,
        "transitions:\n"
        "  - trigger: admit\n"
        "    source: applicant\n"
        "    dest: awaiting_consent\n"
        "    roles: [committee]\n"
        "    requires_documents: [background]\n",
    )

    assert [t.trigger for t in spec.transitions] == ["review", "admit", "consent", "withdraw"]
    admit = [t for t in spec.transitions if t.trigger == "admit"]
    assert len(admit) == 1
    assert (admit[0].dest, admit[0].roles, admit[0].requires_documents, admit[0].when) == (
        "awaiting_consent",
        ["committee"],
        ["background"],
        [],
    )
    assert admit[0].guards == []


def test_a_variant_transition_with_a_new_trigger_is_added_at_the_end(tmp_path: Path) -> None:
    spec = variant_of(
        tmp_path,
        "transitions:\n  - {trigger: submit_background, source: applicant, roles: [cell], "
        "requires_documents: [background]}\n",
    )

    assert [t.trigger for t in spec.transitions] == [
        "review",
        "admit",
        "admit",
        "consent",
        "withdraw",
        "submit_background",
    ]
    assert spec.transitions[-1].requires_documents == ["background"]


# ---------------------------------------------------------------- remove


def test_remove_takes_a_state_a_trigger_and_a_document_out_of_the_base(tmp_path: Path) -> None:
    spec = variant_of(
        tmp_path,
        "remove:\n  states: [awaiting_consent]\n  transitions: [consent]\n  documents: [background]\n"
        "transitions:\n"
        "  - {trigger: admit, source: applicant, dest: member, roles: [cell],\n"
        "     guards: [{flag_set: {flag: reviewed}}]}\n",
    )

    assert list(spec.states) == ["applicant", "member", "withdrawn"]
    assert [t.trigger for t in spec.transitions] == ["review", "admit", "withdraw"]
    assert list(spec.documents) == ["application"]


def test_remove_takes_a_role_a_date_and_a_flag_out_of_the_base(tmp_path: Path) -> None:
    spec = variant_of(
        tmp_path,
        "remove:\n  roles: [committee]\n  dates: [admitted_on]\n  flags: [reviewed]\n  states: [awaiting_consent]\n"
        "  transitions: [review, admit, consent]\n"
        "transitions:\n  - {trigger: admit, source: applicant, dest: member, roles: [cell]}\n",
    )

    assert list(spec.roles) == ["cell"]
    assert list(spec.dates) == ["applied_on"]
    assert spec.flags == {}


def test_remove_takes_a_state_deadline_and_a_workflow_wide_deadline_out_of_the_base(tmp_path: Path) -> None:
    spec = variant_of(tmp_path, "remove:\n  deadlines: [applicant.review, overall]\n")

    assert list(deadlines_by_id(spec.states["applicant"].deadlines)) == ["decide"]
    assert list(deadlines_by_id(spec.deadlines)) == ["yearly_check"]


def test_remove_of_a_deadline_also_applies_to_a_state_the_variant_overrides(tmp_path: Path) -> None:
    spec = variant_of(
        tmp_path,
        "remove:\n  deadlines: [applicant.decide]\n"
        "states:\n  applicant:\n    label: {vi: Người vào Đảng, en: Candidate}\n",
    )

    assert spec.states["applicant"].label.en == "Candidate"
    assert list(deadlines_by_id(spec.states["applicant"].deadlines)) == ["review"]


def test_removing_what_the_base_does_not_have_is_reported_at_each_name(tmp_path: Path) -> None:
    text = VARIANT_HEAD + (
        "remove:\n"
        "  states: [ghost]\n"
        "  transitions: [fly]\n"
        "  documents: [passport]\n"
        "  deadlines: [applicant.nothing, member.review, nothing]\n"
    )
    folder = tmp_path / "wf"
    file = folder / "variant.yaml"

    assert problems(folder, base=BASE, variant=text) == [
        f"{at(file, text, 'ghost')}: remove.states[0]: the base has no state 'ghost' to remove",
        f"{at(file, text, 'fly')}: remove.transitions[0]: the base has no transition 'fly' to remove",
        f"{at(file, text, 'passport')}: remove.documents[0]: the base has no document 'passport' to remove",
        f"{at(file, text, 'applicant.nothing')}: remove.deadlines[0]: "
        "the base has no deadline 'applicant.nothing' to remove",
        f"{at(file, text, 'member.review')}: remove.deadlines[1]: the base has no deadline 'member.review' to remove",
        f"{at(file, text, 'nothing]', 'nothing]')}: remove.deadlines[2]: the base has no deadline 'nothing' to remove",
    ]


def test_removing_an_unknown_section_is_reported(tmp_path: Path) -> None:
    text = VARIANT_HEAD + "remove:\n  guards: [flag_set]\n"
    folder = tmp_path / "wf"
    found = problems(folder, base=BASE, variant=text)

    assert len(found) == 1
    assert found[0].startswith(f"{at(folder / 'variant.yaml', text, 'guards')}: remove.guards: cannot remove 'guards'")


def test_remove_without_extends_is_reported(tmp_path: Path) -> None:
    text = BASE.replace('version: "1"\n', 'version: "1"\nremove:\n  states: [member]\n')
    folder = tmp_path / "wf"

    assert problems(folder, base=text) == [
        f"{at(folder / 'base.yaml', text, 'states: [member]', 'states')}: remove: "
        "'remove' only makes sense with 'extends'"
    ]


# ---------------------------------------------------------------- unknown bases and cycles


def test_an_unknown_base_is_reported_at_the_extends_value(tmp_path: Path) -> None:
    text = 'id: variant\nversion: "1"\nextends: nope@1\n'
    folder = tmp_path / "wf"

    assert problems(folder, base=BASE, variant=text) == [
        f"{folder / 'variant.yaml'}:3:10: extends: unknown base workflow 'nope@1'"
    ]


def test_a_base_without_a_version_is_reported_with_a_hint(tmp_path: Path) -> None:
    folder = tmp_path / "wf"

    assert problems(folder, base=BASE, variant='id: variant\nversion: "1"\nextends: base\n') == [
        f"{folder / 'variant.yaml'}:3:10: extends: unknown base workflow 'base' (write ID@VERSION)"
    ]


def test_a_cycle_of_extends_is_reported_in_every_file_of_the_cycle(tmp_path: Path) -> None:
    folder = tmp_path / "wf"
    found = problems(
        folder,
        base=BASE,
        first='id: first\nversion: "1"\nextends: second@1\n',
        second='id: second\nversion: "1"\nextends: first@1\n',
    )

    assert found == [
        f"{folder / 'first.yaml'}:3:10: extends: 'second@1' extends itself through a cycle",
        f"{folder / 'second.yaml'}:3:10: extends: 'first@1' extends itself through a cycle",
    ]


def test_a_workflow_extending_itself_is_a_cycle(tmp_path: Path) -> None:
    folder = tmp_path / "wf"

    assert problems(folder, base=BASE, variant='id: variant\nversion: "1"\nextends: variant@1\n') == [
        f"{folder / 'variant.yaml'}:3:10: extends: 'variant@1' extends itself through a cycle"
    ]


def test_a_variant_of_a_variant_merges_both_layers(tmp_path: Path) -> None:
    catalog = load(
        tmp_path,
        base=BASE,
        variant=VARIANT_HEAD + "documents:\n  transcript: {label: {vi: Bảng điểm, en: Transcript}}\n",
        grandchild='id: grandchild\nversion: "1"\nextends: variant@1\n'
        "title: {vi: Cháu, en: Grandchild}\n"
        "documents:\n  certificate: {label: {vi: Giấy chứng nhận, en: Certificate}}\n",
    )

    spec = catalog.resolve("grandchild@1").spec
    assert list(spec.documents) == ["application", "background", "transcript", "certificate"]
    assert spec.title.en == "Grandchild"


# ---------------------------------------------------------------- positions


def test_a_problem_in_an_inherited_part_points_at_the_base_file(tmp_path: Path) -> None:
    folder = tmp_path / "wf"
    base_file = folder / "base.yaml"
    from_lines = [n for n, line in enumerate(BASE.splitlines(), start=1) if line == "    from: applied_on"]

    found = problems(folder, base=BASE, variant=VARIANT_HEAD + "remove:\n  dates: [applied_on]\n")
    unknown = "unknown date 'applied_on': use 'entered' or a declared date"

    assert found == [
        f"{base_file}:{from_lines[0]}:11: deadlines[0].from: {unknown}",
        f"{base_file}:{from_lines[1]}:11: deadlines[1].from: {unknown}",
        f"{at(base_file, BASE, 'records: [applied_on]', 'applied_on')}: transitions[0].records[0]: "
        "unknown date 'applied_on' (did you mean 'admitted_on'?)",
    ]


def test_problems_in_inherited_and_variant_parts_point_at_their_own_files(tmp_path: Path) -> None:
    folder = tmp_path / "wf"
    base_file, variant_file = folder / "base.yaml", folder / "variant.yaml"
    text = VARIANT_HEAD + (
        "remove:\n"
        "  flags: [reviewed]\n"
        "transitions:\n"
        "  - trigger: extra\n"
        "    source: applicant\n"
        "    roles: [cell]\n"
        "    requires_documents: [transcript]\n"
    )

    found = problems(folder, base=BASE, variant=text)

    sets_line = at(base_file, BASE, "sets: [reviewed]", "reviewed")
    guards = [n for n, line in enumerate(BASE.splitlines(), start=1) if "flag_set: {flag: reviewed}" in line]
    assert found == [
        f"{sets_line}: transitions[0].sets[0]: unknown flag 'reviewed'",
        f"{base_file}:{guards[0]}:26: transitions[1].guards[0].flag_set.flag: unknown flag 'reviewed' "
        "(declared: none declared)",
        f"{base_file}:{guards[1]}:26: transitions[2].guards[0].flag_set.flag: unknown flag 'reviewed' "
        "(declared: none declared)",
        f"{at(variant_file, text, 'transcript')}: transitions[5].requires_documents[0]: unknown document 'transcript'",
    ]


# ---------------------------------------------------------------- content hash


def test_the_merged_content_hash_changes_when_the_base_changes(tmp_path: Path) -> None:
    variant = VARIANT_HEAD + "documents:\n  transcript: {label: {vi: Bảng điểm, en: Transcript}}\n"
    before = load(tmp_path / "a", base=BASE, variant=variant)
    edited_base = BASE.replace("en: Awaiting consent}", "en: Awaiting the superior's consent}")
    after = load(tmp_path / "b", base=edited_base, variant=variant)

    assert before.resolve("variant@1").content_hash != after.resolve("variant@1").content_hash
    assert after.resolve("variant@1").spec.states["awaiting_consent"].label.en == "Awaiting the superior's consent"


def test_the_merged_content_hash_ignores_comments_and_layout_of_the_base(tmp_path: Path) -> None:
    variant = VARIANT_HEAD + "documents:\n  transcript: {label: {vi: Bảng điểm, en: Transcript}}\n"
    before = load(tmp_path / "a", base=BASE, variant=variant)
    after = load(tmp_path / "b", base="# a comment\n\n" + BASE, variant=variant)

    assert before.resolve("variant@1").content_hash == after.resolve("variant@1").content_hash


def test_a_change_the_variant_overrides_does_not_change_its_hash(tmp_path: Path) -> None:
    variant = VARIANT_HEAD + "title: {vi: Biến thể, en: Variant}\n"
    before = load(tmp_path / "a", base=BASE, variant=variant)
    after = load(tmp_path / "b", base=BASE.replace("en: Base procedure", "en: Base renamed"), variant=variant)

    assert before.resolve("base@1").content_hash != after.resolve("base@1").content_hash
    assert before.resolve("variant@1").content_hash == after.resolve("variant@1").content_hash


# ---------------------------------------------------------------- migrations section


def test_a_migration_from_an_unknown_workflow_is_reported(tmp_path: Path) -> None:
    text = VARIANT_HEAD + "migrations:\n  - from: nope@1\n"
    folder = tmp_path / "wf"

    assert problems(folder, base=BASE, variant=text) == [
        f"{at(folder / 'variant.yaml', text, 'nope@1')}: migrations[0].from: unknown workflow 'nope@1' "
        "(write ID@VERSION)"
    ]


def test_a_migration_naming_unknown_states_is_reported_on_both_sides(tmp_path: Path) -> None:
    text = VARIANT_HEAD + ("migrations:\n  - from: base@1\n    states: {ghost: member, awaiting_consent: limbo}\n")
    folder = tmp_path / "wf"
    file = folder / "variant.yaml"

    assert problems(folder, base=BASE, variant=text) == [
        f"{at(file, text, 'ghost')}: migrations[0].states.ghost: base@1 has no state 'ghost'",
        f"{at(file, text, 'limbo')}: migrations[0].states.awaiting_consent: variant@1 has no state 'limbo'",
    ]


def test_a_valid_migration_section_loads(tmp_path: Path) -> None:
    spec = variant_of(
        tmp_path,
        "remove:\n  states: [awaiting_consent]\n  transitions: [consent]\n"
        "transitions:\n  - {trigger: admit, source: applicant, dest: member, roles: [cell]}\n"
        "migrations:\n  - from: base@1\n    states: {awaiting_consent: member}\n",
    )

    assert [(m.from_, m.states) for m in spec.migrations] == [("base@1", {"awaiting_consent": "member"})]


def test_skip_broken_leaves_out_a_broken_file_and_what_extends_it_and_keeps_the_rest(tmp_path: Path) -> None:
    broken_base = BASE.replace("initial: applicant", "initial: nowhere")  # an initial state that does not exist
    write(
        tmp_path,
        a_base=broken_base,
        b_variant=VARIANT_HEAD,
        c_other=BASE.replace("id: base", "id: other"),
    )
    with pytest.raises(WorkflowDefinitionError):
        Catalog.from_folder(tmp_path, default_registry())  # strict: the whole folder fails
    catalog = Catalog.from_path(tmp_path, default_registry(), skip_broken=True)
    assert [wf.key for wf in catalog] == ["other@1"]
    assert sorted(Path(f).name for f in catalog.skipped) == ["a_base.yaml", "b_variant.yaml"]
    with pytest.raises(WorkflowDefinitionError):  # nothing valid left: every problem is raised
        Catalog.from_path(tmp_path / "a_base.yaml", default_registry(), skip_broken=True)


def test_a_workflow_missing_while_files_were_skipped_names_them(tmp_path: Path) -> None:
    from admission_flow.errors import NotFound, WorkflowNotLoaded

    write(tmp_path, a_base=BASE, z_broken="id: x\nversion: '1'\nstates: [\n")
    catalog = Catalog.from_path(tmp_path, default_registry(), skip_broken=True)
    with pytest.raises(WorkflowNotLoaded, match=r"z_broken\.yaml") as raised:
        catalog.resolve("x@1")
    assert isinstance(raised.value, NotFound)
