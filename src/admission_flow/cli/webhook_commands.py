"""CLI commands for webhook subscriptions: add (the secret is printed once), list, remove."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from admission_flow.cli import render
from admission_flow.cli.app import JsonOpt, app, handled, open_flow

webhook_app = typer.Typer(help="Webhooks: events POSTed to a URL, signed.", no_args_is_help=True)
app.add_typer(webhook_app, name="webhook")


def parse_events(text: str) -> list[str]:
    """``a,b`` → ``["a", "b"]`` (blanks dropped; ``*`` means every event)."""
    return [part.strip() for part in text.split(",") if part.strip()]


@webhook_app.command("add")
@handled
def webhook_add(
    ctx: typer.Context,
    org: Annotated[str, typer.Option(help="Organisation whose subtree's events are sent.")],
    url: Annotated[str, typer.Option(help="http:// or https:// URL that receives the POSTs.")],
    events: Annotated[str, typer.Option(help="Comma-separated triggers, or * for every event.")] = "*",
    as_json: JsonOpt = False,
) -> None:
    """Subscribe a URL to events; prints the signing secret, which is not shown again."""
    with open_flow(ctx) as flow:
        record, secret = flow.add_webhook(org, url, parse_events(events))
    if as_json:
        render.emit_json(record.as_dict() | {"secret": secret})
        return
    render.out.print(f"[green]ok[/green] webhook {record.id}: {escape(record.url)} ← {', '.join(record.event_types)}")
    render.out.print(f"secret: {secret}", markup=False)
    render.err.print("Keep the secret now: it signs every call and is not shown again.")


@webhook_app.command("list")
@handled
def webhook_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Subscriptions, removed ones included (secrets are never listed)."""
    with open_flow(ctx) as flow:
        records = flow.webhooks()
    if as_json:
        render.emit_json([r.as_dict() for r in records])
        return
    table = Table(title=f"Webhooks ({len(records)})")
    for column in ("id", "org", "url", "events", "active", "created"):
        table.add_column(column)
    for r in records:
        table.add_row(
            str(r.id),
            r.org_id,
            escape(r.url),
            ", ".join(r.event_types),
            "yes" if r.active else "[red]removed[/red]",
            r.created_at.isoformat(timespec="seconds"),
        )
    render.out.print(table)


@webhook_app.command("remove")
@handled
def webhook_remove(
    ctx: typer.Context,
    webhook_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: JsonOpt = False,
) -> None:
    """Stop calling a webhook (calls still queued for it are given up)."""
    with open_flow(ctx) as flow:
        flow.remove_webhook(webhook_id)
    if as_json:
        render.emit_json({"id": webhook_id, "active": False})
    else:
        render.out.print(f"[green]ok[/green] webhook {webhook_id} removed")
