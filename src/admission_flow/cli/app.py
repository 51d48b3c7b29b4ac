"""``admission-flow``: a thin adapter — parse options, call the facade, render. No rules live here.

Exit codes (a contract): 0 ok, 1 unexpected, 2 usage or invalid input, 3 not found, 4 conflict or refused
transition, 5 invalid workflow.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from admission_flow.cli import parse, render
from admission_flow.domain.inputs import ORG_KINDS
from admission_flow.errors import AdmissionFlowError, ConfigurationError, WorkflowDefinitionError

if TYPE_CHECKING:
    from admission_flow.flow import AdmissionFlow
    from admission_flow.settings import Settings

app = typer.Typer(
    name="admission-flow",
    help="Run the Party member-admission procedure as durable, audited state machines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
org_app = typer.Typer(help="Organisations (the party tree).", no_args_is_help=True)
candidate_app = typer.Typer(help="Candidates and their procedure.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(candidate_app, name="candidate")

F = TypeVar("F", bound=Callable[..., Any])
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def handled(fn: F) -> F:
    """Turn package errors into a clear message and the contract's exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AdmissionFlowError as exc:
            render.error(exc, as_json=bool(kwargs.get("as_json")))
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def root(
    ctx: typer.Context,
    database_url: Annotated[str | None, typer.Option(help="Overrides ADMISSION_FLOW_DATABASE_URL.")] = None,
    workflows_dir: Annotated[Path | None, typer.Option(help="Overrides ADMISSION_FLOW_WORKFLOWS_DIR.")] = None,
    version: Annotated[bool, typer.Option("--version", callback=render.version, is_eager=True)] = False,
) -> None:
    ctx.obj = {"database_url": database_url, "workflows_dir": workflows_dir}


def settings_of(ctx: typer.Context) -> Settings:
    """Settings from the config file, the environment and the global options; a bad value is exit 2."""
    from pydantic import ValidationError

    from admission_flow.settings import load_settings

    try:
        return load_settings(**(ctx.obj or {}))
    except ValidationError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from None


@contextmanager
def open_flow(ctx: typer.Context) -> Iterator[AdmissionFlow]:
    from admission_flow.flow import AdmissionFlow  # SQLAlchemy and transitions load only when needed

    flow = AdmissionFlow.from_settings(**(ctx.obj or {}))
    try:
        yield flow
    finally:
        flow.close()


# ---------------------------------------------------------------- workflows


@app.command()
@handled
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the workflows folder).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check workflow files; print every problem as FILE:LINE:COLUMN: PATH: MESSAGE (exit 5 if any)."""
    from admission_flow.bootstrap import validate_workflows

    settings = settings_of(ctx)
    keys, problems = validate_workflows(list(paths or [settings.workflows_dir]), settings)
    if problems:
        raise WorkflowDefinitionError(problems)
    if as_json:
        render.emit_json({"valid": keys})
    else:
        for k in keys:
            render.out.print(f"[green]ok[/green] {k['workflow']}  {k['states']} states  sha256 {k['hash'][:12]}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of workflow files (for editors: yaml-language-server, VS Code)."""
    from admission_flow.guards import default_registry
    from admission_flow.workflow.schema import workflow_json_schema

    render.emit_json(workflow_json_schema(default_registry()))


@app.command()
@handled
def diagram(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="ID or ID@VERSION")] = "standard",
    highlight: Annotated[list[str] | None, typer.Option(help="State to emphasise (repeatable).")] = None,
    changed_from: Annotated[str | None, typer.Option(help="Emphasise what changed since this ID@VERSION.")] = None,
    internal: Annotated[bool, typer.Option(help="Also draw internal events as self-loops.")] = False,
) -> None:
    """Print the workflow as a Mermaid state diagram."""
    from admission_flow.workflow.diagram import mermaid
    from admission_flow.workflow.diff import changed_states

    with open_flow(ctx) as flow:
        spec = flow.workflow(workflow)
        marked = list(highlight or [])
        if changed_from is not None:
            marked += changed_states(flow.workflow(changed_from), spec)
    render.out.print(mermaid(spec, highlight=marked, internal=internal), markup=False)


