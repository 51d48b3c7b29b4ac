"""Dry runs: one hypothetical candidate on a sandbox database with a manual clock.

Administrators check a workflow (or a variant) before going live: the timeline lists each event, each
reminder and escalation the sweep would send (to whom), and each automatic event, in date order. The sandbox
(an in-memory database, the sample organisation tree, a clock that moves only when told) is built by the
facade (``AdmissionFlow.simulate``); this module drives it through the same use cases as real work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from admission_flow.clock import ManualClock
from admission_flow.domain.inputs import EventInput, NewCandidate, NewOrg
from admission_flow.domain.records import TimelineEntry
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.engine.context import ancestry_facts
from admission_flow.engine.machine import CompiledWorkflow, Route
from admission_flow.errors import InvalidInput
from admission_flow.guards.authority import competent_org
from admission_flow.samples import (
    HAPPY_PATH,
    POWER_OF,
    SAMPLE_ORGS,
    sample_contacts,
    sample_personal_id,
    step_applies,
    youth_union_introduces,
)
from admission_flow.services import candidates, delivery, events, listings, orgs, sweep
from admission_flow.services.deps import Deps

CANDIDATE = "sim"
DEFAULT_GAP = 7


@dataclass(frozen=True)
class Step:
    trigger: str
    days: int


def parse_path(items: list[str]) -> list[Step]:
    """``hold_ceremony`` or ``hold_ceremony+12`` (days after the previous step)."""
    steps = []
    for item in items:
        name, _, days = item.partition("+")
        try:
            gap = int(days) if days else DEFAULT_GAP
        except ValueError:
            raise InvalidInput(f"path step {item!r}: the days after '+' must be a whole number") from None
        steps.append(Step(name.strip(), gap))
    return steps


def default_path(youth_union: bool = False) -> list[Step]:
    """The standard happy path, without the steps the timers fire on their own. ``youth_union``: the Youth Union
    and one full member introduce the candidate (samples.youth_union_introduces), else two full members."""
    return [Step(s.trigger, s.days) for s in HAPPY_PATH if s.role != "system" and step_applies(s, youth_union)]


class NoMail:
    """The sandbox's notifier: a dry run sends nothing."""

    def send(self, mail: object) -> None:
        return None


