"""One broken file in the workflows folder (issue 13): commands that do not need it carry on and name it on
stderr; `validate` still fails with its problems; a candidate whose workflow lives in it gets a clear error."""

from __future__ import annotations

from pathlib import Path

from clitools import Run, as_json

BROKEN = "id: drafty\nversion: '1'\nstates: [\n"  # an unclosed flow sequence


def test_a_broken_file_is_named_and_left_out_while_the_others_work(cli: Run, workdir: Path) -> None:
    cli("db", "upgrade")
    cli("org", "add", "ap1", "--name", "Chi bộ ấp 1", "--kind", "cell")
    (workdir / "workflows" / "zz-drafty.yaml").write_text(BROKEN, encoding="utf-8")

    added = cli("candidate", "add", "nva", "--name", "Nguyễn Văn An", "--org", "ap1", "--birth-date", "17/05/2000")
    assert "zz-drafty.yaml left out" in added.stderr and "admission-flow validate" in added.stderr
    fired = cli("fire", "nva", "admit_to_sympathizer_list", "--role", "cell", "--on", "2026-01-10", "--json")
    assert as_json(fired)["to_state"] == "sympathizer"

    checked = cli("validate", expect=5)
    assert "zz-drafty.yaml:" in checked.stdout + checked.stderr

    missing = cli("candidate", "add", "nvb", "--name", "Trần Bình", "--org", "ap1", "--workflow", "drafty", expect=3)
    assert "zz-drafty.yaml" in missing.stderr and "Traceback" not in missing.stderr


def test_strict_mode_stops_as_before(cli: Run, workdir: Path) -> None:
    cli("db", "upgrade")
    cli("org", "add", "ap1", "--name", "Chi bộ ấp 1", "--kind", "cell")
    (workdir / "workflows" / "zz-drafty.yaml").write_text(BROKEN, encoding="utf-8")
    strict = {"ADMISSION_FLOW_SKIP_BROKEN_WORKFLOWS": "false"}
    done = cli("candidate", "add", "nva", "--name", "Nguyễn Văn An", "--org", "ap1", env=strict, expect=5)
    assert "zz-drafty.yaml" in done.stderr
