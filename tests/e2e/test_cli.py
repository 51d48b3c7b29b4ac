"""The CLI through its real entry point (a subprocess), with the contract's exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from clitools import ROOT, Run, as_json

INVALID = ROOT / "tests" / "workflows" / "invalid"


@pytest.fixture
def seeded(cli: Run) -> Run:
    cli("db", "upgrade")
    cli("org", "add", "ks.anmy", "--name", "Đảng ủy xã An Mỹ", "--kind", "grassroots_committee")
    cli(
        "org",
        "add",
        "ks.anmy.ap1",
        "--name",
        "Chi bộ ấp An Phú",
        "--kind",
        "cell",
        "--parent",
        "ks.anmy",
        "--youth-union",
        "--contact",
        "cell_secretary=Trần Văn Bình <binh@example.vn>",
    )
    cli(
        "candidate",
        "add",
        "nva",
        "--name",
        "Nguyễn Văn An",
        "--org",
        "ks.anmy.ap1",
        "--birth-date",
        "17/05/2000",
        "--education",
        "upper_secondary",
        "--youth-union",
    )
    return cli


def test_a_candidate_moves_and_the_audit_trail_shows_each_event(seeded: Run) -> None:
    fired = as_json(
        seeded("fire", "nva", "admit_to_sympathizer_list", "--role", "cell", "--on", "2026-01-10", "--json")
    )
    assert (fired["from_state"], fired["to_state"], fired["version"]) == ("prospect", "sympathizer", 2)
    shown = as_json(seeded("candidate", "show", "nva", "--json"))
    assert shown["state"] == "sympathizer"
    assert shown["full_name"] == "Nguyễn Văn An"
    assert shown["dates"] == {"sympathizer_listed_on": "2026-01-10"}
    history = as_json(seeded("history", "nva", "--json"))
    assert [e["trigger"] for e in history] == ["add_to_source_plan", "admit_to_sympathizer_list"]
    assert history[1]["role"] == "cell" and history[1]["occurred_on"] == "2026-01-10"


def test_a_refused_event_exits_4_with_every_reason_in_both_languages(seeded: Run) -> None:
    seeded("fire", "nva", "admit_to_sympathizer_list", "--role", "cell", "--on", "2026-01-10")
    done = seeded("fire", "nva", "assign_helper", "--role", "candidate", "--on", "2026-01-11", "--json", expect=4)
    body = as_json(done)
    assert body["error"] == "transition_refused"
    assert [r["code"] for r in body["reasons"]] == ["role_not_allowed", "data_missing"]
    assert all(r["message"]["vi"] and r["message"]["en"] for r in body["reasons"])
    assert as_json(seeded("candidate", "show", "nva", "--json"))["version"] == 2  # nothing written


def test_documents_votes_and_data_options_are_parsed(seeded: Run) -> None:
    seeded("fire", "nva", "admit_to_sympathizer_list", "--role", "cell", "--on", "2026-01-10")
    seeded("fire", "nva", "assign_helper", "--role", "cell", "--data", "helper=Lê Thị Cúc", "--on", "11/01/2026")
    seeded("fire", "nva", "nominate_for_class", "--role", "cell", "--on", "2026-02-01")
    seeded(
        "fire",
        "nva",
        "issue_awareness_certificate",
        "--role",
        "political_centre",
        "--on",
        "2026-02-20",
        "--document",
        "kind=awareness_certificate,ref=CN-12/TTCT,serial=0042",
    )
    shown = as_json(seeded("candidate", "show", "nva", "--json"))
    assert shown["dates"]["certificate_issued_on"] == "2026-02-20"
    assert shown["documents"]["awareness_certificate"] == [
        {"issued_on": "2026-02-20", "reference": "CN-12/TTCT", "attributes": {"serial": 42}}
    ]
    assert as_json(seeded("history", "nva", "--json"))[2]["payload"] == {"helper": "Lê Thị Cúc"}
    options = as_json(seeded("options", "nva", "--role", "cell", "--json"))
    assert {o["trigger"]: o["allowed"] for o in options}["authorise_dossier"] is True


def test_replaying_an_idempotency_key_writes_nothing(seeded: Run) -> None:
    args = ("fire", "nva", "admit_to_sympathizer_list", "--role", "cell", "--idempotency-key", "req-1", "--json")
    first, second = as_json(seeded(*args)), as_json(seeded(*args))
    assert first["event_id"] == second["event_id"]
    assert (first["replayed"], second["replayed"]) == (False, True)
    assert len(as_json(seeded("history", "nva", "--json"))) == 2


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("candidate", "show", "nobody"), 3),
        (("fire", "nobody", "withdraw"), 3),
        (("fire", "nva", "admit_to_sympathizer_list", "--votes", "six"), 2),
        (("fire", "nva", "admit_to_sympathizer_list", "--on", "31/02/2026"), 2),
        (("org", "add", "x", "--name", "X", "--kind", "district"), 2),
        (("candidate", "add", "nva", "--name", "Again", "--org", "ks.anmy.ap1"), 4),
        (("no-such-command",), 2),
    ],
)
def test_errors_map_to_the_contract_exit_codes(seeded: Run, args: tuple[str, ...], code: int) -> None:
    done = seeded(*args, expect=code)
    assert "Traceback" not in done.stderr


def test_validate_reports_every_problem_with_file_line_and_column(cli: Run, workdir: Path) -> None:
    ok = cli("validate")
    assert "standard@2021" in ok.stdout
    bad = workdir / "bad.yaml"
    bad.write_text(
        "id: Std\nversion: '1'\ntitle: {vi: a, en: b}\ninitial: a\nstates: {a: {label: {vi: x}}}\ntransitions: []\n",
        encoding="utf-8",
    )
    done = cli("validate", str(bad), expect=5)
    assert f"{bad}:1:5: id: must be a snake_case name" in done.stderr
    assert f"{bad}:5:21: states.a.label: required key 'en' is missing" in done.stderr


def test_schema_and_diagram_print_machine_readable_text(cli: Run) -> None:
    schema = as_json(cli("schema"))
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"id", "version", "states", "transitions"} <= set(schema["properties"])
    diagram = cli("diagram", "standard@2021").stdout
    assert diagram.startswith("stateDiagram-v2")
    assert "awaiting_ceremony --> probationary: hold_ceremony" in diagram


def test_demo_runs_on_a_fresh_directory_and_shows_refusals(cli: Run, workdir: Path) -> None:
    done = cli("demo", "--database", str(workdir / "var" / "demo.db"))
    assert "age_below_minimum" in done.stdout
    assert "vote_ratio_not_reached" in done.stdout
    assert "awareness_certificate_expired" in done.stdout
    assert "audited events" in done.stdout
