"""The workflow read side through the facade, as the REST API will call it: the versions loaded, the one in force
on a day, a version's Mermaid diagram, and checking an uploaded file against the loaded configuration.

An upload's problems read exactly like ``admission-flow validate``'s (``FILE:LINE:COLUMN: PATH: MESSAGE``), and
hostile input (too large, not UTF-8, nested without end) comes back as a problem, never as an exception.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from admission_flow.errors import InvalidInput, NotFound
from admission_flow.flow import AdmissionFlow
from admission_flow.workflow.diagram import mermaid

SHIPPED_FILES = len(list((Path(__file__).resolve().parents[2] / "workflows").glob("*.yaml")))  # one version each

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = (ROOT / "tests" / "workflows" / "valid" / "minimal.yaml").read_text(encoding="utf-8")
STANDARD_2021 = (ROOT / "workflows" / "standard-2021.yaml").read_text(encoding="utf-8")
MIB = 1024 * 1024

PILOT = """\
# A variant uploaded for checking: it extends a version the server has loaded.
id: pilot
version: "2025"
extends: standard@2025
title: {vi: Thí điểm rút ngắn thời hạn, en: Shorter-deadline pilot}

states:
  awaiting_admission_decision:
    deadlines:
      - id: admission_decision
        label: {vi: Cấp có thẩm quyền quyết định kết nạp, en: Competent committee decides the admission}
        from: branch_resolution_on
        after: {working_days: 45}
        on_due: {escalate: {to: [standing_board], template: escalation}}
"""


def at(text: str, line_with: str, token: str | None = None) -> str:
    """``LINE:COLUMN`` of ``token`` on the first line of ``text`` containing ``line_with``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line_with in line:
            return f"{number}:{line.index(token or line_with) + 1}"
    raise AssertionError(f"{line_with!r} is not in the text")


def problems_of(flow: AdmissionFlow, text: str | bytes, name: str = "upload.yaml") -> list[str]:
    summary, problems = flow.validate_workflow_text(name, text)
    assert summary is None
    return [str(p) for p in problems]


# ---------------------------------------------------------------- listing, in force, diagram


def test_the_list_gives_every_loaded_version_with_its_hash_and_day(flow: AdmissionFlow) -> None:
    listed = {s.key: s for s in flow.workflows()}
    assert len(listed) == SHIPPED_FILES
    old = listed["standard@2021"]
    assert (old.id, old.version, old.release, old.extends, old.initial) == ("standard", "2021", True, None, "prospect")
    assert old.in_force_from == date(2021, 7, 30)
    assert old.hash == flow.catalog.get("standard", "2021").content_hash
    assert old.states == 21 and old.title["vi"].startswith("Kết nạp đảng viên")
    assert listed["students@2025"].extends == "standard@2025"
    assert listed["students@2025"].as_dict()["in_force_from"] == "2025-07-01"


def test_the_version_in_force_turns_over_on_the_first_of_july_2025(flow: AdmissionFlow) -> None:
    assert flow.workflow_in_force("standard", date(2025, 6, 30)).key == "standard@2021"
    assert flow.workflow_in_force("standard", date(2025, 7, 1)).key == "standard@2025.1"  # newer, same day
    with pytest.raises(NotFound):
        flow.workflow_in_force("standard", date(2020, 1, 1))
    with pytest.raises(NotFound):
        flow.workflow_in_force("no_such_workflow", date(2025, 7, 1))


def test_the_diagram_is_the_mermaid_text_the_cli_prints(flow: AdmissionFlow) -> None:
    text = flow.diagram("standard@2025")
    assert text == mermaid(flow.workflow("standard@2025"))
    assert text.startswith("stateDiagram-v2\n") and "    [*] --> prospect\n" in text
    assert flow.diagram("standard") == flow.diagram("standard@2025.1")  # a bare id: the newest release
    marked = flow.diagram("students@2025", changed_from="standard@2025")
    assert "    class dossier_in_progress,awaiting_branch_vote changed\n" in marked
    with pytest.raises(NotFound):
        flow.diagram("standard@1999")


# ---------------------------------------------------------------- valid uploads


def test_a_good_file_gives_the_same_summary_as_validate(flow: AdmissionFlow) -> None:
    summary, problems = flow.validate_workflow_text("standard-2021.yaml", STANDARD_2021)
    loaded = flow.catalog.get("standard", "2021")
    assert problems == []
    assert summary == {"workflow": "standard@2021", "hash": loaded.content_hash, "states": 21}


