"""``AdmissionFlow``: the facade embedders use, and the composition root that wires the parts together."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from admission_flow.calendar import WorkingCalendar, load_calendar
from admission_flow.clock import Clock, SystemClock
from admission_flow.domain.inputs import EventInput, NewCandidate, NewOrg, check_lengths, json_safe, validated
from admission_flow.domain.records import (
    CandidateRecord,
    DeadlineRecord,
    DeliveryReport,
    EventRecord,
    FireResult,
    Option,
    OrgRecord,
    OutboxRecord,
    ReminderRecord,
    SweepReport,
)
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.engine.catalog import Catalog
from admission_flow.errors import ConfigurationError
from admission_flow.guards import GuardParams, GuardRegistry, NoParams, default_registry
from admission_flow.guards.base import GuardCheck, P
from admission_flow.notify import Notifier
from admission_flow.notify.render import Renderer
from admission_flow.notify.smtp import SmtpNotifier
from admission_flow.reports import TimeReports
from admission_flow.service import AdmissionService
from admission_flow.settings import Settings, load_settings
from admission_flow.store.engine import build_engine
from admission_flow.store.repository import InstanceRow, Store, Tx
from admission_flow.timekeeper import Policy, Timekeeper

log = logging.getLogger("admission_flow")


class AdmissionFlow:
    """Start candidates, fire events, ask what can happen next and why not, read history.

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
        self.clock: Clock = clock or SystemClock()
        self.guards = guards or default_registry()
        self.store = Store(build_engine(settings.database_url))
        self.renderer = Renderer(settings.templates_dir)
        self._catalog: Catalog | None = None
        self._calendar: WorkingCalendar | None = None
        self._notifier = notifier
        self.service = AdmissionService(self.store, self._get_catalog, self.clock, settings.timezone)
        self.timekeeper = Timekeeper(
            self.store,
            self._get_catalog,
            self._get_calendar,
            self.clock,
            self.renderer,
            self._get_notifier,
            Policy(
                zone=ZoneInfo(settings.timezone),
                reminder_time=settings.reminder_time,
                sweep_batch=settings.sweep_batch,
                sender=settings.smtp_sender,
                max_attempts=settings.delivery_max_attempts,
                backoff=timedelta(seconds=settings.delivery_backoff_seconds),
                lease=timedelta(seconds=settings.delivery_lease_seconds),
            ),
        )
        self.service.timekeeper = self.timekeeper
        self.service.calendar = self._get_calendar

    @classmethod
    def from_settings(cls, *, clock: Clock | None = None, **overrides: Any) -> AdmissionFlow:
        """Read ``config/admission_flow.toml`` and ``ADMISSION_FLOW_*``; keyword arguments win over both."""
        try:
            settings = load_settings(**overrides)
        except ValidationError as exc:
            raise ConfigurationError(str(exc)) from None
        return cls(settings, clock=clock)

    # ---------------------------------------------------------------- set-up

    def upgrade_database(self) -> None:
        """Create or upgrade the tables (Alembic, to the newest revision)."""
        from admission_flow.store import migrate  # Alembic is only needed here

        migrate.upgrade(self.store.engine)

    def register_guard(
        self,
        name: str,
        check: GuardCheck[P],
        params: type[P] = NoParams,  # type: ignore[assignment]
        description: str = "",
        *,
        replace: bool = False,
    ) -> None:
        """Add a guard that workflows can name (``replace=True`` overrides a built-in). Workflows are
        (re)validated on next use."""
        try:
            self.guards.register(name, check, params, description, replace=replace)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        self._catalog = None

    @property
    def catalog(self) -> Catalog:
        return self._get_catalog()

    def _get_catalog(self) -> Catalog:
        if self._catalog is None:
            folder = Path(self.settings.workflows_dir)
            self._catalog = Catalog.from_folder(folder, self.guards, self.renderer.names())
        return self._catalog

    @property
    def calendar(self) -> WorkingCalendar:
        return self._get_calendar()

    def _get_calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            path = Path(self.settings.calendar_file)
            if not path.exists():
                if "calendar_file" in self.settings.model_fields_set:  # named on purpose: a typo must not pass
                    raise ConfigurationError(f"calendar_file {path}: no such file")
                log.warning(
                    "no calendar overrides at %s (relative to %s): working days come from the holidays package alone",
                    path,
                    Path.cwd(),
                )
            self._calendar = load_calendar(path)
        return self._calendar

    def _get_notifier(self) -> Notifier:
        if self._notifier is None:
            s = self.settings
            self._notifier = SmtpNotifier(
                s.smtp_host,
                s.smtp_port,
                security=s.smtp_security,
                username=s.smtp_username,
                password=s.smtp_password,
                timeout=s.smtp_timeout_seconds,
            )
        return self._notifier

    def close(self) -> None:
        self.store.dispose()

    def __enter__(self) -> AdmissionFlow:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---------------------------------------------------------------- organisations and candidates

    def add_org(self, **values: Any) -> OrgRecord:
        return self.service.add_org(validated(NewOrg, values))

    def orgs(self) -> list[OrgRecord]:
        return self.service.list_orgs()

    def add_candidate(self, *, workflow: str | None = None, on: date | None = None, **values: Any) -> CandidateRecord:
        """Register a person and start them on ``workflow`` (default: settings.default_workflow).

        ``on`` is the paper date of the sourcing plan entry (default: today), for histories typed in from paper.
        """
        if "attributes" in values:
            values["attributes"] = json_safe(dict(values["attributes"] or {}), "attributes")
        candidate = validated(NewCandidate, values)
        return self.service.enroll(candidate, workflow or self.settings.default_workflow, on=on)

    def candidate(self, candidate_id: str) -> CandidateRecord:
        return self.service.get_candidate(candidate_id)

    def candidates(self, *, org_id: str | None = None, state: str | None = None) -> list[CandidateRecord]:
        return self.service.list_candidates(org_id=org_id, state=state)

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
    ) -> FireResult:
        """Apply ``trigger`` in one transaction, or raise ``TransitionRefused`` with every reason."""
        check_lengths(actor, role, idempotency_key)
        event = EventInput(
            occurred_on=on,
            actor=actor,
            role=role,
            data=json_safe(dict(data or {}), "data"),
            documents=tuple(documents),
            votes=votes,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            acting_org=acting_org,
        )
        return self.service.fire(candidate_id, trigger, event)

    def options(
        self,
        candidate_id: str,
        *,
        on: date | None = None,
        role: str | None = None,
        votes: Votes | None = None,
        data: Mapping[str, Any] | None = None,
        acting_org: str | None = None,
    ) -> list[Option]:
        """Each trigger from the current state: allowed or not, and every reason why not."""
        event = EventInput(occurred_on=on, role=role, votes=votes, data=dict(data or {}), acting_org=acting_org)
        return self.service.options(candidate_id, event)

    def history(self, candidate_id: str) -> list[EventRecord]:
        return self.service.history(candidate_id)

    # ---------------------------------------------------------------- durable time

    def sweep(self, now: datetime | None = None) -> SweepReport:
        """Turn every due timer into an outbox message or an automatic event (batches, one transaction each)."""
        return self.timekeeper.sweep(self._auto_fire, now)

    def deliver(self, now: datetime | None = None, limit: int = 100) -> DeliveryReport:
        """Send due outbox messages; failures are recorded and retried with exponential backoff."""
        return self.timekeeper.deliver(now, limit)

    def _auto_fire(self, tx: Tx, inst: InstanceRow, trigger: str, on: date, actor: str) -> int:
        event = EventInput(occurred_on=on, actor=actor, role="system")
        return self.service.apply_event(tx, inst, trigger, event, on).event_id

    def deadlines(self, *, overdue: bool = False, org_id: str | None = None) -> list[DeadlineRecord]:
        return self.reports.deadlines(overdue=overdue, org_id=org_id)

    def upcoming_reminders(self, within: timedelta) -> list[ReminderRecord]:
        return self.reports.upcoming(within)

    def outbox(self, *, failed_only: bool = False, limit: int = 100) -> list[OutboxRecord]:
        return self.reports.outbox(failed_only=failed_only, limit=limit)

    def retry_outbox(self, message_ids: Iterable[int] = ()) -> int:
        """Give dead messages another round of attempts (all of them, or those listed)."""
        return self.reports.retry(list(message_ids))

    def retry_timers(self, candidate_id: str | None = None) -> int:
        """Set failed deadline and reminder rows (all of them, or one candidate's) to be acted on again by the
        next sweep: after the workflow file a candidate is pinned to was restored, or the data an automatic
        event lacked was fixed. A cause still there fails them again, with the reason."""
        return self.reports.retry_timers(candidate_id)

    @property
    def reports(self) -> TimeReports:
        return TimeReports(self)


__all__ = ["AdmissionFlow", "DocumentRecord", "GuardParams", "Votes"]
