"""``admission-flow migrate``: move running candidates to another workflow version, report first."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from admission_flow.cli import render
from admission_flow.cli.app import JsonOpt, app, handled, open_flow


@app.command()
@handled
def migrate(
    ctx: typer.Context,
    from_ref: Annotated[str, typer.Option("--from", help="ID@VERSION the candidates are on.")],
    to_ref: Annotated[str, typer.Option("--to", help="ID@VERSION to move them to.")],
    org: Annotated[str | None, typer.Option(help="Only this organisation and everything under it.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; change nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Per candidate: the state mapping, deadlines that move, reminders cancelled or re-sent, and who cannot be mapped.
    Without --dry-run, applies exactly that, one audited event per candidate."""
    with open_flow(ctx) as flow:
        items = flow.migrate(from_ref, to_ref, org_id=org, dry_run=dry_run)
    if as_json:
        render.emit_json({"dry_run": dry_run, "items": [dict(i.as_dict(), mappable=i.mappable) for i in items]})
        return
    verb = "would move" if dry_run else "moved"
    table = Table(title=f"{from_ref} → {to_ref}{' (dry run)' if dry_run else ''}: {len(items)} running candidate(s)")
    for column in ("candidate", "state", "deadlines", "reminders"):
        table.add_column(column)
    for i in items:
        state = f"{i.from_state} → {i.to_state}" if i.mappable else f"[red]{i.from_state}: cannot map[/red]\n{i.reason}"
        moved = [f"{m['deadline']}: {m['from']} → {m['to']}" for m in i.deadlines_moved]
        deadlines = moved + [f"+ {d}" for d in i.deadlines_added] + [f"- {d}" for d in i.deadlines_removed]
        reminders = []
        for label, names in (
            ("cancel", i.reminders_cancelled),
            ("schedule", i.reminders_scheduled),
            ("skip", i.reminders_skipped),
            ("re-send", i.reminders_resent),
            ("carry over", i.timers_carried),
            ("already met", i.deadlines_satisfied),
        ):
            if names:
                reminders.append(f"{label} {len(names)}: {', '.join(names)}")
        table.add_row(
            f"{i.full_name}\n{i.candidate_id}", state, "\n".join(deadlines) or "unchanged", "\n".join(reminders)
        )
    render.out.print(table)
    mapped = sum(1 for i in items if i.mappable)
    render.out.print(f"{verb} {mapped}; cannot map {len(items) - mapped}")