def test_a_good_file_given_as_bytes_is_read_as_utf8(flow: AdmissionFlow) -> None:
    summary, problems = flow.validate_workflow_text("minimal.yaml", MINIMAL.encode("utf-8"))
    assert problems == [] and summary is not None and summary["workflow"] == "minimal@1"


def test_an_upload_may_extend_a_loaded_version(flow: AdmissionFlow) -> None:
    summary, problems = flow.validate_workflow_text("pilot.yaml", PILOT)
    assert problems == []
    assert summary is not None and (summary["workflow"], summary["states"]) == ("pilot@2025", 21)
    assert len(flow.workflows()) == SHIPPED_FILES  # checking an upload loads nothing


def test_a_mistake_in_an_uploaded_variant_points_at_the_upload(flow: AdmissionFlow) -> None:
    text = PILOT.replace("template: escalation", "template: no_such_template")
    found = problems_of(flow, text)
    assert len(found) == 1
    assert found[0].startswith(f"upload.yaml:{at(text, 'no_such_template')}: ")
    assert "no_such_template" in found[0]


def test_an_upload_extending_an_unknown_version_says_so(flow: AdmissionFlow) -> None:
    text = PILOT.replace("extends: standard@2025", "extends: standard@2024")
    assert problems_of(flow, text) == [
        f"upload.yaml:{at(text, 'standard@2024')}: extends: unknown base workflow 'standard@2024'"
    ]


def test_a_new_standard_version_must_say_when_it_comes_into_force(flow: AdmissionFlow) -> None:
    text = 'id: standard\nversion: "2026"\nextends: standard@2025\n'
    assert problems_of(flow, text) == [
        "upload.yaml:2:10: version: no in_force_from, but the older standard@2025.1 is in force from 2025-07-01: "
        "new candidates would not start on standard@2026; give the day it comes into force"
    ]
    summary, problems = flow.validate_workflow_text("u.yaml", text + "in_force_from: 2026-07-01\n")
    assert problems == [] and summary is not None and summary["workflow"] == "standard@2026"


# ---------------------------------------------------------------- mistakes


def test_every_mistake_of_an_upload_is_reported_with_line_and_column(flow: AdmissionFlow) -> None:
    text = (
        MINIMAL.replace("sets: [reviewed]", "sets: [reveiwed]")
        .replace("dest: probationary\n    roles: [committee]", "dest: probationery\n    roles: [committee]")
        .replace("dest: full_member\n    roles: [committee]", "dest: full_member\n    roles: [comittee]")
    )
    assert problems_of(flow, text) == [
        f"upload.yaml:{at(text, 'sets: [reveiwed]', 'reveiwed')}: transitions[0].sets[0]: "
        "unknown flag 'reveiwed' (did you mean 'reviewed'?)",
        f"upload.yaml:{at(text, 'dest: probationery', 'probationery')}: transitions[3].dest: "
        "unknown state 'probationery' (did you mean 'probationary'?)",
        f"upload.yaml:{at(text, 'roles: [comittee]', 'comittee')}: transitions[4].roles[0]: "
        "unknown role 'comittee' (did you mean 'committee'?)",
    ]


def test_a_yaml_syntax_error_is_a_located_problem(flow: AdmissionFlow) -> None:
    found = problems_of(flow, "id: x\nversion: {oops\n")
    assert len(found) == 1 and found[0].startswith("upload.yaml:3:1: YAML syntax error: ")


# ---------------------------------------------------------------- hostile input


