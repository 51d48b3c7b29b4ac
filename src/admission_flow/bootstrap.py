"""The composition root: settings (and optional clock, guards, notifier) in, wired use-case dependencies out.

The only place that chooses implementations: the SQLAlchemy store for the database port, the workflow catalog
from ``workflows_dir``, the working calendar from ``calendar_file``, SMTP for e-mail. Catalog, calendar and
notifier load on first use. ``AdmissionFlow`` (the facade) and the CLI's ``validate`` both build through here.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from admission_flow.calendar import WorkingCalendar, load_calendar
from admission_flow.clock import Clock, SystemClock
from admission_flow.engine.catalog import Catalog
from admission_flow.errors import ConfigurationError, Problem, WorkflowDefinitionError
from admission_flow.guards import GuardRegistry, default_registry
from admission_flow.notify import Notifier
from admission_flow.notify.render import Renderer
from admission_flow.notify.smtp import SmtpNotifier
from admission_flow.services.deps import Deps, Policy
from admission_flow.settings import Settings
from admission_flow.workflow.limits import DEFAULT_LIMITS, LoaderLimits

if TYPE_CHECKING:
    from admission_flow.store.unit_of_work import Store

log = logging.getLogger("admission_flow")


def loader_limits(settings: Settings) -> LoaderLimits:
    return LoaderLimits(
        max_depth=settings.workflow_max_depth,
        max_nodes=settings.workflow_max_nodes,
        max_number_chars=settings.workflow_max_number_chars,
        max_file_bytes=settings.workflow_max_file_bytes,
    )


def policy_of(settings: Settings) -> Policy:
    return Policy(
        loader_limits=loader_limits(settings),
        upload_max_bytes=settings.upload_max_bytes,
        upload_max_entries={"states": settings.upload_max_states, "transitions": settings.upload_max_transitions},
        zone=ZoneInfo(settings.timezone),
        reminder_time=settings.reminder_time,
        sweep_batch=settings.sweep_batch,
        sender=settings.smtp_sender,
        max_attempts=settings.delivery_max_attempts,
        backoff=timedelta(seconds=settings.delivery_backoff_seconds),
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        sweep_lease=timedelta(seconds=settings.sweep_lease_seconds),
        sweep_rounds=settings.sweep_max_rounds,
        delivery_batch=settings.delivery_batch,
        import_workers=settings.import_workers,
    )


def validate_workflows(paths: list[Path], settings: Settings) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Each workflow under ``paths`` validated with the built-in guards and the templates that exist: one summary
    per version (key, hash, number of states), and every problem found."""
    renderer = Renderer(settings.templates_dir)
    keys: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            catalog = load_catalog(Path(path), default_registry(), renderer, limits=loader_limits(settings))
        except WorkflowDefinitionError as exc:
            problems.extend(exc.problems)
            continue
        keys += [{"workflow": wf.key, "hash": wf.content_hash, "states": len(wf.spec.states)} for wf in catalog]
    return keys, problems


def load_catalog(
    path: Path,
    guards: GuardRegistry,
    renderer: Renderer,
    *,
    skip_broken: bool = False,
    limits: LoaderLimits = DEFAULT_LIMITS,
) -> Catalog:
    """Every workflow under ``path`` (a folder or one file), validated together against the guards and the
    templates that exist. With ``skip_broken``, files with problems are left out with a warning naming each."""
    catalog = Catalog.from_path(path, guards, renderer.names(), skip_broken=skip_broken, limits=limits)
    for file, problems in catalog.skipped.items():
        log.warning(
            "workflow file %s left out: %d problem(s), the first %s (run `admission-flow validate`)",
            file,
            len(problems),
            problems[0],
        )
    return catalog


@dataclass
class Wiring:
    """The parts one ``AdmissionFlow`` runs on; files are read on first use and cached."""

    settings: Settings
    clock: Clock
    guards: GuardRegistry
    store: Store
    renderer: Renderer
    notifier: Notifier | None = None
    _catalog: Catalog | None = field(default=None, repr=False)
    _calendar: WorkingCalendar | None = field(default=None, repr=False)

    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = load_catalog(
                Path(self.settings.workflows_dir),
                self.guards,
                self.renderer,
                skip_broken=self.settings.skip_broken_workflows,
                limits=loader_limits(self.settings),
            )
        return self._catalog

    def forget_catalog(self) -> None:
        self._catalog = None

    def calendar(self) -> WorkingCalendar:
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

    def mailer(self) -> Notifier:
        if self.notifier is None:
            s = self.settings
            self.notifier = SmtpNotifier(
                s.smtp_host,
                s.smtp_port,
                security=s.smtp_security,
                username=s.smtp_username,
                password=s.smtp_password,
                timeout=s.smtp_timeout_seconds,
            )
        return self.notifier


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    guards: GuardRegistry | None = None,
    notifier: Notifier | None = None,
) -> tuple[Wiring, Deps]:
    # SQLAlchemy loads when the first flow is built, not when the package is imported (the CLI's --help).
    from admission_flow.store.engine import build_engine
    from admission_flow.store.unit_of_work import Store

    wiring = Wiring(
        settings=settings,
        clock=clock or SystemClock(),
        guards=guards or default_registry(),
        store=Store(build_engine(settings.database_url, must_exist=True)),
        renderer=Renderer(settings.templates_dir),
        notifier=notifier,
    )
    deps = Deps(
        db=wiring.store,
        catalog_of=wiring.catalog,
        calendar_of=wiring.calendar,
        clock=wiring.clock,
        policy=policy_of(settings),
        renderer=wiring.renderer,
        notifier_of=wiring.mailer,
        holder=f"{socket.gethostname()}:{os.getpid()}:{id(wiring):x}",
    )
    return wiring, deps
