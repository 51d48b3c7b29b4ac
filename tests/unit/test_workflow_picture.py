"""The server-drawn workflow diagram (``workflow/picture.py``): every state once, in the procedure's order from
top to bottom, no box overlapping another and no move drawn through a box, the current and changed states
marked in words, the fanned exits in a last row, and every text escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from admission_flow.engine.catalog import Catalog, load_spec_text
from admission_flow.guards import default_registry
from admission_flow.workflow.diff import changed_states
from admission_flow.workflow.picture import BOX_H, BOX_W, layout, svg
from admission_flow.workflow.spec import WorkflowSpec

TESTS = Path(__file__).resolve().parents[1]
SHIPPED = TESTS.parent / "workflows"
MINIMAL = TESTS / "workflows" / "valid" / "minimal.yaml"
NS = {"s": "http://www.w3.org/2000/svg"}
CATALOG = Catalog.from_folder(SHIPPED, default_registry())


def parsed(text: str) -> ET.Element:
    return ET.fromstring(text)


def boxes(root: ET.Element) -> dict[str, tuple[float, float]]:
    """Each state's box: its top-left corner, by the state's name."""
    found = {}
    for g in root.iterfind(".//s:g[@data-state]", NS):
        rect = g.find("s:rect", NS)
        assert rect is not None
        found[g.attrib["data-state"]] = (float(rect.attrib["x"]), float(rect.attrib["y"]))
    return found


def points(d: str) -> list[tuple[float, float]]:
    """Points along a path of M, H, V and C commands (absolute), curves sampled."""
    out: list[tuple[float, float]] = []
    x = y = 0.0
    for command, args in re.findall(r"([MHVC])([^MHVC]*)", d):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if command == "M":
            x, y = numbers
            out.append((x, y))
        elif command in "HV":
            end = (numbers[0], y) if command == "H" else (x, numbers[0])
            out += [(x + (end[0] - x) * i / 20, y + (end[1] - y) * i / 20) for i in range(1, 21)]
            x, y = end
        else:
            (x1, y1, x2, y2, x3, y3), (x0, y0) = numbers, (x, y)
            for i in range(1, 21):
                t = i / 20
                a, b, c, e = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
                out.append((a * x0 + b * x1 + c * x2 + e * x3, a * y0 + b * y1 + c * y2 + e * y3))
            x, y = x3, y3
    return out


@pytest.mark.parametrize("key", [wf.spec.key for wf in CATALOG])
def test_every_shipped_workflow_draws_every_state_once_with_no_box_overlapping_and_no_move_through_a_box(
    key: str,
) -> None:
    spec = CATALOG.resolve(key).spec
    root = parsed(svg(spec))
    found = boxes(root)
    assert sorted(found) == sorted(spec.states)
    corners = list(found.values())
    for i, (x, y) in enumerate(corners):
        for u, v in corners[i + 1 :]:
            assert abs(x - u) >= BOX_W or abs(y - v) >= BOX_H, (key, (x, y), (u, v))
    moves = [g for g in root.iterfind("s:g", NS) if "data-state" not in g.attrib]
    assert len(moves) == len(layout(spec).edges)
    for g in moves:
        path = g.find("s:path", NS)
        assert path is not None
        for px, py in points(path.attrib["d"]):
            inside = [n for n, (x, y) in found.items() if x + 1 < px < x + BOX_W - 1 and y + 1 < py < y + BOX_H - 1]
            assert not inside, f"{key}: the move {g.findtext('s:title', namespaces=NS)} crosses {inside}"


def test_the_standard_procedure_reads_from_top_to_bottom_with_its_exits_in_the_last_rows() -> None:
    spec = CATALOG.resolve("standard@2025").spec
    root = parsed(svg(spec))
    y = {name: corner[1] for name, corner in boxes(root).items()}
    order = ["prospect", "sympathizer", "awaiting_branch_vote", "awaiting_admission_decision", "probationary"]
    assert [y[s] for s in order] == sorted(y[s] for s in order) and len({y[s] for s in order}) == len(order)
    assert y["full_member"] > y["probationary"]
    # withdrawing, being dropped and death are open from many states: their boxes sit below all the others
    assert {n for n, v in y.items() if v > y["full_member"]} == {"withdrawn", "deceased", "dropped"}
    assert layout(spec).fan_row == len(layout(spec).rows) - 2  # in rows as wide as the widest above (two)
    texts = {g.attrib["data-state"]: "".join(g.itertext()) for g in root.iterfind(".//s:g[@data-state]", NS)}
    assert "từ 6 trạng thái" in texts["dropped"]
    # a failed vote goes back up: drawn, and its triggers named in the move's title
    titles = [g.findtext("s:title", namespaces=NS) or "" for g in root.iterfind("s:g", NS)]
    assert any("(branch_vote_failed)" in t for t in titles)


def test_the_current_state_is_marked_in_words_and_named_in_the_description() -> None:
    spec = CATALOG.resolve("standard@2025").spec
    root = parsed(svg(spec, current="awaiting_branch_vote", lang="en"))
    current = root.findall(".//s:g[@class]", NS)
    marked = [g.attrib["data-state"] for g in current if "current" in g.attrib["class"].split()]
    assert marked == ["awaiting_branch_vote"]
    box = root.find(".//s:g[@data-state='awaiting_branch_vote']", NS)
    assert box is not None and "▶ current" in "".join(box.itertext())
    assert root.attrib["role"] == "img"
    label = spec.states["awaiting_branch_vote"].label.en
    assert f"Current state: {label}." in (root.findtext("s:desc", namespaces=NS) or "")
    unmarked = parsed(svg(spec, current=None))
    assert not [g for g in unmarked.findall(".//s:g[@class]", NS) if "current" in g.attrib["class"].split()]


def test_the_states_a_new_version_changes_are_flagged() -> None:
    old, new = CATALOG.resolve("standard@2021").spec, CATALOG.resolve("standard@2025").spec
    changed = changed_states(old, new)
    assert changed  # the 2025 rules did change the procedure
    root = parsed(svg(new, marked=changed))
    flagged = [g.attrib["data-state"] for g in root.iterfind(".//s:g[@class]", NS) if "changed" in g.attrib["class"]]
    assert sorted(flagged) == sorted(changed)
    assert all(
        "~ đã đổi" in "".join(g.itertext())
        for g in root.iterfind(".//s:g[@class]", NS)
        if "changed" in g.attrib["class"]
    )


def test_labels_are_escaped_and_long_ones_cut_with_their_full_text_in_the_title() -> None:
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "{vi: Người xin vào Đảng, en: Applicant}",
        '{vi: "A <script>alert(1)</script> & một nhãn rất dài, dài hơn hai dòng của ô trạng thái", en: Applicant}',
    )
    spec, problems = load_spec_text(text, "minimal.yaml", default_registry())
    assert not problems and isinstance(spec, WorkflowSpec)
    drawn = svg(spec, current="applicant")
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn and "&amp;" in drawn
    box = parsed(drawn).find(".//s:g[@data-state='applicant']", NS)
    assert box is not None
    lines = [t.text or "" for t in box.iterfind("s:text", NS)]
    assert lines[1].endswith("…") and all(len(line) <= 40 for line in lines)
    assert "hai dòng của ô trạng thái" in (box.findtext("s:title", namespaces=NS) or "")
