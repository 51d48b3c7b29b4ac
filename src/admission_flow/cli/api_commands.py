"""CLI commands of the REST API: ``token create|list|revoke`` and ``serve``."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer
from rich.table import Table

from admission_flow.cli import render
from admission_flow.cli.app import JsonOpt, app, handled, open_flow, settings_of
from admission_flow.cli.time_commands import parse_instant

token_app = typer.Typer(help="API tokens: bound to an organisation subtree and roles.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
@handled
def token_create(
    ctx: typer.Context,
    org: Annotated[str, typer.Option(help="The organisation whose subtree the token sees and acts in.")],
    name: Annotated[str, typer.Option(help="Who uses it (a service, a person).")] = "api",
    roles: Annotated[str, typer.Option(help="Comma-separated roles it may fire events in (e.g. cell).")] = "",
    read_only: Annotated[bool, typer.Option("--read-only", help="Reads only.")] = False,
    expires: Annotated[str | None, typer.Option(help="Expiry: a date (00:00 UTC) or an ISO instant.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a token. Its secret is printed once: only its hash is stored."""
    role_list = [r.strip() for r in roles.split(",") if r.strip()]
    with open_flow(ctx) as flow:
        record, secret = flow.create_token(
            name=name, org_id=org, roles=role_list, read_only=read_only, expires_at=parse_instant(expires)
        )
    if as_json:
        render.emit_json({**record.as_dict(), "secret": secret})
        return
    render.out.print(secret)
    render.err.print(
        f"token {record.id} for {record.org_id} (roles: {', '.join(record.roles) or 'none'}"
        f"{', read-only' if record.read_only else ''}): keep the secret above, it is not shown again"
    )


@token_app.command("list")
@handled
def token_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every token (never its secret)."""
    with open_flow(ctx) as flow:
        records = flow.tokens()
    if as_json:
        render.emit_json([r.as_dict() for r in records])
        return
    table = Table("id", "name", "org", "roles", "read-only", "created", "expires", "revoked")
    for r in records:
        table.add_row(
            str(r.id),
            r.name,
            r.org_id,
            ", ".join(r.roles),
            "yes" if r.read_only else "",
            r.created_at.isoformat(timespec="seconds"),
            r.expires_at.isoformat(timespec="seconds") if r.expires_at else "",
            r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else "",
        )
    render.out.print(table)


@token_app.command("revoke")
@handled
def token_revoke(ctx: typer.Context, token_id: int) -> None:
    """Revoke a token: its next request is refused (401)."""
    with open_flow(ctx) as flow:
        flow.revoke_token(token_id)
    render.err.print(f"token {token_id} revoked")


@app.command()
@handled
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Processes (PostgreSQL only for more than 1).")] = 1,
    tick: Annotated[
        float | None, typer.Option(help="Seconds between sweep/delivery ticks (default: settings; 0: no ticker).")
    ] = None,
) -> None:
    """Serve the REST API (/api/v1, /docs, /metrics) with the sweep/delivery ticker, until SIGTERM or Ctrl-C."""
    from admission_flow.api.server import check
    from admission_flow.api.server import serve as run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("apscheduler", "transitions", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    settings = settings_of(ctx)
    for key, value in (ctx.obj or {}).items():  # the global options reach every worker process
        if value is not None:
            os.environ[f"ADMISSION_FLOW_{key.upper()}"] = str(value)
    every = settings.sweep_interval_seconds if tick is None else tick
    check(workers, settings.database_url)
    render.err.print(f"serving http://{host}:{port}/api/v1 on {settings.database_url} ({workers} process(es))")
    run(host=host, port=port, workers=workers, tick=every, database_url=settings.database_url)
