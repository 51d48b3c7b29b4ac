"""``AdmissionFlow``: the one door of the package. Each method checks its input and makes one use-case call.

Adapters (the CLI, later the REST API and the dashboard) and embedders call only this class; the parts it runs
on are wired by ``bootstrap.build``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from admission_flow import bootstrap
from admission_flow.calendar import WorkingCalendar
from admission_flow.clock import Clock, ManualClock
from admission_flow.domain.inputs import (
    EventInput,
    NewCandidate,
    NewOrg,
    check_lengths,
    check_text,
    json_safe,
    papers,
    validated,
)
from admission_flow.domain.records import (
    CandidateRecord,
    DeadlineRecord,
    DeliveryReport,
    EventRecord,
    FireResult,
    MigrationItem,
    Option,
    OrgRecord,
    OutboxRecord,
    ReminderRecord,
    SweepReport,
    TimelineEntry,
)
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.engine.catalog import Catalog
from admission_flow.errors import ConfigurationError
from admission_flow.flow_access import AccessDoors
from admission_flow.flow_candidates import CandidateDoors
from admission_flow.flow_handover import HandoverDoors
from admission_flow.flow_imports import ImportDoors
from admission_flow.flow_orgs import OrgHistoryDoors
from admission_flow.flow_people import PeopleDoors
from admission_flow.flow_reports import ReportDoors
from admission_flow.flow_rules import RulesDoors
from admission_flow.flow_targets import TargetDoors
from admission_flow.flow_web import WebDoors
from admission_flow.flow_webhooks import WebhookDoors
from admission_flow.flow_workflows import WorkflowDoors
from admission_flow.guards import GuardParams, GuardRegistry, NoParams
from admission_flow.guards.base import GuardCheck, P
from admission_flow.notify import Notifier
from admission_flow.services import (
    candidates,
    delivery,
    events,
    listings,
    migration,
    orgs,
    simulation,
    sweep,
)
from admission_flow.settings import Settings, load_settings
from admission_flow.workflow.spec import WorkflowSpec


class AdmissionFlow(
    CandidateDoors,
    AccessDoors,
    WebhookDoors,
    WorkflowDoors,
    OrgHistoryDoors,
    PeopleDoors,
    TargetDoors,
    HandoverDoors,
    ImportDoors,
    ReportDoors,
    RulesDoors,
    WebDoors,
):
    """Start candidates, fire events, ask what can happen next and why not, read history, keep deadlines.

    Build it with :meth:`from_settings`; call :meth:`upgrade_database` once per database; close it when done.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        guards: GuardRegistry | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.settings = settings
        self._wiring, self._deps = bootstrap.build(settings, clock=clock, guards=guards, notifier=notifier)
        self.clock: Clock = self._wiring.clock
        self.guards = self._wiring.guards
        self.store = self._wiring.store  # for tests and benchmarks that inspect the database; not an API

    @classmethod
    def from_settings(cls, *, clock: Clock | None = None, **overrides: Any) -> AdmissionFlow:
        """Read ``config/admission_flow.toml`` and ``ADMISSION_FLOW_*``; keyword arguments win over both."""
        try:
            settings = load_settings(**overrides)
        except ValidationError as exc:
            raise ConfigurationError(str(exc)) from None
        return cls(settings, clock=clock)

    # ---------------------------------------------------------------- set-up

    def upgrade_database(self) -> str:
        """Create or upgrade the tables (Alembic, to the newest revision); returns the revision now current."""
        from admission_flow.store import migrate  # Alembic is only needed here

        migrate.upgrade(self.store.engine)
        return self.database_revision() or ""

    def database_shown(self) -> str:
        """The database URL to show a person, any password masked (``***``)."""
        return self.store.engine.url.render_as_string(hide_password=True)

    def database_revision(self) -> str | None:
        """The schema revision of the database (None before the first upgrade)."""
        from admission_flow.store import migrate

        return migrate.current_revision(self.store.engine)

    def schema_head(self) -> str | None:
        """The schema revision this version of the package needs (read from its migrations, not the database)."""
        from admission_flow.store import migrate

        return migrate.head_revision()

    def schema_revisions(self) -> tuple[str | None, str | None]:
        """The database's schema revision and the one this version of the package needs."""
        return self.database_revision(), self.schema_head()

    def register_guard(
        self,
        name: str,
        check: GuardCheck[P],
        params: type[P] = NoParams,  # type: ignore[assignment]
        description: str = "",
        *,
        replace: bool = False,
        needs_ancestry: bool = False,
    ) -> None:
        """Add a guard that workflows can name (``replace=True`` overrides a built-in; ``needs_ancestry=True`` if
        it reads ``ctx.org_ancestry()``). Workflows are (re)validated on next use."""
        try:
            self.guards.register(name, check, params, description, replace=replace, needs_ancestry=needs_ancestry)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        self._wiring.forget_catalog()

    @property
    def catalog(self) -> Catalog:
        """Every workflow version of ``workflows_dir``, validated and compiled (loaded on first use)."""
        return self._wiring.catalog()

    @property
    def calendar(self) -> WorkingCalendar:
        return self._wiring.calendar()

    def check_configuration(self) -> None:
        """Load the workflows and the calendar now (a worker fails at start, not at its first tick)."""
        self._wiring.catalog()
        self._wiring.calendar()

    def workflow(self, ref: str) -> WorkflowSpec:
        """A workflow version's definition by ``ID`` (the newest release) or ``ID@VERSION``."""
        return self.catalog.resolve(ref).spec

    @property
    def holder(self) -> str:
        """How this instance names itself in leases (``host:pid:id``): the sweep lease on SQLite."""
        return self._deps.holder

    def today(self) -> date:
        """Today in the configured time zone (the default paper date of an event)."""
        return self._deps.today()

    def close(self) -> None:
        self.store.dispose()

    def __enter__(self) -> AdmissionFlow:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---------------------------------------------------------------- organisations and candidates

    def add_org(self, **values: Any) -> OrgRecord:
        return orgs.add_org(self._deps, validated(NewOrg, values))

    # ``within``, on the methods that take it: answer only about that organisation's subtree (in SQL), as if
    # nothing outside it existed. Adapters pass the subtree their caller is bound to.

    def org(self, org_id: str, *, within: str | None = None) -> OrgRecord:
        return orgs.get_org(self._deps, org_id, within)

    def orgs(self, *, within: str | None = None) -> list[OrgRecord]:
        return orgs.list_orgs(self._deps, within)

    def org_subtree(self, org_id: str, *, within: str | None = None) -> list[OrgRecord]:
        return orgs.subtree(self._deps, org_id, within)

    def competent(self, candidate_id: str, *, within: str | None = None) -> list[dict[str, Any]]:
        """Who decides what can happen next: per trigger that needs a power, the organisation holding it."""
        return orgs.competent(self._deps, candidate_id, within)

    def add_candidate(
        self,
        *,
        workflow: str | None = None,
        on: date | None = None,
        within: str | None = None,
        actor: str = "system",
        token_id: int | None = None,
        **values: Any,
    ) -> CandidateRecord:
        """Register a person and start them on ``workflow`` (default: settings.default_workflow).

        ``on`` is the paper date of the sourcing plan entry (default: today), for histories typed in from paper.
        """
        check_lengths(actor=actor, role=None, idempotency_key=None)
        if "attributes" in values:
            values["attributes"] = json_safe(dict(values["attributes"] or {}), "attributes")
        candidate = validated(NewCandidate, values)
        workflow = workflow or self.settings.default_workflow
        return candidates.enroll(self._deps, candidate, workflow, on=on, within=within, actor=actor, token_id=token_id)

    def candidate(self, candidate_id: str, *, within: str | None = None) -> CandidateRecord:
        return candidates.get_candidate(self._deps, candidate_id, within)

    def candidates(self, *, org_id: str | None = None, state: str | None = None) -> list[CandidateRecord]:
        return candidates.list_candidates(self._deps, org_id=org_id, state=state)

    # ---------------------------------------------------------------- events

    def fire(
        self,
        candidate_id: str,
        trigger: str,
        *,
        on: date | None = None,
        actor: str = "system",
        role: str | None = None,
        data: Mapping[str, Any] | None = None,
        documents: Iterable[DocumentRecord] = (),
        votes: Votes | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        acting_org: str | None = None,
        within: str | None = None,
        token_id: int | None = None,
    ) -> FireResult:
        """Apply ``trigger`` in one transaction, or raise ``TransitionRefused`` with every reason."""
        check_lengths(actor=actor, role=role, idempotency_key=idempotency_key)
        check_text(actor=actor, role=role, idempotency_key=idempotency_key, acting_org=acting_org)
        event = EventInput(
            occurred_on=on,
            actor=actor,
            role=role,
            data=json_safe(dict(data or {}), "data"),
            documents=papers(documents),
            votes=votes,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            acting_org=acting_org,
            token_id=token_id,
        )
        return events.fire(self._deps, candidate_id, trigger, event, within)

    def options(
        self,
        candidate_id: str,
        *,
        on: date | None = None,
        role: str | None = None,
        votes: Votes | None = None,
        data: Mapping[str, Any] | None = None,
        documents: Iterable[DocumentRecord] = (),
        acting_org: str | None = None,
        within: str | None = None,
    ) -> list[Option]:
        """Each trigger from the current state: allowed or not, and every reason why not (judged with the papers,
        votes and data the event would carry, as :meth:`fire` would judge them)."""
        check_text(role=role, acting_org=acting_org)
        event = EventInput(
            occurred_on=on,
            role=role,
            votes=votes,
            data=json_safe(dict(data or {}), "data"),
            documents=papers(documents),
            acting_org=acting_org,
        )
        return events.options(self._deps, candidate_id, event, within)

    def history(self, candidate_id: str, *, within: str | None = None) -> list[EventRecord]:
        return events.history(self._deps, candidate_id, within)

    # ---------------------------------------------------------------- durable time

    def sweep(self, now: datetime | None = None) -> SweepReport:
        """Turn every due timer into an outbox message or an automatic event (batches, one transaction each),
        round after round while the sweep's own automatic events make more timers due (bounded)."""
        return sweep.sweep(self._deps, now)

    def deliver(self, now: datetime | None = None, limit: int | None = None) -> DeliveryReport:
        """Send every due outbox message (at most ``limit``, if given; ``remaining`` then counts the rest);
        failures are recorded and retried with exponential backoff."""
        return delivery.deliver(self._deps, now, limit)

    def deadlines(
        self,
        *,
        overdue: bool = False,
        org_id: str | None = None,
        within: str | None = None,
        candidate_id: str | None = None,
        upcoming_days: int | None = None,
    ) -> list[DeadlineRecord]:
        """Open deadlines, soonest first: of a subtree or one candidate; only overdue ones, or only those due
        within ``upcoming_days`` days."""
        return listings.deadlines(
            self._deps,
            overdue=overdue,
            org_id=org_id,
            within=within,
            candidate_id=candidate_id,
            upcoming_days=upcoming_days,
        )

    def upcoming_reminders(self, within: timedelta, *, include_due: bool = False) -> list[ReminderRecord]:
        """Reminders and due actions ahead, up to ``now + within``; those already due too with ``include_due``."""
        return listings.upcoming(self._deps, within, include_due=include_due)

    def outbox(self, *, failed_only: bool = False, limit: int = 100, within: str | None = None) -> list[OutboxRecord]:
        return listings.outbox(self._deps, failed_only=failed_only, limit=limit, within=within)

    def retry_outbox(self, message_ids: Iterable[int] = ()) -> int:
        """Give dead messages another round of attempts (all of them, or those listed)."""
        return listings.retry_outbox(self._deps, list(message_ids))

    def retry_timers(self, candidate_id: str | None = None) -> int:
        """Set failed deadline and reminder rows (all of them, or one candidate's) to be acted on again by the
        next sweep: after the workflow file a candidate is pinned to was restored, or the data an automatic
        event lacked was fixed. A cause still there fails them again, with the reason."""
        return listings.retry_timers(self._deps, candidate_id)

    # ---------------------------------------------------------------- workflow versions

    def migrate(
        self, from_ref: str, to_ref: str, *, org_id: str | None = None, dry_run: bool = True, actor: str = "migration"
    ) -> list[MigrationItem]:
        """Move running candidates from one workflow version to another (a report first: ``dry_run``)."""
        return migration.migrate(self._deps, from_ref, to_ref, org_id=org_id, dry_run=dry_run, actor=actor)

    def simulate(
        self,
        workflow: str,
        start: date,
        *,
        path: list[simulation.Step] | None = None,
        birth_date: date = date(1998, 5, 17),
        org_id: str = "ks.anmy.ap1",
    ) -> list[TimelineEntry]:
        """Dry-run one hypothetical candidate on ``workflow`` from ``start``, in a sandbox (an in-memory
        database, the sample organisation tree, a manual clock): every event, message and automatic event."""
        clock = ManualClock(datetime.combine(start, time(9, 0), tzinfo=ZoneInfo(self.settings.timezone)))
        settings = self.settings.model_copy(update={"database_url": "sqlite://"})
        with AdmissionFlow(settings, clock=clock, guards=self.guards, notifier=simulation.NoMail()) as sandbox:
            sandbox.upgrade_database()
            run = simulation.Simulation(sandbox._deps, clock, workflow, start, birth_date, org_id)
            return run.run(path or simulation.default_path(run.youth_union))


__all__ = ["AdmissionFlow", "DocumentRecord", "GuardParams", "Votes"]
