"""``admission-flow import candidates`` through the real entry point: dry run, import, the same file again, and a
file with a rejected row (exit 4, the table, the --report CSV, nothing written)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from clitools import ROOT, Run, as_json
from rich.console import Console
from typer.testing import CliRunner

from admission_flow import AdmissionFlow
from admission_flow.cli import render
from admission_flow.cli.app import app
from admission_flow.services import import_workers
from admission_flow.settings import Settings
from admission_flow.testing.scenario import add_sample_orgs

EXAMPLES = ROOT / "examples" / "import"


def seed(workdir: Path) -> None:
    """The sample tree, whose superior committee holds the admission and recognition powers."""
    flow = AdmissionFlow(Settings(database_url=f"sqlite:///{workdir / 'cli.db'}", workflows_dir=workdir / "workflows"))
    try:
        flow.upgrade_database()
        add_sample_orgs(flow)
    finally:
        flow.close()


def test_import_candidates_from_the_command_line(cli: Run, workdir: Path) -> None:
    seed(workdir)
    args = ("import", "candidates", str(EXAMPLES / "candidates.csv"), "--mapping", str(EXAMPLES / "mapping.yaml"))
    dry = cli(*args, "--dry-run")
    assert "4 candidates checked (dry run, nothing written)" in dry.stdout
    assert as_json(cli("candidate", "list", "--json")) == []
    done = cli(*args)
    assert (
        "4 candidates imported" in done.stdout and "standard@2025.1 1" in done.stdout
    )  # the 2025 row: the revised rules
    listed = {c["id"]: c["state"] for c in as_json(cli("candidate", "list", "--json"))}
    assert listed["KS-2019-001"] == "full_member" and listed["KS-2023-002"] == "probationary"
    again = cli(*args)
    assert "already imported" in again.stdout and "nothing to do" in again.stdout


def test_a_rejected_row_exits_4_with_a_report_and_writes_nothing(cli: Run, workdir: Path) -> None:
    seed(workdir)
    with (EXAMPLES / "candidates.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[2][rows[0].index("Ngày kết nạp")] = "01/01/2023"  # before the decision was even signed
    bad = workdir / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    report = workdir / "rejected.csv"
    done = cli(
        "import", "candidates", str(bad), "--mapping", str(EXAMPLES / "mapping.yaml"), "--report", str(report),
        expect=4,
    )  # fmt: skip
    assert "Rejected rows" in done.stdout and "date_order" in done.stdout and "nothing was written" in done.stdout
    with report.open(encoding="utf-8-sig", newline="") as f:
        found = list(csv.DictReader(f))
    assert [(r["row"], r["column"], r["code"]) for r in found] == [("3", "Ngày kết nạp", "date_order")]
    assert found[0]["reason_vi"].startswith("ngày 2023-01-01 sớm hơn") and "before" in found[0]["reason_en"]
    assert as_json(cli("candidate", "list", "--json")) == []
    as_json_out = as_json(
        cli("import", "candidates", str(bad), "--mapping", str(EXAMPLES / "mapping.yaml"), "--json", expect=4)
    )
    assert as_json_out["written"] is False and as_json_out["rejected"][0]["row"] == 3


def test_the_progress_bar_leaves_the_import_free_to_fork_its_workers(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a terminal the bar is drawn by the import's progress calls, not by a refresh thread of rich's: the
    workers are forked only from a process without other threads (services/import_workers.py)."""
    seed(workdir)
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("ADMISSION_FLOW_IMPORT_WORKERS", "2")
    monkeypatch.setattr(import_workers, "MIN_PARALLEL_ROWS", 1)  # the example's 4 rows are enough
    seen: list[bool] = []
    real = import_workers.parallel_possible
    monkeypatch.setattr(import_workers, "parallel_possible", lambda: seen.append(real()) or seen[-1])
    screen = io.StringIO()
    monkeypatch.setattr(render, "err", Console(file=screen, force_terminal=True, width=100))
    args = ["--database-url", f"sqlite:///{workdir / 'cli.db'}", "import", "candidates"]
    args += [str(EXAMPLES / "candidates.csv"), "--mapping", str(EXAMPLES / "mapping.yaml")]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "4 candidates imported" in done.output
    assert seen == [True]
    assert "checking rows / kiểm tra" in screen.getvalue()  # the bar was drawn
