"""``admission-flow check-ahead``: would a later step's rules pass on a given day? A warning, never a refusal."""

from __future__ import annotations

from typing import Annotated

import typer

from admission_flow.cli import parse, render
from admission_flow.cli.app import JsonOpt, app, handled, open_flow


@app.command("check-ahead")
@handled
def check_ahead(
    ctx: typer.Context,
    candidate_id: Annotated[str, typer.Argument(metavar="CANDIDATE")],
    on: Annotated[str | None, typer.Option(help="The planned date of the step (default: today).")] = None,
    trigger: Annotated[str, typer.Option(help="The later step.")] = "branch_vote_passed",
    guard: Annotated[list[str] | None, typer.Option(help="Guard to judge (repeatable; readmission_ok).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Judge a later step's rules (by default the re-admission waits of the cell's vote) on a planned date, with the
    candidate's facts as recorded now. Exit 0 either way: nothing is refused or written."""
    with open_flow(ctx) as flow:
        found = flow.check_ahead(
            candidate_id,
            trigger=trigger,
            guards=guard or None,
            on=None if on is None else parse.parse_date(on),
        )
    if as_json:
        render.emit_json(found.as_dict())
        return
    judged = ", ".join(found.guards) or "none of the named guards is on this step"
    head = f"{found.candidate_id} ({found.workflow}) {found.trigger} on {found.on} [{judged}]: "
    if found.ok:
        render.out.print(head + "[green]would pass[/green]")
        return
    render.out.print(head + "[yellow]would be refused[/yellow]")
    for r in found.reasons:
        render.out.print(f"  - {r['code']}: {r['message']['en']}\n    {r['message']['vi']}")


@app.command("membership")
@handled
def membership(
    ctx: typer.Context,
    candidate_id: Annotated[str, typer.Argument(metavar="CANDIDATE")],
    on: Annotated[str | None, typer.Option(help="Count the party age on this date (default: today).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The official date of full membership and the party age (from the admission decision)."""
    with open_flow(ctx) as flow:
        found = flow.membership(candidate_id, on=None if on is None else parse.parse_date(on))
    if as_json:
        render.emit_json(found.as_dict())
        return
    render.out.print(f"{found.candidate_id}: admission decided {found.admission_decided_on or '-'}")
    status = "recognised" if found.recognised else "expected, not recognised yet"
    render.out.print(f"  official full membership: {found.official_on or '-'} ({status})")
    render.out.print(f"  party age on {found.on}: {found.party_age or '- (counted once recognised)'}")
