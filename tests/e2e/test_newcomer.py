"""What a newcomer meets first (issue 13): the README's blocks as written, the demo, and the answers of the CLI
to a mistyped path, trigger or question."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from clitools import ROOT, Run, as_json

from admission_flow import __version__
from admission_flow.flow import AdmissionFlow

README = (ROOT / "README.md").read_text(encoding="utf-8")
DEMO_URL = "sqlite:///var/demo.db"


def _console_block(after: str) -> str:
    """The first ``console`` block after the text ``after``, as a shell script (prompts, comments and output
    dropped, continuation lines kept)."""
    block = re.search(re.escape(after) + r".*?```console\n(.*?)```", README, flags=re.DOTALL)
    assert block is not None, after
    lines = []
    for line in block.group(1).splitlines():
        if line.startswith("$ "):
            lines.append(line[2:])
        elif line.startswith("      ") and lines and lines[-1].rstrip().endswith("\\"):
            lines.append(line)
    return "\n".join(re.sub(r"\s+# .*$", "", line) for line in lines) + "\n"


def _shell(script: str, workdir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``script`` in bash with ``admission-flow`` standing for this interpreter's entry point."""
    prelude = f'set -e\nadmission-flow() {{ "{sys.executable}" -m admission_flow "$@"; }}\n'
    return subprocess.run(
        ["bash", "-c", prelude + script],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"} | env,
    )


def _run(workdir: Path, *args: str, url: str | None = DEMO_URL) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200"} | ({"ADMISSION_FLOW_DATABASE_URL": url} if url else {})
    return subprocess.run(
        [sys.executable, "-m", "admission_flow", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A checkout-like folder where ``admission-flow demo`` has run (var/demo.db)."""
    import shutil

    folder = tmp_path_factory.mktemp("demo")
    shutil.copytree(ROOT / "workflows", folder / "workflows")
    (folder / "config").mkdir()
    shutil.copy(ROOT / "config" / "calendar-vn.toml", folder / "config" / "calendar-vn.toml")
    done = _run(folder, "demo", url=None)
    assert done.returncode == 0, done.stderr
    yield folder


# ---------------------------------------------------------------- the README


def test_the_own_database_block_run_after_the_tour_leaves_the_demo_database_alone(workdir: Path) -> None:
    script = _console_block("Start your own database")
    done = _shell(script, workdir, {"ADMISSION_FLOW_DATABASE_URL": DEMO_URL})  # what the tour exported
    assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"
    assert not (workdir / "var" / "demo.db").exists()
    assert (workdir / "var" / "admission_flow.db").exists()


def test_every_readme_block_that_reads_the_database_says_which_one() -> None:
    blocks = re.findall(r"```console\n(.*?)```", README, flags=re.DOTALL)
    needs_db = re.compile(r"^\$ admission-flow (?!diff|diagram|validate|simulate|smtp-sink|schema|demo)", re.M)
    for block in blocks:
        if needs_db.search(block):
            assert "ADMISSION_FLOW_DATABASE_URL=" in block or "--database-url" in block, block


def test_readme_and_docs_write_diagrams_outside_the_tracked_tree() -> None:
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"^\$ admission-flow diagram .*?> (\S+)", doc.read_text(encoding="utf-8"), re.M):
            assert target.startswith(("var/", "/tmp/", "../")), (doc.name, target)


# ---------------------------------------------------------------- a missing database


def test_a_read_on_a_missing_sqlite_file_creates_nothing_and_says_how_to_create_it(workdir: Path) -> None:
    for args in (("candidate", "list"), ("history", "nva"), ("deadlines", "list")):
        done = _run(workdir, *args, url="sqlite:///vra/mistyped.db")
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert "vra/mistyped.db" in line and "admission-flow db upgrade" in line
    assert not (workdir / "vra").exists()


def test_db_upgrade_creates_the_file_and_says_which_database(workdir: Path) -> None:
    done = _run(workdir, "db", "upgrade", url="sqlite:///var/new/own.db")
    assert done.returncode == 0, done.stderr
    assert "sqlite:///var/new/own.db" in done.stdout and "revision" in done.stdout
    assert (workdir / "var" / "new" / "own.db").exists()
    assert _run(workdir, "candidate", "list", url="sqlite:///var/new/own.db").returncode == 0


def test_the_database_shown_masks_its_password() -> None:
    flow = AdmissionFlow.from_settings(database_url="postgresql://admission:s3cret@db.example:5432/af")
    with flow:
        shown = flow.database_shown()
    assert "s3cret" not in shown and shown == "postgresql+psycopg://admission:***@db.example:5432/af"


def test_version(workdir: Path) -> None:
    done = _run(workdir, "--version", url=None)
    assert (done.returncode, done.stdout.strip()) == (0, f"admission-flow {__version__}")


# ---------------------------------------------------------------- the demo's answers


def test_candidate_show_lists_the_open_deadlines(demo: Path) -> None:
    done = _run(demo, "candidate", "show", "son-thi-sa-rinh")
    assert done.returncode == 0, done.stderr
    assert "deadline admission_decision" in done.stdout and "due 2026-01-26" in done.stdout
    shown = as_json(_run(demo, "candidate", "show", "son-thi-sa-rinh", "--json"))
    assert [d["deadline"] for d in shown["deadlines"]] == ["admission_decision"]
    assert shown["state"] == "awaiting_admission_decision"


def test_reminders_upcoming_lists_only_what_is_still_ahead(demo: Path) -> None:
    started = datetime.now(UTC)
    upcoming = as_json(_run(demo, "reminders", "upcoming", "--within", "3650d", "--json"))
    assert upcoming, "the demo has reminders ahead"
    assert all(datetime.fromisoformat(r["fire_at"]) > started for r in upcoming)
    overdue = as_json(_run(demo, "deadlines", "list", "--overdue", "--json"))
    assert "son-thi-sa-rinh" in {d["candidate_id"] for d in overdue}  # late ones are listed there


def test_the_demo_has_candidates_on_the_2021_rules_for_migrate(demo: Path) -> None:
    report = _run(demo, "migrate", "--from", "standard@2021", "--to", "standard@2025.1", "--dry-run")
    assert report.returncode == 0, report.stderr
    assert "would move 2; cannot map 0" in report.stdout
    assert "trieu-van-nam" in report.stdout and "vu-thi-hoa" in report.stdout


def test_an_unknown_trigger_suggests_the_closest_ones(demo: Path) -> None:
    args = ("fire", "son-thi-sa-rinh", "decide_admision", "--role", "competent_committee", "--on", "2026-03-02")
    done = _run(demo, *args, "--json")
    assert done.returncode == 4
    (refused,) = json.loads(done.stdout or done.stderr)["reasons"]
    assert refused["code"] == "unknown_trigger"
    assert "did you mean 'decide_admission'" in refused["message"]["en"]
    assert "decide_admission" in refused["message"]["vi"]


def test_a_role_not_allowed_names_the_allowed_roles(cli: Run) -> None:
    cli("db", "upgrade")
    cli("org", "add", "cb", "--name", "Chi bộ", "--kind", "cell")
    cli("candidate", "add", "nva", "--name", "Nguyễn Văn An", "--org", "cb", "--birth-date", "2000-05-17")
    done = cli("fire", "nva", "admit_to_sympathizer_list", "--role", "cel", "--on", "2026-01-10", "--json", expect=4)
    (refused,) = json.loads(done.stdout or done.stderr)["reasons"]
    assert refused["code"] == "role_not_allowed" and "allowed: cell" in refused["message"]["en"]
