"""CLI commands for durable time: sweep, deliver, worker, deadlines, reminders, outbox, simulate."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from admission_flow.cli import parse, render
from admission_flow.cli.app import JsonOpt, app, handled, open_flow, settings_of
from admission_flow.errors import InvalidInput

deadlines_app = typer.Typer(help="Deadlines of candidates still in the state that set them.", no_args_is_help=True)
reminders_app = typer.Typer(help="Reminder forecast.", no_args_is_help=True)
outbox_app = typer.Typer(help="Messages waiting, sent and failed.", no_args_is_help=True)
app.add_typer(deadlines_app, name="deadlines")
app.add_typer(reminders_app, name="reminders")
app.add_typer(outbox_app, name="outbox")


def parse_instant(text: str | None) -> datetime | None:
    """``2026-06-01`` (00:00 UTC) or an ISO instant with offset."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"not a date or instant: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_span(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)\s*([dwh])", text.strip())
    if match is None:
        raise InvalidInput(f"expected a span such as 90d, 2w or 12h, got {text!r}")
    amount, unit = int(match.group(1)), match.group(2)
    return {"d": timedelta(days=amount), "w": timedelta(weeks=amount), "h": timedelta(hours=amount)}[unit]


@app.command()
@handled
def sweep(
    ctx: typer.Context,
    now: Annotated[str | None, typer.Option(help="Pretend it is this instant (e.g. 2026-07-01) — for trials.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Turn due timers into outbox messages or automatic events (safe to run again: nothing happens twice)."""
    with open_flow(ctx) as flow:
        report = flow.sweep(parse_instant(now))
    if as_json:
        render.emit_json(vars(report))
    else:
        render.out.print(
            f"claimed {report.claimed} due timer(s): {report.messages} message(s), {report.fired} automatic "
            f"event(s), {report.failed} refused, {report.stale} stale"
            + (" — another process holds the sweep lease" if report.lease_held_elsewhere else "")
        )
    if report.left_due:
        render.err.print(
            f"stopped after {report.rounds} rounds: automatic events keep making timers due "
            f"({report.left_due} still due; the next sweep goes on)"
        )


@app.command()
@handled
def deliver(
    ctx: typer.Context,
    now: Annotated[str | None, typer.Option(help="Pretend it is this instant.")] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Send at most this many messages (default: everything due).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send due outbox messages: e-mail by SMTP, webhook calls by HTTP (failures are retried with backoff).

    Exits 1 if messages were due and not one could be sent (e.g. the SMTP server is down): they stay queued."""
    with open_flow(ctx) as flow:
        report = flow.deliver(parse_instant(now), limit)
    if as_json:
        render.emit_json(vars(report))
    else:
        more = f"; {report.remaining} more due (--limit reached)" if report.remaining else ""
        render.out.print(f"sent {report.sent}, will retry {report.retried}, gave up on {report.dead}{more}")
        for line in report.errors:
            render.err.print(line, markup=False)
    if report.sent_nothing:
        if not as_json:
            render.err.print("deliver: nothing could be sent; the messages stay queued (exit 1)")
        raise typer.Exit(1)


@app.command()
@handled
def worker(
    ctx: typer.Context,
    interval: Annotated[float | None, typer.Option(help="Seconds between ticks (default: settings).")] = None,
) -> None:
    """Run the ticker: sweep and deliver every interval, until SIGTERM or Ctrl-C."""
    from admission_flow.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("apscheduler", "transitions"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with open_flow(ctx) as flow:
        flow.check_configuration()  # fail now, not at the first tick, if a workflow or the calendar is invalid
        every = interval or flow.settings.sweep_interval_seconds
        render.err.print(f"worker: ticking every {every:g}s on {flow.settings.database_url} (Ctrl-C to stop)")
        run_worker(flow, every)
    render.err.print("worker: stopped cleanly")


@deadlines_app.command("list")
@handled
def deadlines_list(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option(help="Only deadlines already past.")] = False,
    org: Annotated[str | None, typer.Option(help="Only this organisation and everything under it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open deadlines (the candidate is still in the state that set them), earliest first."""
    with open_flow(ctx) as flow:
        records = flow.deadlines(overdue=overdue, org_id=org)
    if as_json:
        render.emit_json([r.as_dict() for r in records])
        return
    table = Table(title=f"Deadlines ({len(records)})")
    for column in ("due on", "left", "candidate", "org", "deadline", "state", "extended", "status"):
        table.add_column(column)
    for r in records:
        left = f"[red]{-r.days_left} late[/red]" if r.overdue else f"{r.days_left} d"
        table.add_row(
            r.due_on.isoformat(),
            left,
            r.full_name,
            r.org_id,
            r.label["vi"],
            r.state,
            str(r.extended_by or ""),
            r.status,
        )
    render.out.print(table)


@reminders_app.command("upcoming")
@handled
def reminders_upcoming(
    ctx: typer.Context,
    within: Annotated[str, typer.Option(help="How far ahead, e.g. 90d, 2w.")] = "30d",
    include_due: Annotated[bool, typer.Option(help="Also rows already due, waiting for the next sweep.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """What the sweep will send later, to whom and when (and which roles have no address); what is already late
    is in `deadlines list --overdue` (or add --include-due)."""
    with open_flow(ctx) as flow:
        records = flow.upcoming_reminders(parse_span(within), include_due=include_due)
    if as_json:
        render.emit_json([r.as_dict() for r in records])
        return
    table = Table(title=f"Upcoming within {within} ({len(records)})")
    for column in ("when (UTC)", "candidate", "deadline", "due on", "action", "to", "missing"):
        table.add_column(column)
    for r in records:
        table.add_row(
            r.fire_at.isoformat(timespec="minutes"),
            r.full_name,
            r.deadline,
            r.due_on.isoformat(),
            r.action,
            "\n".join(p["email"] for p in r.recipients),
            ", ".join(r.missing_roles),
        )
    render.out.print(table)


@outbox_app.command("list")
@handled
def outbox_list(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option(help="Only messages that failed or were given up on.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Messages with their status, attempts and last error."""
    with open_flow(ctx) as flow:
        records = flow.outbox(failed_only=failed, limit=limit)
    if as_json:
        render.emit_json([r.as_dict() for r in records])
        return
    table = Table(title=f"Outbox ({len(records)})")
    for column in ("id", "status", "attempts", "to", "subject", "last error"):
        table.add_column(column)
    for r in records:
        table.add_row(
            str(r.id),
            r.status,
            str(r.attempts),
            "\n".join(p.get("email") or p.get("url", "") for p in r.recipients),
            r.subject,
            r.last_error or "",
        )
    render.out.print(table)


@deadlines_app.command("retry")
@handled
def deadlines_retry(
    ctx: typer.Context,
    candidate: Annotated[str | None, typer.Option(help="Only this candidate's (default: every failed one).")] = None,
) -> None:
    """Have the next sweep act again on failed deadlines and reminders (e.g. after restoring a workflow file)."""
    with open_flow(ctx) as flow:
        count = flow.retry_timers(candidate)
    render.out.print(f"{count} failed timer(s) pending again; the next sweep acts on them")


@outbox_app.command("retry")
@handled
def outbox_retry(
    ctx: typer.Context, ids: Annotated[list[int] | None, typer.Argument(help="Message ids (default: all dead).")] = None
) -> None:
    """Give messages that were given up on another round of attempts."""
    with open_flow(ctx) as flow:
        count = flow.retry_outbox(ids or [])
    render.out.print(f"{count} message(s) queued again")


@app.command()
@handled
def simulate(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="ID or ID@VERSION")] = "standard",
    start: Annotated[str, typer.Option(help="Date of the first step.")] = "2026-01-05",
    path: Annotated[
        list[str] | None, typer.Option(help="TRIGGER or TRIGGER+DAYS (repeatable; default: happy path).")
    ] = None,
    birth_date: Annotated[str, typer.Option(help="The hypothetical candidate's birth date.")] = "1998-05-17",
    org: Annotated[str, typer.Option(help="Sample organisation (see scenario.SAMPLE_ORGS).")] = "ks.anmy.ap1",
    as_json: JsonOpt = False,
) -> None:
    """Dry-run one hypothetical candidate on an in-memory database with a manual clock; print the timeline."""
    from admission_flow.flow import AdmissionFlow
    from admission_flow.services.simulation import parse_path

    sandbox = settings_of(ctx).model_copy(update={"database_url": "sqlite://"})  # never touches the real database
    steps = parse_path(path) if path else None
    with AdmissionFlow(sandbox) as flow:
        timeline = flow.simulate(
            workflow, parse.parse_date(start), path=steps, birth_date=parse.parse_date(birth_date), org_id=org
        )
    if as_json:
        render.emit_json([e.as_dict() for e in timeline])
        return
    table = Table(title=f"Simulation of {workflow} from {start}")
    for column in ("date", "kind", "what", "state after", "detail"):
        table.add_column(column)
    for e in timeline:
        style = {"automatic": "cyan", "message": "yellow"}.get(e.kind, "")
        table.add_row(e.on.isoformat(), f"[{style}]{e.kind}[/{style}]" if style else e.kind, e.what, e.state, e.detail)
    render.out.print(table)
