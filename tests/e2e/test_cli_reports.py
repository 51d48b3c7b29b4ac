"""``admission-flow report``: the table, CSV, JSON and XLSX outputs, the chart file, and the refusals."""

from __future__ import annotations

from pathlib import Path

from clitools import Run, as_json
from openpyxl import load_workbook


def _two_candidates(cli: Run) -> Run:
    cli("db", "upgrade")
    cli("org", "add", "ks", "--name", "Huyện ủy Kế Sách", "--kind", "superior_committee")
    cli("org", "add", "ks.anmy", "--name", "Đảng ủy xã An Mỹ", "--kind", "grassroots_committee", "--parent", "ks")
    for cid, sex in (("a", "female"), ("b", "male")):
        cli(
            "candidate",
            "add",
            cid,
            "--name",
            f"Người {cid}",
            "--org",
            "ks.anmy",
            "--sex",
            sex,
            "--birth-date",
            "17/05/2000",
            "--education",
            "university",
        )
    return cli


def test_report_outputs_a_table_csv_json_xlsx_and_a_chart_and_refuses_bad_requests(cli: Run, workdir: Path) -> None:
    run = _two_candidates(cli)
    table = run("report", "pipeline", "--org", "ks", "--year", "2026").stdout
    assert "prospect" in table and "Huyện ủy Kế Sách" in table and "largest remainder" in table
    shown = as_json(run("report", "pipeline", "--org", "ks", "--year", "2026", "--format", "json"))
    assert [(r["state"], r["count"], r["share_pct"]) for r in shown["rows"]] == [("prospect", 2, 100.0)]
    csv = run(
        "report", "pipeline", "--org", "ks.anmy", "--from", "01/01/2026", "--to", "2026-12-31", "--format", "csv"
    ).stdout
    assert csv.lstrip("\ufeff").splitlines()[:2] == ["state,count,share_pct", "prospect,2,100.0"]
    run(
        "report",
        "attainment",
        "--org",
        "ks",
        "--year",
        "2026",
        "--format",
        "xlsx",
        "--output",
        "a.xlsx",
        "--chart",
        "a.png",
    )
    sheet = load_workbook(workdir / "a.xlsx").active
    assert [c.value for c in sheet[1]][:4] == ["org_id", "org_name", "target", "admitted"]
    assert (workdir / "a.png").read_bytes().startswith(b"\x89PNG")
    run("report", "composition", "--org", "ks", "--year", "2026", "--chart", "c.svg")
    assert b"<svg" in (workdir / "c.svg").read_bytes()
    # refusals, with the contract's exit codes (the refusals of the facade itself are tested in integration)
    run("report", "pipeline", "--org", "nowhere", "--year", "2026", expect=3)
    run("report", "pipeline", "--org", "ks", "--year", "2026", "--format", "xlsx", expect=2)
    run("report", "pipeline", "--org", "ks", "--from", "31/02/2026", "--to", "2026-03-01", expect=2)
