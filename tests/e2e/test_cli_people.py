"""People's identifiers, targets, classes and the hand-over through the real entry point: what an organisation
department types, the exit codes (3 not found, 4 conflict or mismatches) and the files written."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

from clitools import Run, as_json

from admission_flow.flow import AdmissionFlow
from admission_flow.settings import Settings
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import drive


def setup_tree(cli: Run) -> None:
    cli("db", "upgrade")
    cli("org", "add", "bt", "--name", "Huyện ủy Ba Tri", "--kind", "superior_committee")
    cli("org", "add", "bt.an", "--name", "Chi bộ ấp An", "--kind", "grassroots_cell", "--parent", "bt")


def test_a_person_is_added_with_identifiers_found_by_one_and_never_twice(cli: Run) -> None:
    setup_tree(cli)
    cli(
        "candidate", "add", "an", "--name", "Nguyễn Văn An", "--org", "bt.an", "--birth-date", "17/05/1998",
        "--sex", "male", "--personal-id", "083098000123", "--party-card", "83.0001", "--manager",
    )  # fmt: skip
    found = as_json(cli("candidate", "find", "--personal-id", "083098000123", "--json"))
    assert (found["id"], found["party_card_no"], found["manager"]) == ("an", "83.0001", True)
    shown = cli("candidate", "show", "an").stdout
    assert "personal id: 083098000123" in shown and "party card: 83.0001" in shown
    again = cli(
        "candidate", "add", "binh", "--name", "Trần Bình", "--org", "bt.an", "--party-card", "83.0001", expect=4
    )
    assert "identifier_taken" in again.stderr and "party_card_no" in again.stderr and "an" not in again.stderr.split()
    wrong = cli("candidate", "add", "binh", "--name", "B", "--org", "bt.an", "--personal-id", "08309800012", expect=2)
    assert "personal_id_format" in wrong.stderr
    cli("candidate", "find", "--old-card", "nobody", expect=3)


def test_quotas_are_set_allocated_and_warned_about_and_classes_recorded(cli: Run) -> None:
    setup_tree(cli)
    parent = cli("target", "set", "bt", "--year", "2016", "--admissions", "220", "--sourcing-plan", "400")
    assert "sourcing_plan_small" in parent.stderr and "under 2× the quota of 220" in parent.stderr
    child = cli("target", "set", "bt.an", "--year", "2016", "--admissions", "230", "--sourcing-plan", "460")
    assert "allocation_over" in child.stderr and "sourcing_plan" not in child.stderr
    [row] = as_json(cli("target", "allocation", "--year", "2016", "--json"))
    assert (row["org_id"], row["admissions"], row["allocated"], row["status"]) == ("bt", 220, 230, "over")
    cli("target", "remove", "bt.an", "--year", "2016")
    assert [t["org_id"] for t in as_json(cli("target", "list", "--org", "bt", "--json"))] == ["bt"]
    cli(
        "class",
        "add",
        "bt",
        "--reference",
        "01/2024",
        "--from",
        "04/03/2024",
        "--to",
        "10/03/2024",
        "--attendees",
        "77",
    )
    cli("class", "add", "bt", "--reference", "01/2024", "--from", "04/03/2024", "--attendees", "1", expect=4)
    listed = cli("class", "list", "--year", "2024").stdout
    assert "1 class(es), 77 attendee(s)" in listed


def test_the_handover_file_is_written_and_reconciled_with_the_member_databases_list(cli: Run, workdir: Path) -> None:
    setup_tree(cli)
    url = f"sqlite:///{workdir / 'cli.db'}"
    clock = ManualClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    with AdmissionFlow(Settings(database_url=url, workflows_dir=workdir / "workflows"), clock=clock) as flow:
        for cid, pid in (("an", "083098000123"), ("binh", None)):
            flow.add_candidate(
                id=cid, full_name=f"Người {cid}", org_id="bt.an", birth_date=date(1998, 5, 17), sex="male",
                education="university", personal_id=pid, workflow="standard@2021", on=date(2022, 1, 3),
            )  # fmt: skip
            drive(flow, cid, date(2022, 1, 3), until="probationary")
    out = workdir / "handover.csv"
    done = cli("handover", "export", "--org", "bt", "--from", "2022-01-01", "--to", "2022-12-31", "--output", str(out))
    assert "1 row(s) written" in done.stdout and "binh" in done.stderr and "personal_id_missing" in done.stderr
    [row] = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert (row["personal_id"], row["change"], row["ceremony_on"]) == ("083098000123", "admitted", "2022-06-10")
    xlsx = workdir / "handover.xlsx"
    cli("handover", "export", "--org", "bt", "--from", "2022-01-01", "--to", "2022-12-31", "--output", str(xlsx))
    clean = cli("handover", "reconcile", str(xlsx), "--org", "bt", "--from", "2022-01-01")
    assert "1 matched" in clean.stdout
    theirs = workdir / "theirs.csv"
    theirs.write_text("CCCD,Ngày lễ kết nạp\n083098000123,23/06/2022\n083098000999,01/01/2022\n", encoding="utf-8")
    mapping = workdir / "mapping.yaml"
    mapping.write_text("personal_id: CCCD\nceremony_on: Ngày lễ kết nạp\n", encoding="utf-8")
    report = as_json(cli("handover", "reconcile", str(theirs), "--mapping", str(mapping), "--json", expect=4))
    assert report["counts"] == {"not_here": 1, "missing": 0, "different": 1, "invalid": 0}
    [different] = [m for m in report["mismatches"] if m["kind"] == "different"]
    assert (different["field"], different["ours"], different["theirs"]) == ("ceremony_on", "2022-06-10", "2022-06-23")
    table = cli("handover", "reconcile", str(theirs), "--map", "personal_id=CCCD", "--format", "csv", expect=4)
    assert table.stdout.splitlines()[0].startswith("kind,personal_id,row")