def test_a_file_over_one_mib_is_refused_before_it_is_parsed(flow: AdmissionFlow) -> None:
    big = MINIMAL + "x-padding: |\n" + ("  " + "x" * 98 + "\n") * (2 * MIB // 100)
    assert len(big.encode("utf-8")) > 2 * MIB - 1000
    refused = ["upload.yaml:1:1: the file is larger than 1,048,576 bytes, the most accepted (upload_max_bytes)"]
    assert problems_of(flow, big) == refused
    assert problems_of(flow, big.encode("utf-8")) == refused
    # Bytes count, not characters: 600,000 two-byte letters are over the limit.
    assert problems_of(flow, "x-a: " + "ạ" * 600_000) == refused


def test_an_alias_bomb_over_the_size_limit_is_refused_without_expanding_it(flow: AdmissionFlow) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = "\n".join(lines) + "\n" + "# " + "padding " * (MIB // 8) + "\n"
    assert problems_of(flow, bomb) == [
        "upload.yaml:1:1: the file is larger than 1,048,576 bytes, the most accepted (upload_max_bytes)"
    ]


def test_an_alias_bomb_under_the_size_limit_is_a_problem(flow: AdmissionFlow) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    assert problems_of(flow, "\n".join(lines) + "\n")


def test_too_many_states_for_an_upload_is_a_problem(flow: AdmissionFlow) -> None:
    states = "".join(f"  s{i}: {{label: {{vi: a, en: b}}}}\n" for i in range(201))
    text = f'id: big\nversion: "1"\ntitle: {{vi: a, en: b}}\ninitial: s0\nstates:\n{states}transitions: []\n'
    assert problems_of(flow, text) == ["upload.yaml:6:3: states: 201 entries; at most 200 are accepted here"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"id: \xff\xfe\n", "the file is not UTF-8 text (invalid start byte)"),
        ("id: \ud800\n", "the file is not UTF-8 text (surrogates not allowed)"),
        ("", "the file is empty"),
        ("- a\n- b\n", "a workflow file must be a mapping at the top level"),
    ],
    ids=["bad-bytes", "lone-surrogate", "empty", "a-list"],
)
def test_malformed_input_is_a_problem_not_an_exception(flow: AdmissionFlow, text: str | bytes, message: str) -> None:
    assert problems_of(flow, text) == [f"upload.yaml:1:1: {message}"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "[" * 5000 + "]" * 5000,
            "1:101: the document is nested too deeply (more than 100 levels of lists and mappings)",
        ),
        ("id: !!int abc\n", "1:5: the YAML could not be read: 'abc' is not a valid !!int"),
        ("id: !!bool maybe\n", "1:5: the YAML could not be read: 'maybe' is not a valid !!bool"),
        (
            "id: x\nname: a\x00b\n",
            "2:8: YAML syntax error: character #x0000 is not allowed (control characters and lone "
            "surrogates are refused)",
        ),
    ],
    ids=["deep-nesting", "int-tag", "bool-tag", "nul"],
)
def test_unreadable_input_is_a_problem_where_it_is(flow: AdmissionFlow, text: str, problem: str) -> None:
    assert problems_of(flow, text) == [f"upload.yaml:{problem}"]


def test_a_number_too_long_to_convert_is_a_problem(flow: AdmissionFlow) -> None:
    (found,) = problems_of(flow, "id: x\nversion: 1" + "0" * 5000 + "\n")
    assert found == "upload.yaml:2:10: a number of 5,001 characters; at most 100 are read (quote it to keep it as text)"


@pytest.mark.parametrize("name", ["", "a\nb.yaml", "x" * 201])
def test_the_display_name_must_be_short_printable_text(flow: AdmissionFlow, name: str) -> None:
    with pytest.raises(InvalidInput):
        flow.validate_workflow_text(name, MINIMAL)


def test_the_upload_and_loader_bounds_come_from_the_settings(database_url: str, tmp_path: Path) -> None:
    """``upload_max_*`` and ``workflow_max_*``: a deployment chooses them; the message names the setting."""
    from admission_flow.settings import Settings

    tight = Settings(
        database_url=database_url,
        workflows_dir=ROOT / "workflows",
        upload_max_bytes=len(MINIMAL.encode()) + 100,
        upload_max_states=3,
        workflow_max_number_chars=4,
    )
    flow = AdmissionFlow(tight)
    try:
        most = len(MINIMAL.encode()) + 100
        assert problems_of(flow, MINIMAL + "x-padding: " + "x" * 100 + "\n") == [
            f"upload.yaml:1:1: the file is larger than {most:,} bytes, the most accepted (upload_max_bytes)"
        ]
        states = "".join(f"  s{i}: {{label: {{vi: a, en: b}}}}\n" for i in range(4))
        text = f'id: big\nversion: "1"\ntitle: {{vi: a, en: b}}\ninitial: s0\nstates:\n{states}transitions: []\n'
        assert problems_of(flow, text) == ["upload.yaml:6:3: states: 4 entries; at most 3 are accepted here"]
        assert "at most 4 are read" in problems_of(flow, MINIMAL + "x-n: 12345\n")[0]
    finally:
        flow.close()
