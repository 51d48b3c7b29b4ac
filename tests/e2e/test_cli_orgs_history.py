"""The organisation tree over time through the real entry point: import, the July 2025 changes with --effective,
history, the tree as of a date, export → import, and refusals with their exit codes."""

from __future__ import annotations

from pathlib import Path

from clitools import Run, as_json

TREE = (
    "id,parent,kind,name,has_youth_union,has_trade_union,contacts,authority,attributes\n"
    "bt,,province,Tỉnh ủy Bến Tre,false,false,,consent,\n"
    "bt.hu,bt,superior_committee,Huyện ủy Ba Tri,false,false,standing_board=Võ Văn Hùng <hung@example.vn>,"
    "admission;recognition,\n"
    "bt.hu.xa,bt.hu,grassroots_committee,Đảng ủy xã An Đức,true,false,,,\n"
)


def test_the_july_2025_reorganisation_from_the_command_line(cli: Run, workdir: Path) -> None:
    cli("db", "upgrade")
    (workdir / "tree.csv").write_text(TREE, encoding="utf-8")
    first = as_json(cli("org", "import", "tree.csv", "--json"))
    assert (first["created"], first["seen_before"]) == (["bt", "bt.hu", "bt.hu.xa"], False)

    cli("org", "add", "bt.xa", "--name", "Đảng ủy xã An Đức", "--kind", "commune_committee", "--parent", "bt",
        "--effective", "2025-07-01")  # fmt: skip
    moved = as_json(cli("org", "move", "bt.hu.xa", "bt.xa", "--effective", "01/07/2025", "--note", "QĐ 294", "--json"))
    assert (moved["change"], moved["after"], moved["note"]) == ("move", {"parent_id": "bt.xa"}, "QĐ 294")
    cli("org", "authority", "bt.xa", "--grant", "admission", "--effective", "2025-07-01")
    cli(
        "org", "authority", "bt.hu", "--withdraw", "admission", "--withdraw", "recognition", "--effective", "2025-07-01"
    )
    cli("org", "dissolve", "bt.hu", "--effective", "2025-07-01")

    now = {o["id"]: o for o in as_json(cli("org", "tree", "--json"))}
    then = {o["id"]: o for o in as_json(cli("org", "tree", "--as-of", "2025-06-30", "--json"))}
    assert set(now) == {"bt", "bt.xa", "bt.hu.xa"} and now["bt.hu.xa"]["parent_id"] == "bt.xa"
    assert set(then) == {"bt", "bt.hu", "bt.hu.xa"} and then["bt.hu"]["attributes"]["authority"][0] == "admission"
    history = cli("org", "history", "bt.hu").stdout
    assert [word for word in ("create", "authority", "dissolve") if word in history] == [
        "create",
        "authority",
        "dissolve",
    ]

    cli("org", "export", "--format", "yaml", "--output", "now.yaml")
    assert "parent: bt.xa" in (workdir / "now.yaml").read_text(encoding="utf-8")
    unchanged = as_json(cli("org", "import", "now.yaml", "--json"))
    assert (unchanged["created"], unchanged["changes"], unchanged["seen_before"]) == ([], [], False)


def test_refusals_exit_4_and_a_bad_file_exits_2_listing_every_line(cli: Run, workdir: Path) -> None:
    cli("db", "upgrade")
    (workdir / "tree.csv").write_text(TREE, encoding="utf-8")
    cli("org", "import", "tree.csv")
    cycle = cli("org", "move", "bt", "bt.hu.xa", "--effective", "2025-07-01", expect=4)
    assert "move_cycle" in cycle.stderr and "vòng lặp" in cycle.stderr
    future = cli("org", "rename", "bt", "Tỉnh ủy", "--effective", "2999-01-01", expect=4)
    assert "future" in future.stderr
    bad = TREE + "x,nowhere,cell,Chi bộ,maybe,no,,,\n"
    (workdir / "bad.csv").write_text(bad, encoding="utf-8")
    refused = cli("org", "import", "bad.csv", expect=2)
    assert "bad.csv:5:5: has_youth_union" in refused.stderr
    assert "nothing was imported" in refused.stderr
