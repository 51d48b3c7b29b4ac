"""The organisation tree over time through the real entry point: the README's block as written (import, the July
2025 changes, the tree as of a date, history, export), single changes with --effective, and refusals with their
exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from clitools import ROOT, Run, as_json

TREE = (
    "id,parent,kind,name,has_youth_union,has_trade_union,contacts,authority,attributes\n"
    "bt,,province,Tỉnh ủy Bến Tre,false,false,,consent,\n"
    "bt.hu,bt,superior_committee,Huyện ủy Ba Tri,false,false,standing_board=Võ Văn Hùng <hung@example.vn>,"
    "admission;recognition,\n"
    "bt.hu.xa,bt.hu,grassroots_committee,Đảng ủy xã An Đức,true,false,,,\n"
)


def readme_block(after: str) -> str:
    """The first ``console`` block after ``after`` in the README, as a script (prompts and comments dropped)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(re.escape(after) + r".*?```console\n(.*?)```", readme, flags=re.DOTALL)
    assert found is not None, after
    lines = [line[2:] for line in found.group(1).splitlines() if line.startswith("$ ")]
    return "\n".join(re.sub(r"\s+# .*$", "", line) for line in lines) + "\n"


def test_the_readme_block_runs_as_written_and_the_tree_reads_as_of_a_date(workdir: Path) -> None:
    shutil.copytree(ROOT / "examples" / "orgs", workdir / "examples" / "orgs")
    (workdir / "var").mkdir()
    prelude = f'set -e\nadmission-flow() {{ "{sys.executable}" -m admission_flow "$@"; }}\n'
    script = prelude + readme_block("### Organisations over time")
    script += "admission-flow org tree --json > var/now.json\n"
    script += "admission-flow org tree --as-of 2025-06-30 --json > var/then.json\n"
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"
    then = {o["id"]: o for o in json.loads((workdir / "var" / "then.json").read_text(encoding="utf-8"))}
    now = {o["id"]: o for o in json.loads((workdir / "var" / "now.json").read_text(encoding="utf-8"))}
    assert then["bt.batri.anduc"]["parent_id"] == "bt.batri" and "bt.anduc" not in then
    assert now["bt.batri.anduc"]["parent_id"] == "bt.anduc" and "bt.batri" not in now
    assert now["bt.anduc"]["attributes"]["authority"] == ["admission", "recognition"]
    assert "Đảng bộ cơ sở xã An Đức" in done.stdout  # the history's rename
    assert "parent: bt.batri" in (workdir / "var" / "tree-2025-06.yaml").read_text(encoding="utf-8")


def test_single_changes_and_refusals_with_their_exit_codes(cli: Run, workdir: Path) -> None:
    cli("db", "upgrade")
    (workdir / "tree.csv").write_text(TREE, encoding="utf-8")
    cli("org", "import", "tree.csv")
    cli("org", "add", "bt.xa", "--name", "Đảng ủy xã An Đức", "--kind", "commune_committee", "--parent", "bt",
        "--effective", "2025-07-01")  # fmt: skip
    moved = as_json(cli("org", "move", "bt.hu.xa", "bt.xa", "--effective", "01/07/2025", "--note", "QĐ 294", "--json"))
    assert (moved["change"], moved["after"], moved["note"]) == ("move", {"parent_id": "bt.xa"}, "QĐ 294")
    cycle = cli("org", "move", "bt", "bt.hu.xa", "--effective", "2025-07-01", expect=4)
    assert "move_cycle" in cycle.stderr and "vòng lặp" in cycle.stderr
    future = cli("org", "authority", "bt.xa", "--grant", "admission", "--effective", "2999-01-01", expect=4)
    assert "effective_in_future" in future.stderr
    (workdir / "bad.csv").write_text(TREE + "x,nowhere,cell,Chi bộ,maybe,no,,,\n", encoding="utf-8")
    refused = cli("org", "import", "bad.csv", expect=2)
    assert "bad.csv:5:5: has_youth_union" in refused.stderr
    assert "nothing was imported" in refused.stderr