class Simulation:
    def __init__(
        self, deps: Deps, clock: ManualClock, workflow: str, start: date, birth_date: date, org_id: str
    ) -> None:
        self.deps = deps
        self.clock = clock
        self.zone = deps.policy.zone
        for org in SAMPLE_ORGS:
            orgs.add_org(deps, NewOrg.model_validate({**org, "contacts": sample_contacts(org)}))
        self.wf: CompiledWorkflow = deps.catalog.resolve_on(workflow, start)
        person = NewCandidate(
            id=CANDIDATE,
            full_name="Nguyễn Văn Mẫu",
            org_id=org_id,
            birth_date=birth_date,
            education="university",
            email="nguyenvanmau@example.vn",
            youth_union_member=True,
            personal_id=sample_personal_id(birth_date, None, 1) if 1900 <= birth_date.year < 2100 else None,
        )
        candidates.enroll(deps, person, self.wf.key, on=start)
        org_has_youth_union = any(o["id"] == org_id and o.get("has_youth_union") for o in SAMPLE_ORGS)
        self.youth_union = youth_union_introduces(
            birth_date, start, youth_union_member=True, org_has_youth_union=org_has_youth_union
        )
        self.org_id = org_id
        self.timeline: list[TimelineEntry] = []
        self._seen_outbox = 0
        self._seen_seq = 1

    def run(self, steps: list[Step], horizon_days: int = 120) -> list[TimelineEntry]:
        unknown = [s.trigger for s in steps if s.trigger not in self.wf.triggers]
        if unknown:
            raise InvalidInput(f"{self.wf.key} has no trigger(s) {', '.join(unknown)}")
        on = self._today()
        for step in steps:
            on = on + timedelta(days=step.days)
            self._advance_to(datetime.combine(on, time(9, 0), tzinfo=self.zone))
            route = self._wait_for(step.trigger)
            if route is None:
                continue  # never available (e.g. a branch this organisation does not take)
            on = max(on, self._today())
            self._fire(step.trigger, route, on)
            self._collect()
        self._advance_to(self.clock.now() + timedelta(days=horizon_days))
        return self.timeline

    def _today(self) -> date:
        return self.clock.now().astimezone(self.zone).date()

    def _fire(self, trigger: str, route: Route, on: date) -> None:
        documents, data, votes = _inputs(self.wf, route, on)
        power = POWER_OF.get(trigger)
        event = EventInput(
            occurred_on=on,
            actor="simulation",
            role=route.spec.roles[0] if route.spec.roles else None,
            data=data,
            documents=tuple(documents),
            votes=votes,
            acting_org=self._competent(power) if power else None,
        )
        events.fire(self.deps, CANDIDATE, trigger, event)

    def _competent(self, power: str) -> str | None:
        with self.deps.db.transaction(readonly=True) as uow:
            chain = ancestry_facts(uow.orgs.ancestry(self.org_id))
        found = competent_org(chain, power)
        return None if found is None else found.id

    def _wait_for(self, trigger: str) -> Route | None:
        """The route for ``trigger`` now, or after the timers' automatic events (e.g. probation ending)."""
        while True:
            route = self._route(candidates.get_candidate(self.deps, CANDIDATE).state, trigger)
            if route is not None:
                return route
            upcoming = listings.upcoming(self.deps, timedelta(days=3660), include_due=True)
            automatic = [r.fire_at for r in upcoming if r.action.startswith("fire")]
            if not automatic:
                return None
            self._advance_to(min(automatic))

    def _route(self, state: str, trigger: str) -> Route | None:
        routes = self.wf.routes.get((state, trigger))
        return routes[0] if routes else None

    def _advance_to(self, target: datetime) -> None:
        """Jump from one due timer to the next until ``target``, sweeping at each."""
        while True:
            pending = listings.upcoming(self.deps, target - self.clock.now(), include_due=True)
            due = [r.fire_at for r in pending if r.fire_at <= target]
            if not due:
                break
            self.clock.set(max(min(due), self.clock.now()))
            sweep.sweep(self.deps)
            delivery.deliver(self.deps, self.clock.now(), limit=10_000)  # renders the messages; sends nothing
            self._collect()
        if target > self.clock.now():
            self.clock.set(target)

    def _collect(self) -> None:
        now = self.clock.now()
        history = events.history(self.deps, CANDIDATE)
        for e in history[self._seen_seq :]:
            kind = "automatic" if e.actor.startswith("timer:") else "event"
            self.timeline.append(TimelineEntry(now, e.occurred_on, kind, e.trigger, e.to_state, e.actor))
        self._seen_seq = len(history)
        messages = sorted(listings.outbox(self.deps, failed_only=False, limit=10_000), key=lambda m: m.id)
        for m in messages[self._seen_outbox :]:
            people = ", ".join(r["email"] for r in m.recipients) or "nobody"
            state = candidates.get_candidate(self.deps, CANDIDATE).state
            detail = f"to {people}" + (f" ({m.last_error})" if m.last_error else "")
            self.timeline.append(
                TimelineEntry(now, now.astimezone(self.zone).date(), "message", m.subject, state, detail)
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
            attributes = {"introducer": name, "full_member": True, "together_since": since.isoformat()}
            documents.append(DocumentRecord("introduction", on, f"SIM/{name}", attributes))
    data: dict[str, object] = {}
    for guard in route.guards:
        for key in getattr(guard.params, "keys", []) if guard.name == "data_present" else []:
            data[key] = 10 if key == "extend_by" else "simulated"
    votes = Votes(9, 10) if "vote_ratio" in guard_names else None
    return [d for d in documents if d.kind in wf.spec.documents], data, votes