@app.command("diff")
@handled
def diff_command(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="Base: ID@VERSION")],
    new: Annotated[str, typer.Argument(help="Variant or new version: ID@VERSION")],
    as_json: JsonOpt = False,
) -> None:
    """Show what a variant or a new version changes (+ added, - removed, ~ changed)."""
    from admission_flow.workflow.diff import diff

    with open_flow(ctx) as flow:
        changes = diff(flow.workflow(old), flow.workflow(new))
    if as_json:
        render.emit_json([c.as_dict() for c in changes])
        return
    render.out.print(f"{old} → {new}: {len(changes)} change(s)")
    for change in changes:
        render.out.print(str(change), markup=False)


# ---------------------------------------------------------------- database


@db_app.command("upgrade")
@handled
def db_upgrade(ctx: typer.Context) -> None:
    """Create or upgrade the tables to the newest revision (the only command that creates a SQLite file)."""
    with open_flow(ctx) as flow:
        revision, where = flow.upgrade_database(), flow.database_shown()
    render.out.print(f"[green]ok[/green] database {render.escape(where)} at revision {revision}")


# ---------------------------------------------------------------- organisations


@org_app.command("add")
@handled
def org_add(
    ctx: typer.Context,
    org_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Option(help="Full name, e.g. 'Chi bộ ấp An Phú'.")],
    kind: Annotated[str, typer.Option(help=f"One of: {', '.join(ORG_KINDS)}.")],
    parent: Annotated[str | None, typer.Option(help="Parent organisation id.")] = None,
    youth_union: Annotated[bool, typer.Option(help="Has a Youth Union organisation.")] = False,
    trade_union: Annotated[bool, typer.Option(help="Has a Trade Union organisation.")] = False,
    contact: Annotated[list[str] | None, typer.Option(help="ROLE=NAME <EMAIL> (repeatable).")] = None,
    authority: Annotated[
        list[str] | None, typer.Option(help="Power its standing board holds: admission, recognition, consent.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add an organisation node."""
    with open_flow(ctx) as flow:
        record = flow.add_org(
            id=org_id,
            name=name,
            kind=kind,
            parent_id=parent,
            has_youth_union=youth_union,
            has_trade_union=trade_union,
            contacts=parse.parse_contacts(contact),
            attributes={"authority": authority} if authority else {},
        )
    render.emit_json(record.as_dict()) if as_json else render.out.print(f"[green]ok[/green] {record.id}")


@org_app.command("list")
@handled
def org_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List organisations."""
    with open_flow(ctx) as flow:
        records = flow.orgs()
    render.emit_json([r.as_dict() for r in records]) if as_json else render.orgs(records)


# ---------------------------------------------------------------- candidates


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
            workflow=workflow,
            on=None if on is None else parse.parse_date(on),
        )
    if as_json:
        render.emit_json(record.as_dict())
    else:
        render.out.print(f"[green]ok[/green] {record.id} started on {record.workflow} in state {record.state}")


@candidate_app.command("show")
@handled
def candidate_show(
    ctx: typer.Context, candidate_id: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonOpt = False
) -> None:
    """Show a candidate, their state, recorded dates, flags, documents and open deadlines."""
    with open_flow(ctx) as flow:
        record = flow.candidate(candidate_id)
        label = flow.workflow(record.workflow).states[record.state].label.vi
        due = flow.deadlines(candidate_id=candidate_id)
    if as_json:
        return render.emit_json({**record.as_dict(), "deadlines": [d.as_dict() for d in due]})
    render.candidate(record, label, due)


@candidate_app.command("list")
@handled
def candidate_list(
    ctx: typer.Context,
    org: Annotated[str | None, typer.Option(help="Only this organisation and everything under it.")] = None,
    state: Annotated[str | None, typer.Option(help="Only candidates in this state.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List candidates with their current state."""
    with open_flow(ctx) as flow:
        records = flow.candidates(org_id=org, state=state)
    render.emit_json([r.as_dict() for r in records]) if as_json else render.candidates(records)


# ---------------------------------------------------------------- events


@app.command()
@handled
def fire(
    ctx: typer.Context,
    candidate_id: Annotated[str, typer.Argument(metavar="CANDIDATE")],
    trigger: Annotated[str, typer.Argument()],
    on: Annotated[str | None, typer.Option(help="Date on the paper (default: today in the configured zone).")] = None,
    actor: Annotated[str, typer.Option(help="Who records the event.")] = "cli",
    role: Annotated[str | None, typer.Option(help="Role the actor acts in (e.g. cell).")] = None,
    data: Annotated[list[str] | None, typer.Option(help="KEY=VALUE payload (repeatable).")] = None,
    votes: Annotated[str | None, typer.Option(help="IN_FAVOUR/ELIGIBLE, e.g. 6/9.")] = None,
    document: Annotated[
        list[str] | None, typer.Option(help="KIND or kind=KIND,on=DATE,ref=REF,key=value (repeatable).")
    ] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="Replaying the same key changes nothing.")] = None,
    expected_version: Annotated[
        int | None, typer.Option(help="Refuse unless the candidate is at this version.")
    ] = None,
    acting_org: Annotated[str | None, typer.Option(help="Organisation on whose behalf the event is recorded.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fire an event; refused events print every reason (exit 4)."""
    with open_flow(ctx) as flow:
        occurred_on = flow.today() if on is None else parse.parse_date(on)
        result = flow.fire(
            candidate_id,
            trigger,
            on=occurred_on,
            actor=actor,
            role=role,
            data=parse.parse_pairs(data, "--data"),
            votes=parse.parse_votes(votes),
            documents=[parse.parse_document(d, occurred_on) for d in document or []],
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            acting_org=acting_org,
        )
    render.emit_json(result.as_dict()) if as_json else render.fired(result)


@app.command()
@handled
def options(
    ctx: typer.Context,
    candidate_id: Annotated[str, typer.Argument(metavar="CANDIDATE")],
    on: Annotated[str | None, typer.Option(help="Evaluate as of this paper date.")] = None,
    role: Annotated[str | None, typer.Option(help="Evaluate for this role.")] = None,
    votes: Annotated[str | None, typer.Option(help="Assume this vote, e.g. 6/9.")] = None,
    acting_org: Annotated[str | None, typer.Option(help="Evaluate on behalf of this organisation.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List every trigger from the current state: allowed, or every reason why not."""
    with open_flow(ctx) as flow:
        records = flow.options(
            candidate_id,
            on=None if on is None else parse.parse_date(on),
            role=role,
            votes=parse.parse_votes(votes),
            acting_org=acting_org,
        )
    render.emit_json([r.as_dict() for r in records]) if as_json else render.options(records)


@app.command()
@handled
def history(
    ctx: typer.Context, candidate_id: Annotated[str, typer.Argument(metavar="CANDIDATE")], as_json: JsonOpt = False
) -> None:
    """The audit trail of a candidate, oldest first."""
    with open_flow(ctx) as flow:
        records = flow.history(candidate_id)
    render.emit_json([r.as_dict() for r in records]) if as_json else render.history(records)


@app.command()
@handled
def demo(
    ctx: typer.Context,
    database: Annotated[Path, typer.Option(help="SQLite file to (re)create for the demo.")] = Path("var/demo.db"),
) -> None:
    """Build a sample organisation tree and cohort, drive them through the procedure, print a summary."""
    from admission_flow.cli.demo import run_demo

    run_demo(database, workflows_dir=(ctx.obj or {}).get("workflows_dir"))


def main() -> None:
    try:
        app()
    except WorkflowDefinitionError as exc:  # raised before a command's own handler could run
        render.error(exc, as_json=False)
        raise SystemExit(exc.exit_code) from None


__all__ = ["app", "main"]
