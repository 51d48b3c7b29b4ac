"""A workflow drawn as SVG on the server, for the dashboard: no script, no font, nothing fetched.

The layout reads top to bottom in the order of the procedure, each row from the left. A state's row is its
longest distance from the initial state along the forward moves (a move back to an earlier state, such as a
failed vote returning to the sympathizer list, does not push its target down). Moves are drawn only in the free
bands between rows and in the lanes beside them, so no line crosses a box: a move to the next row as a curve; a
move that skips rows along a lane on the right; a move back along a lane on the left. A move open from many
states at once (withdrawing, being dropped from the list, death) would draw a fan of lines: its target is placed
in the last rows instead, with "from N states" written in its box.

Accessible: one ``<title>`` and ``<desc>`` for the picture, real text in every box, a ``<title>`` per box and per
move (the triggers), and the current state and changed states marked in words as well as by colour and border.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from admission_flow.workflow.checks import expand_sources
from admission_flow.workflow.spec import ANY_STATE, WorkflowSpec

BOX_W, BOX_H = 232, 60
GAP_X, GAP_Y = 28, 44
LANE = 9  # between two side lanes
TOP = 40  # room for the start dot above the initial state
FAN = 3  # a move open from this many states or more is drawn as a last-row target, not as lines
LINE_CHARS = 28  # characters per line of a state's label (13 px text in a 232 px box)

WORDS = {
    "vi": {
        "title": "Sơ đồ quy trình",
        "current": "hiện tại",
        "changed": "đã đổi",
        "from_many": "từ {n} trạng thái",
        "ends": "Kết thúc được từ nhiều trạng thái",
        "desc": "{n} trạng thái, đọc từ trên xuống.",
        "now": "Trạng thái hiện tại: {state}.",
        "marked": "Trạng thái đã đổi: {states}.",
    },
    "en": {
        "title": "Workflow diagram",
        "current": "current",
        "changed": "changed",
        "from_many": "from {n} states",
        "ends": "Reachable from many states",
        "desc": "{n} states, read from top to bottom.",
        "now": "Current state: {state}.",
        "marked": "Changed states: {states}.",
    },
}


@dataclass
class Layout:
    """Where every state stands (``rows``: the ranked rows, then the fan targets) and the moves to draw."""

    rows: list[list[str]]
    fanned: dict[str, int]  # a state reached by a fanned move → from how many states
    edges: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (source, dest) → triggers
    fan_row: int = -1  # the index of the row of fan-only targets (-1: none)


def layout(spec: WorkflowSpec) -> Layout:
    """Rank the states (longest forward distance from the initial state) and sort out the moves."""
    edges: dict[tuple[str, str], list[str]] = {}
    fanned: dict[str, set[str]] = {}
    for t in spec.transitions:
        if t.dest is None:
            continue
        sources = expand_sources(spec, t.source)
        if ANY_STATE in t.source or len(sources) >= FAN:
            fanned.setdefault(t.dest, set()).update(s for s in sources if s != t.dest)
            continue
        for source in sources:
            if source != t.dest and t.trigger not in edges.setdefault((source, t.dest), []):
                edges[(source, t.dest)].append(t.trigger)
    drawn_into = {dest for _, dest in edges}
    fan_only = [s for s in spec.states if s in fanned and s not in drawn_into and s != spec.initial]
    rank = _ranks(spec, edges)
    ranked = [s for s in spec.states if s not in fan_only]
    depth = max(rank.values(), default=-1)
    for name in ranked:  # states no drawn move reaches: a row of their own below the others
        rank.setdefault(name, depth + 1)
    rows = [[s for s in ranked if rank[s] == r] for r in range(max(rank.values(), default=-1) + 1)]
    rows = [row for row in rows if row]
    found = Layout(rows, {s: len(fanned[s]) for s in fanned}, edges)
    if fan_only:  # as many a row as the widest row above (two at least), so they do not widen the picture
        found.fan_row, wide = len(rows), max(2, *(len(row) for row in rows))
        rows += [fan_only[i : i + wide] for i in range(0, len(fan_only), wide)]
    return found


def _ranks(spec: WorkflowSpec, edges: dict[tuple[str, str], list[str]]) -> dict[str, int]:
    """The longest distance from the initial state over the moves that are not back edges of a depth-first walk
    (in the order of the file), for every state the walk reaches."""
    after: dict[str, list[str]] = {}
    for source, dest in edges:
        after.setdefault(source, []).append(dest)
    order: list[str] = []  # finishing order
    on_path: set[str] = set()
    seen: set[str] = set()
    forward: dict[str, list[str]] = {}

    def walk(name: str) -> None:  # the workflows are small (limits: 200 states), recursion is bounded
        seen.add(name)
        on_path.add(name)
        for dest in after.get(name, []):
            if dest in on_path:
                continue  # a move back
            forward.setdefault(name, []).append(dest)
            if dest not in seen:
                walk(dest)
        on_path.discard(name)
        order.append(name)

    if spec.initial in spec.states:
        walk(spec.initial)
    rank = {name: 0 for name in order}
    for name in reversed(order):  # a topological order of the forward moves
        for dest in forward.get(name, []):
            rank[dest] = max(rank[dest], rank[name] + 1)
    return rank


def svg(
    spec: WorkflowSpec,
    *,
    lang: str = "vi",
    current: str | None = None,
    marked: Iterable[str] = (),
    id_prefix: str = "wf",
) -> str:
    """The workflow as an ``<svg>`` element (to place inline in a page, or serve as ``image/svg+xml``).
    ``current`` is the state to stress (a candidate's); ``marked`` the states to flag as changed (a diff)."""
    words = WORDS["en" if lang == "en" else "vi"]
    plan = layout(spec)
    changed = [s for s in dict.fromkeys(marked) if s in spec.states]
    back, skip = _sides(plan)
    left = 16 + LANE * len(back)
    columns = max((len(row) for row in plan.rows), default=1)
    inner = columns * BOX_W + (columns - 1) * GAP_X
    width = left + inner + 16 + LANE * len(skip)
    where: dict[str, tuple[int, int]] = {}
    for r, row in enumerate(plan.rows):  # rows start at the left: on a phone the main line shows unscrolled
        x0 = left
        for c, name in enumerate(row):
            where[name] = (x0 + c * (BOX_W + GAP_X), _row_y(r, plan))
    height = _row_y(len(plan.rows) - 1, plan) + BOX_H + 16 if plan.rows else TOP
    desc = [words["desc"].format(n=len(spec.states))]
    if current in spec.states:
        desc.append(words["now"].format(state=_label(spec, current, lang)))
    if changed:
        desc.append(words["marked"].format(states=", ".join(_label(spec, s, lang) for s in changed)))
    p = escape(id_prefix)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{p}-title {p}-desc" '
        f'font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="{p}-title">{escape(words["title"])}: {escape(spec.key)}</title>',
        f'<desc id="{p}-desc">{escape(" ".join(desc))}</desc>',
        f'<defs><marker id="{p}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
    ]
    out += _edges(spec, plan, where, back, skip, left, left + inner, p, lang)
    if spec.initial in where:
        x, y = where[spec.initial]
        out.append(f'<circle cx="{x + BOX_W // 2}" cy="{y - 30}" r="6" fill="#333"/>')
        out.append(_line(f"M{x + BOX_W // 2},{y - 24} V{y}", p))
    if plan.fan_row >= 0:
        y = _row_y(plan.fan_row, plan) - 12
        out.append(f'<text x="{left}" y="{y}" fill="#333" font-style="italic">{escape(words["ends"])}</text>')
    for name, (x, y) in where.items():
        out.append(_box(spec, name, x, y, lang, words, current=name == current, changed=name in changed, plan=plan))
    out.append("</svg>")
    return "\n".join(out)


