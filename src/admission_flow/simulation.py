"""Dry runs: one hypothetical candidate on an in-memory database with a manual clock.

Administrators check a workflow (or a variant) before going live: the timeline lists each event, each
reminder and escalation the sweep would send (to whom), and each automatic event, in date order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from admission_flow.domain.records import TimelineEntry
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.engine.machine import CompiledWorkflow, Route
from admission_flow.errors import InvalidInput
from admission_flow.settings import Settings
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import HAPPY_PATH, POWER_OF, SAMPLE_ORGS, competent_org_for, sample_contacts


@dataclass(frozen=True)
class Step:
    trigger: str
    days: int


DEFAULT_GAP = 7


def parse_path(items: list[str]) -> list[Step]:
    """``hold_ceremony`` or ``hold_ceremony+12`` (days after the previous step)."""
    steps = []
    for item in items:
        name, _, days = item.partition("+")
        steps.append(Step(name.strip(), int(days) if days else DEFAULT_GAP))
    return steps


def default_path() -> list[Step]:
    """The standard happy path, without the steps the timers fire on their own."""
    return [Step(s.trigger, s.days) for s in HAPPY_PATH if s.role != "system"]


class Simulation:
    def __init__(self, settings: Settings, workflow: str, start: date, birth_date: date, org_id: str) -> None:
        from admission_flow.flow import AdmissionFlow

        zone = ZoneInfo(settings.timezone)
        self.zone = zone
        self.clock = ManualClock(datetime.combine(start, time(9, 0), tzinfo=zone))
        sim_settings = settings.model_copy(update={"database_url": "sqlite://"})
        self.flow = AdmissionFlow(sim_settings, clock=self.clock, notifier=_NoMail())
        self.flow.upgrade_database()
        for org in SAMPLE_ORGS:
            self.flow.add_org(**org, contacts=sample_contacts(org))
        self.wf: CompiledWorkflow = self.flow.catalog.resolve(workflow)
        self.flow.add_candidate(
            id="sim",
            full_name="Nguyễn Văn Mẫu",
            org_id=org_id,
            birth_date=birth_date,
            education="university",
            email="nguyenvanmau@example.vn",
            youth_union_member=True,
            workflow=self.wf.key,
            on=start,
        )
        self.org_id = org_id
        self.timeline: list[TimelineEntry] = []
        self._seen_outbox = 0
        self._seen_seq = 1

    def run(self, steps: list[Step], horizon_days: int = 120) -> list[TimelineEntry]:
        unknown = [s.trigger for s in steps if s.trigger not in self.wf.triggers]
        if unknown:
            self.flow.close()
            raise InvalidInput(f"{self.wf.key} has no trigger(s) {', '.join(unknown)}")
        on = self.clock.now().astimezone(self.zone).date()
        for step in steps:
            on = on + timedelta(days=step.days)
            self._advance_to(datetime.combine(on, time(9, 0), tzinfo=self.zone))
            route = self._wait_for(step.trigger)
            if route is None:
                continue  # never available (e.g. a branch this organisation does not take)
            on = max(on, self.clock.now().astimezone(self.zone).date())
            documents, data, votes = _inputs(self.wf, route, on)
            role = route.spec.roles[0] if route.spec.roles else None
            power = POWER_OF.get(step.trigger)
            acting = competent_org_for(self.flow, self.org_id, power) if power else None
            self.flow.fire(
                "sim",
                step.trigger,
                on=on,
                role=role,
                actor="simulation",
                documents=documents,
                data=data,
                votes=votes,
                acting_org=acting,
            )
            self._collect()
        self._advance_to(self.clock.now() + timedelta(days=horizon_days))
        self.flow.close()
        return self.timeline

    def _wait_for(self, trigger: str) -> Route | None:
        """The route for ``trigger`` now, or after the timers' automatic events (e.g. probation ending)."""
        while True:
            route = self._route(self.flow.candidate("sim").state, trigger)
            if route is not None:
                return route
            automatic = [
                r.fire_at for r in self.flow.upcoming_reminders(timedelta(days=3660)) if r.action.startswith("fire")
            ]
            if not automatic:
                return None
            self._advance_to(min(automatic))

    def _route(self, state: str, trigger: str) -> Route | None:
        routes = self.wf.routes.get((state, trigger))
        return routes[0] if routes else None

    def _advance_to(self, target: datetime) -> None:
        """Jump from one due timer to the next until ``target``, sweeping at each."""
        while True:
            pending = self.flow.upcoming_reminders(target - self.clock.now())
            due = [r.fire_at for r in pending if r.fire_at <= target]
            if not due:
                break
            self.clock.set(max(min(due), self.clock.now()))
            self.flow.sweep()
            self.flow.deliver(self.clock.now(), limit=10_000)  # renders the messages (the dry run sends nothing)
            self._collect()
        if target > self.clock.now():
            self.clock.set(target)

    def _collect(self) -> None:
        now = self.clock.now()
        history = self.flow.history("sim")
        for e in history[self._seen_seq :]:
            kind = "automatic" if e.actor.startswith("timer:") else "event"
            self.timeline.append(TimelineEntry(now, e.occurred_on, kind, e.trigger, e.to_state, e.actor))
        self._seen_seq = len(history)
        messages = sorted(self.flow.outbox(limit=10_000), key=lambda m: m.id)
        for m in messages[self._seen_outbox :]:
            people = ", ".join(r["email"] for r in m.recipients) or "nobody"
            state = self.flow.candidate("sim").state
            self.timeline.append(
                TimelineEntry(
                    now,
                    now.astimezone(self.zone).date(),
                    "message",
                    m.subject,
                    state,
                    f"to {people}" + (f" ({m.last_error})" if m.last_error else ""),
                )
            )
        self._seen_outbox = len(messages)


def _inputs(
    wf: CompiledWorkflow, route: Route, on: date
) -> tuple[list[DocumentRecord], dict[str, object], Votes | None]:
    """Plausible papers, votes and data so that the route's guards can pass."""
    documents = [DocumentRecord(kind, on, f"SIM/{kind}") for kind in route.spec.requires_documents]
    guard_names = {g.name for g in route.guards}
    if "introducers_ok" in guard_names or route.trigger == "submit_introduction":
        since = on - timedelta(days=800)
        for name in ("Trần Văn Bình", "Lê Thị Cúc"):
            documents.append(
                DocumentRecord(
                    "introduction",
                    on,
                    f"SIM/{name}",
                    {"introducer": name, "full_member": True, "together_since": since.isoformat()},
                )
            )
    data: dict[str, object] = {}
    for guard in route.guards:
        for key in getattr(guard.params, "keys", []) if guard.name == "data_present" else []:
            data[key] = 10 if key == "extend_by" else "simulated"
    votes = Votes(9, 10) if "vote_ratio" in guard_names else None
    return [d for d in documents if d.kind in wf.spec.documents], data, votes


class _NoMail:
    def send(self, mail: object) -> None:  # a dry run sends nothing
        return None


def simulate(
    settings: Settings,
    workflow: str,
    start: date,
    *,
    path: list[Step] | None = None,
    birth_date: date = date(1998, 5, 17),
    org_id: str = "ks.anmy.ap1",
) -> list[TimelineEntry]:
    return Simulation(settings, workflow, start, birth_date, org_id).run(path or default_path())


__all__ = ["UTC", "Path", "Step", "TimelineEntry", "default_path", "parse_path", "simulate"]
