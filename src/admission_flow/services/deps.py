"""What every use case runs with: the database port, the catalog, the calendar, the clock and the policy.

Built once by the composition root (``bootstrap.py``); the catalog, calendar and notifier are loaded on first
use, so a command that needs none of them (``db upgrade``) never reads the workflow folder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from admission_flow.calendar import WorkingCalendar
from admission_flow.clock import Clock
from admission_flow.domain.stored import Instance
from admission_flow.engine.catalog import Catalog
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.engine.timing import TimeRules
from admission_flow.errors import WorkflowChanged
from admission_flow.notify import Notifier
from admission_flow.notify.render import Renderer
from admission_flow.ports import Database
from admission_flow.workflow.limits import DEFAULT_LIMITS, LoaderLimits


@dataclass(frozen=True)
class Policy:
    """Settings the use cases act on (from ``Settings``)."""

    zone: ZoneInfo
    reminder_time: time
    sweep_batch: int
    sender: str
    max_attempts: int
    backoff: timedelta
    lease: timedelta
    sweep_lease: timedelta = timedelta(seconds=30)
    sweep_rounds: int = 10
    delivery_batch: int = 100
    import_workers: int = 0  # processes that check an import's rows; 0: one per core (services/import_workers.py)
    loader_limits: LoaderLimits = DEFAULT_LIMITS
    upload_max_bytes: int = 1024 * 1024
    upload_max_entries: Mapping[str, int] = field(default_factory=lambda: {"states": 200, "transitions": 1000})


@dataclass
class Deps:
    db: Database
    catalog_of: Callable[[], Catalog]
    calendar_of: Callable[[], WorkingCalendar]
    clock: Clock
    policy: Policy
    renderer: Renderer
    notifier_of: Callable[[], Notifier]
    holder: str  # who this process is, for leases: host:pid:id
    _rules: TimeRules | None = field(default=None, repr=False)

    @property
    def catalog(self) -> Catalog:
        return self.catalog_of()

    def today(self) -> date:
        return self.clock.now().astimezone(self.policy.zone).date()

    def rules(self) -> TimeRules:
        """The time zone, reminder hour and working calendar deadlines are projected with."""
        if self._rules is None:
            self._rules = TimeRules(self.policy.zone, self.policy.reminder_time, self.calendar_of())
        return self._rules

    def pinned(self, inst: Instance) -> CompiledWorkflow:
        """The workflow version the instance started on, refusing one whose content changed since."""
        wf = self.catalog_of().get(inst.workflow_id, inst.workflow_version)
        if wf.content_hash != inst.workflow_hash:
            raise WorkflowChanged(wf.key, inst.workflow_hash, wf.content_hash)
        return wf
