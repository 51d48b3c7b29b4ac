"""Seconds to check one large workflow document: a synthetic chain of N states (issue 13).

Run from the repository root::

    .venv/bin/python bench/validate.py                       # 1,000, 10,000 and 50,000 states
    .venv/bin/python bench/validate.py --states 200,1000 --rounds 5

The document is a straight line ``s0 → s1 → … → sN-1`` (the last state final): one transition per step, each
state labelled in both languages, and every 100th state a deadline (two reminder rungs and an escalation,
counted from entering the state). Two passes per size, each the fastest of ``--rounds``:

* ``as shipped``: ``Catalog.check_text`` with the loader's bounds (``loader.MAX_NODES``, 100,000 keys and values
  once aliases are expanded). About 12 keys and values per state: past ~8,000 states the document is refused
  at the node that crosses the bound, which is what is timed then (``refused`` in the table).
* ``bounds lifted``: the same call with ``loader.MAX_NODES`` raised above the document's size for this run only
  (the loader reads the module constant at each check), to see how parsing, validation and compilation scale.

Parsing alone (``parse_yaml``) is timed separately in both passes. The catalog used is the shipped one
(``workflows/``), for its guards and templates. Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from admission_flow.engine.catalog import Catalog
from admission_flow.guards import default_registry
from admission_flow.workflow import loader

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_EVERY = 100


def chain(states: int) -> str:
    """A valid workflow of ``states`` states in a line, with a deadline every ``DEADLINE_EVERY`` states."""
    lines = [
        "id: bench_chain",
        'version: "1"',
        "title: {vi: Chuỗi dài, en: Long chain}",
        "initial: s0",
        "roles:",
        "  clerk: {vi: Văn thư, en: Clerk}",
        "  cell_secretary: {vi: Bí thư chi bộ, en: Cell secretary}",
        "states:",
    ]
    for i in range(states):
        final = i == states - 1
        lines.append(f"  s{i}:")
        lines.append(f"    label: {{vi: Bước {i}, en: Step {i}}}")
        if final:
            lines.append("    final: true")
        if i % DEADLINE_EVERY == DEADLINE_EVERY - 1 and i != states - 1:
            lines += [
                "    deadlines:",
                f"      - id: d{i}",
                f"        label: {{vi: Hạn {i}, en: Deadline {i}}}",
                "        from: entered",
                "        after: {working_days: 30}",
                "        remind:",
                "          - {before: {working_days: 10}, to: [cell_secretary], template: deadline_reminder}",
                "          - {before: {working_days: 2}, to: [cell_secretary], template: deadline_reminder}",
                "        on_due: {escalate: {to: [cell_secretary], template: escalation}}",
            ]
    lines.append("transitions:")
    lines += [f"  - {{trigger: t{i}, source: s{i - 1}, dest: s{i}, roles: [clerk]}}" for i in range(1, states)]
    return "\n".join(lines) + "\n"


@contextmanager
def max_nodes(value: int | None) -> Iterator[None]:
    """``loader.MAX_NODES`` raised to ``value`` for the block (None: as shipped)."""
    shipped = loader.MAX_NODES
    if value is not None:
        loader.MAX_NODES = max(shipped, value)
    try:
        yield
    finally:
        loader.MAX_NODES = shipped


def fastest(call: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(rounds):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(catalog: Catalog, states: int, rounds: int) -> list[dict[str, Any]]:
    text = chain(states)
    rows = []
    for label, lifted in (("as shipped", None), ("bounds lifted", 4 * len(text))):
        with max_nodes(lifted):
            parse_s, (doc, parse_problems) = fastest(lambda: loader.parse_yaml(text, "bench.yaml"), rounds)
            check_s, (wf, problems) = fastest(lambda: catalog.check_text(text, "bench.yaml"), rounds)
        rows.append(
            {
                "states": states,
                "pass": label,
                "bytes": len(text.encode("utf-8")),
                "parse_s": round(parse_s, 4),
                "check_s": round(check_s, 4),
                "us_per_state": round(1e6 * check_s / states, 1),
                "result": "valid" if wf is not None else "refused",
                "problem": str(problems[0]) if problems else None,
            }
        )
        assert doc is not None or parse_problems
    return rows


def linearity(rows: list[dict[str, Any]]) -> str:
    """The growth of the check time between the smallest and largest size of the valid (lifted) pass."""
    valid = [r for r in rows if r["pass"] == "bounds lifted" and r["result"] == "valid"]
    if len(valid) < 2:
        return "n/a"
    small, large = valid[0], valid[-1]
    times = large["check_s"] / small["check_s"] if small["check_s"] else 0.0
    ratio = large["states"] / small["states"]
    per_state = large["us_per_state"] / small["us_per_state"] if small["us_per_state"] else 0.0
    verdict = "near-linear" if per_state < 1.5 else "super-linear"
    return f"{verdict}: {ratio:.0f}x the states took {times:.1f}x the time ({per_state:.2f}x per state)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", default="1000,10000,50000", help="sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per size and pass; the fastest counts")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.states.split(",")]
    catalog = Catalog.from_folder(ROOT / "workflows", default_registry())
    rows = [row for states in sizes for row in measure(catalog, states, args.rounds)]
    print(f"Python {platform.python_version()}, {platform.machine()}, loader.MAX_NODES={loader.MAX_NODES:,}")
    header = f"{'states':>7}  {'pass':<13} {'bytes':>10} {'parse s':>8} {'check s':>8} {'µs/state':>9}  result"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['states']:>7,}  {r['pass']:<13} {r['bytes']:>10,} {r['parse_s']:>8.3f} {r['check_s']:>8.3f} "
            f"{r['us_per_state']:>9.1f}  {r['result']}"
        )
    refused = next((r for r in rows if r["result"] == "refused"), None)
    if refused:
        print(f"refused as shipped: {refused['problem']}")
    verdict = linearity(rows)
    print(f"scaling (bounds lifted): {verdict}")
    print(json.dumps({"bench": "validate", "rows": rows, "scaling": verdict}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