def _row_y(r: int, plan: Layout) -> int:
    extra = 24 if 0 <= plan.fan_row <= r else 0  # room for the last row's heading
    return TOP + r * (BOX_H + GAP_Y) + extra


def _sides(plan: Layout) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The moves drawn along the left lanes (back, or within a row) and the right lanes (skipping rows)."""
    row_of = {name: r for r, row in enumerate(plan.rows) for name in row}
    back = [e for e in plan.edges if row_of[e[1]] <= row_of[e[0]]]
    skip = [e for e in plan.edges if row_of[e[1]] > row_of[e[0]] + 1]
    return back, skip


def _edges(
    spec: WorkflowSpec,
    plan: Layout,
    where: dict[str, tuple[int, int]],
    back: list[tuple[str, str]],
    skip: list[tuple[str, str]],
    left: int,
    right: int,
    p: str,
    lang: str,
) -> list[str]:
    labels = {t.trigger: t.label for t in reversed(spec.transitions) if t.label}
    out = []
    for (source, dest), triggers in plan.edges.items():
        (sx, sy), (dx, dy) = where[source], where[dest]
        start_x, end_x = sx + BOX_W // 2, dx + BOX_W // 2
        below, above = sy + BOX_H, dy  # the bands the move leaves and enters by (a move back: above, below)
        if (source, dest) in back:
            lane, k = left - 12 - LANE * back.index((source, dest)), back.index((source, dest)) % 3
            d = f"M{start_x},{sy} V{sy - 10 - 6 * k} H{lane} V{dy + BOX_H + 10 + 6 * k} H{end_x} V{dy + BOX_H}"
        elif (source, dest) in skip:
            lane, k = right + 12 + LANE * skip.index((source, dest)), skip.index((source, dest)) % 3
            d = f"M{start_x},{below} V{below + 12 + 6 * k} H{lane} V{above - 12 - 6 * k} H{end_x} V{above}"
        else:
            mid = (below + above) // 2
            d = f"M{start_x},{below} C{start_x},{mid} {end_x},{mid} {end_x},{above}"
        named = ", ".join(
            f"{getattr(labels[t], lang) if t in labels else t} ({t})" for t in triggers
        )  # the label in the page's language and the trigger's name
        out.append(f"<g><title>{escape(named)}</title>{_line(d, p)}</g>")
    return out


def _line(d: str, p: str) -> str:
    return f'<path d="{d}" fill="none" stroke="#333" stroke-width="1.5" marker-end="url(#{p}-arrow)"/>'


def _label(spec: WorkflowSpec, name: str, lang: str) -> str:
    label = spec.states[name].label
    return label.en if lang == "en" else label.vi


def _wrap(text: str, width: int = LINE_CHARS, lines: int = 2) -> list[str]:
    """``text`` in at most ``lines`` lines of about ``width`` characters, cut with an ellipsis if longer."""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and len(line) + 1 + len(words[0]) <= width:
            line += " " + words.pop(0)
        out.append(line if len(line) <= width else line[: width - 1] + "…")
    if words:
        out[-1] = out[-1][: width - 1].rstrip() + "…"
    return out


def _box(
    spec: WorkflowSpec,
    name: str,
    x: int,
    y: int,
    lang: str,
    words: dict[str, str],
    *,
    current: bool,
    changed: bool,
    plan: Layout,
) -> str:
    state = spec.states[name]
    full = _label(spec, name, lang)
    fill, ink, stroke, extra = "#ffffff", "#1a1a1a", "#333333", ""
    notes = []
    if current:
        fill, ink, stroke, extra = "#0b4f8a", "#ffffff", "#0b4f8a", ""
        notes.append("▶ " + words["current"])
    if changed:
        fill, stroke, extra = (
            ("#fff4cc", "#7a4f00", ' stroke-dasharray="6 3"') if not current else (fill, stroke, extra)
        )
        notes.append("~ " + words["changed"])
    notes.append(name)
    if name in plan.fanned:
        notes.append(words["from_many"].format(n=plan.fanned[name]))
    weight = 3 if current or changed else 1.5
    css = (
        "state" + (" current" if current else "") + (" changed" if changed else "") + (" final" if state.final else "")
    )
    parts = [
        f'<g class="{css}" data-state="{escape(name)}"><title>{escape(full)} ({escape(name)})</title>',
        f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{weight}"{extra}/>',
    ]
    if state.final:  # a double border marks the end of the procedure
        parts.append(
            f'<rect x="{x + 4}" y="{y + 4}" width="{BOX_W - 8}" height="{BOX_H - 8}" rx="5" fill="none" '
            f'stroke="{stroke}" stroke-width="1"/>'
        )
    for i, line in enumerate(_wrap(full)):
        bold = ' font-weight="bold"' if current else ""
        parts.append(f'<text x="{x + 10}" y="{y + 19 + 16 * i}" fill="{ink}"{bold}>{escape(line)}</text>')
    note = " · ".join(notes)
    note_ink, note_text = (ink if current else "#4a4a4a"), escape(_wrap(note, 38, 1)[0])
    parts.append(f'<text x="{x + 10}" y="{y + BOX_H - 9}" fill="{note_ink}" font-size="11">{note_text}</text>')
    parts.append("</g>")
    return "".join(parts)
