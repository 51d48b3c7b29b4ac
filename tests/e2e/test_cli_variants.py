"""Variants and versions through the real entry point (``python -m admission_flow`` in a subprocess):
``validate``, ``diff``, ``diagram --changed-from`` and ``migrate`` with and without ``--dry-run``."""

from __future__ import annotations

import pytest
from clitools import Run, as_json

VARIANTS = ["enterprise_workers", "exceptions", "military_recruits", "readmission", "religious_believers", "students"]
# The revised 2025 releases (issue 12): in force from 1/7/2025 like the 2025 ones, newer, so a bare id starts there.
REVISED = [f"{v}@2025.1" for v in VARIANTS] + ["readmission@2025.2", "standard@2025.1"]
OTHERS = ["standard@2021", "standard@2025"]
SHIPPED = sorted([f"{v}@{year}" for v in VARIANTS for year in ("2021", "2025")] + OTHERS + REVISED)
MIGRATE = ("migrate", "--from", "standard@2021", "--to", "standard@2025")


def test_validate_lists_every_shipped_workflow(cli: Run) -> None:
    valid = as_json(cli("validate", "--json"))["valid"]

    assert sorted(v["workflow"] for v in valid) == SHIPPED
    assert all(len(v["hash"]) == 64 and v["states"] == 21 for v in valid)
    assert len({v["hash"] for v in valid}) == len(SHIPPED)

    text = cli("validate").stdout
    listed = [line.split()[1] for line in text.splitlines() if line.startswith("ok ")]
    assert sorted(listed) == SHIPPED
    assert listed.index("standard@2021") + 2 == listed.index("standard@2025.1")  # releases in version order


def test_diff_of_the_two_standard_versions_prints_the_competent_authority_guards(cli: Run) -> None:
    lines = cli("diff", "standard@2021", "standard@2025").stdout.splitlines()

    assert lines[0] == "standard@2021 → standard@2025: 10 change(s)"
    authority = [line for line in lines if "competent_authority" in line]
    assert len(authority) == 6
    assert all(line.startswith("~ transitions: ") for line in authority)
    assert "~ transitions: decide_admission.guards: + competent_authority(power=admission)" in authority
    assert "~ transitions: decide_recognition.guards: + competent_authority(power=recognition)" in authority
    assert "~ transitions: grant_exception_consent.guards: + competent_authority(power=consent)" in authority


def test_diff_as_json_gives_one_record_per_change(cli: Run) -> None:
    changes = as_json(cli("diff", "standard@2025", "students@2025", "--json"))

    assert {(c["kind"], c["section"], c["name"]) for c in changes} >= {
        ("added", "documents", "transcript"),
        ("added", "transitions", "graduate"),
        ("changed", "transitions", "dossier_complete"),
    }


def test_a_diff_naming_an_unknown_version_exits_3(cli: Run) -> None:
    done = cli("diff", "standard@2021", "standard@2099", expect=3)

    assert "Traceback" not in done.stderr


def test_the_diagram_of_a_variant_highlights_what_changed_since_its_base(cli: Run) -> None:
    diagram = cli("diagram", "students@2025", "--changed-from", "standard@2025").stdout

    assert diagram.startswith("stateDiagram-v2")
    assert "classDef changed" in diagram
    assert "    class dossier_in_progress,awaiting_branch_vote changed" in diagram.splitlines()


def test_the_diagram_without_changed_from_highlights_nothing(cli: Run) -> None:
    assert "classDef changed" not in cli("diagram", "students@2025").stdout


@pytest.fixture
def on_2021(cli: Run) -> Run:
    """Two cells in two subtrees; 'nva' and 'lc' on standard@2021, 'tb' on the default (newest) version."""
    cli("db", "upgrade")
    cli("org", "add", "ks", "--name", "Huyện ủy Kế Sách", "--kind", "superior_committee", "--authority", "admission")
    cli("org", "add", "ks.anmy", "--name", "Đảng ủy xã An Mỹ", "--kind", "grassroots_committee", "--parent", "ks")
    cli("org", "add", "ks.anmy.ap1", "--name", "Chi bộ ấp An Phú", "--kind", "cell", "--parent", "ks.anmy")
    cli("org", "add", "ks.thpt", "--name", "Đảng ủy Trường THPT", "--kind", "grassroots_committee", "--parent", "ks")
    cli("org", "add", "ks.thpt.c1", "--name", "Chi bộ giáo viên", "--kind", "cell", "--parent", "ks.thpt")
    for cid, name, org, workflow in (
        ("nva", "Nguyễn Văn An", "ks.anmy.ap1", ["--workflow", "standard@2021"]),
        ("lc", "Lê Thị Cúc", "ks.thpt.c1", ["--workflow", "standard@2021"]),
        ("tb", "Trần Văn Bình", "ks.anmy.ap1", []),
    ):
        cli("candidate", "add", cid, "--name", name, "--org", org, "--birth-date", "17/05/2000", *workflow)
    cli("fire", "nva", "admit_to_sympathizer_list", "--role", "cell", "--on", "2026-01-10")
    return cli


def test_migrate_reports_first_then_applies_exactly_the_reported_items(on_2021: Run) -> None:
    # A bare default starts on the revised release; the migration under test pins standard@2025 as its target.
    assert as_json(on_2021("candidate", "show", "tb", "--json"))["workflow"] == "standard@2025.1"

    report = as_json(on_2021(*MIGRATE, "--dry-run", "--json"))

    assert report["dry_run"] is True
    assert sorted((i["candidate_id"], i["from_state"], i["to_state"], i["mappable"]) for i in report["items"]) == [
        ("lc", "prospect", "prospect", True),
        ("nva", "sympathizer", "sympathizer", True),
    ]
    assert as_json(on_2021("candidate", "show", "nva", "--json"))["workflow"] == "standard@2021"

    applied = as_json(on_2021(*MIGRATE, "--json"))

    assert applied == {"dry_run": False, "items": report["items"]}
    for cid, state in (("nva", "sympathizer"), ("lc", "prospect")):
        shown = as_json(on_2021("candidate", "show", cid, "--json"))
        assert (shown["workflow"], shown["state"]) == ("standard@2025", state)
    history = as_json(on_2021("history", "nva", "--json"))
    assert [e["trigger"] for e in history] == ["add_to_source_plan", "admit_to_sympathizer_list", "migrate_workflow"]
    assert history[-1]["payload"]["from"] == "standard@2021" and history[-1]["payload"]["to"] == "standard@2025"
    assert history[-1]["workflow"] == "standard@2025"
    assert as_json(on_2021(*MIGRATE, "--dry-run", "--json"))["items"] == []


def test_migrate_with_org_moves_only_that_subtree(on_2021: Run) -> None:
    table = on_2021(*MIGRATE, "--org", "ks.anmy", "--dry-run").stdout
    assert "would move 1; cannot map 0" in table
    assert "nva" in table and "lc" not in table

    applied = as_json(on_2021(*MIGRATE, "--org", "ks.anmy", "--json"))

    assert [i["candidate_id"] for i in applied["items"]] == ["nva"]
    assert as_json(on_2021("candidate", "show", "lc", "--json"))["workflow"] == "standard@2021"


def test_migrate_to_a_version_that_declares_no_such_migration_exits_2(on_2021: Run) -> None:
    done = on_2021("migrate", "--from", "standard@2025", "--to", "standard@2021", "--json", expect=2)

    assert "Traceback" not in done.stderr
    assert as_json(on_2021("candidate", "show", "nva", "--json"))["workflow"] == "standard@2021"
