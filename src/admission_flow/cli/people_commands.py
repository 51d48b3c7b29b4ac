"""``candidate add`` with people's identifiers, and ``candidate find`` by one of them (issue 10, item 2)."""

from __future__ import annotations

from typing import Annotated

import typer

from admission_flow.cli import parse, render
from admission_flow.cli.app import JsonOpt, candidate_app, handled, open_flow

PersonalIdOpt = Annotated[
    str | None, typer.Option("--personal-id", help="12-digit personal identification number (căn cước).")
]
PartyCardOpt = Annotated[str | None, typer.Option("--party-card", help="Party card number.")]
OldCardOpt = Annotated[str | None, typer.Option("--old-card", help="An earlier party card number.")]


@candidate_app.command("add")
@handled
def candidate_add(
    ctx: typer.Context,
    candidate_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Option(help="Full name.")],
    org: Annotated[str, typer.Option(help="Organisation (cell) id.")],
    birth_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD or DD/MM/YYYY.")] = None,
    sex: Annotated[str | None, typer.Option(help="male or female.")] = None,
    ethnicity: Annotated[str | None, typer.Option()] = None,
    religion: Annotated[str | None, typer.Option()] = None,
    education: Annotated[str | None, typer.Option(help="none, primary, lower_secondary, ... university.")] = None,
    remote_area: Annotated[bool, typer.Option(help="Lives/works in a remote or disadvantaged area.")] = False,
    occupation: Annotated[str | None, typer.Option()] = None,
    youth_union: Annotated[bool, typer.Option(help="Youth Union member.")] = False,
    trade_union: Annotated[bool, typer.Option(help="Trade Union member.")] = False,
    email: Annotated[str | None, typer.Option()] = None,
    personal_id: PersonalIdOpt = None,
    party_card: PartyCardOpt = None,
    old_card: OldCardOpt = None,
    manager: Annotated[bool, typer.Option(help="A leader or manager (lãnh đạo, quản lý).")] = False,
    workflow: Annotated[str | None, typer.Option(help="ID or ID@VERSION (default: settings).")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Paper date of entry (default: today).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a person and start them on a workflow (state: the workflow's initial state). A bare workflow ID
    starts on the version in force on the --on date."""
    with open_flow(ctx) as flow:
        record = flow.add_candidate(
            id=candidate_id,
            full_name=name,
            org_id=org,
            birth_date=None if birth_date is None else parse.parse_date(birth_date),
            sex=sex,
            ethnicity=ethnicity,
            religion=religion,
            education=education,
            remote_area=remote_area,
            occupation=occupation,
            youth_union_member=youth_union,
            trade_union_member=trade_union,
            email=email,
            personal_id=personal_id,
            party_card_no=party_card,
            old_card_no=old_card,
            manager=manager,
            workflow=workflow,
            on=None if on is None else parse.parse_date(on),
        )
    if as_json:
        render.emit_json(record.as_dict())
    else:
        render.out.print(f"[green]ok[/green] {record.id} started on {record.workflow} in state {record.state}")


@candidate_app.command("find")
@handled
def candidate_find(
    ctx: typer.Context,
    personal_id: PersonalIdOpt = None,
    party_card: PartyCardOpt = None,
    old_card: OldCardOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find the person holding one identifier (exit 3 if nobody does)."""
    with open_flow(ctx) as flow:
        record = flow.candidate_by_identifier(personal_id=personal_id, party_card_no=party_card, old_card_no=old_card)
        label = flow.workflow(record.workflow).states[record.state].label.vi
    if as_json:
        return render.emit_json(record.as_dict())
    render.candidate(record, label)
