"""CLI commands of the web dashboard's accounts: ``user add|list|disable|enable|reset``."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table

from admission_flow.cli import render
from admission_flow.cli.app import JsonOpt, app, handled, open_flow

user_app = typer.Typer(help="Dashboard accounts: bound to an organisation subtree and roles.", no_args_is_help=True)
app.add_typer(user_app, name="user")

PasswordOpt = Annotated[
    str | None,
    typer.Option(
        help="The password (10 to 200 characters). Without it: asked for on a terminal, else a random one is "
        "printed. Beware: a password on the command line lands in the shell's history.",
    ),
]


def _password(given: str | None) -> str | None:
    if given is not None:
        return given
    if typer.get_text_stream("stdin").isatty():
        return getpass.getpass("password: ")
    return None


@user_app.command("add")
@handled
def user_add(
    ctx: typer.Context,
    login: str,
    org: Annotated[str, typer.Option(help="The organisation whose subtree the person sees and acts in.")],
    roles: Annotated[str, typer.Option(help="Comma-separated roles the person acts in (e.g. cell).")] = "",
    name: Annotated[str | None, typer.Option(help="The name shown on the pages (default: the login).")] = None,
    password: PasswordOpt = None,
) -> None:
    """Create an account. A random password is printed once when none is given."""
    role_list = [r.strip() for r in roles.split(",") if r.strip()]
    chosen = _password(password)
    with open_flow(ctx) as flow:
        if chosen is None:
            from secrets import token_urlsafe

            chosen = token_urlsafe(12)
            render.out.print(chosen)
        record = flow.add_user(login=login, display_name=name or login, org_id=org, roles=role_list, password=chosen)
    render.err.print(f"user {record.login} for {record.org_id} (roles: {', '.join(record.roles) or 'none'})")


@user_app.command("list")
@handled
def user_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every account (never a password hash)."""
    with open_flow(ctx) as flow:
        records = flow.users()
    if as_json:
        render.emit_json([r.as_dict() for r in records])
        return
    table = Table("login", "name", "org", "roles", "disabled", "failed sign-ins", "locked until")
    for r in records:
        table.add_row(
            r.login,
            r.display_name,
            r.org_id,
            ", ".join(r.roles),
            "yes" if r.disabled else "",
            str(r.failed_sign_ins or ""),
            r.locked_until.isoformat(timespec="seconds") if r.locked_until else "",
        )
    render.out.print(table)


@user_app.command("disable")
@handled
def user_disable(ctx: typer.Context, login: str) -> None:
    """Disable an account: its sessions end at once and it cannot sign in."""
    with open_flow(ctx) as flow:
        flow.disable_user(login)
    render.err.print(f"user {login} disabled")


@user_app.command("enable")
@handled
def user_enable(ctx: typer.Context, login: str) -> None:
    """Enable a disabled account again."""
    with open_flow(ctx) as flow:
        flow.disable_user(login, disabled=False)
    render.err.print(f"user {login} enabled")


@user_app.command("reset")
@handled
def user_reset(ctx: typer.Context, login: str, password: PasswordOpt = None) -> None:
    """Set a new password (printed when random), lift a sign-in lock and end every session of the account."""
    chosen = _password(password)
    with open_flow(ctx) as flow:
        made = flow.reset_user_password(login, chosen)
    if chosen is None:
        render.out.print(made)
    render.err.print(f"user {login}: password reset, sessions ended")
