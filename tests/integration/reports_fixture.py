"""A fast writer of report fixtures: thousands of candidates as the rows the engine writes, by direct inserts.

The rows are copied from a *template*: one candidate taken through the real ``flow.fire`` path
(``testing.scenario.drive``) from enrolment to full membership. Each fixture candidate gets the template's
``candidates``/``instances``/``events`` rows with its own ids, organisation and personal data, and every date
shifted so that the milestone it needs (``decide_admission`` by default) falls on the day asked. A path may stop
early (the candidate is still at that stage) or end in a different last step (rejected, struck off), whose row is
built like its predecessors. ``test_reports_seeds.py`` proves that candidates fired for real and fixture
candidates are counted alike. ``bench/reports.py`` copies the same template, expanding it in SQL for speed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select

from admission_flow.flow import AdmissionFlow
from admission_flow.store.schema import Candidate, Event, Instance, Target, TrainingClass, table

CANDIDATES, INSTANCES, EVENTS = table(Candidate), table(Instance), table(Event)
TARGETS, CLASSES = table(Target), table(TrainingClass)
TEMPLATE_ID = "template-candidate"
TEMPLATE_ORG = "ks.anmy.ap2"  # of the sample tree (testing.scenario.add_sample_orgs)


@dataclass(frozen=True)
class Template:
    """The rows the engine wrote for one candidate's whole path, dates as offsets from its first event."""

    workflow: dict[str, str]  # workflow_id, workflow_version, workflow_hash
    steps: tuple[dict[str, Any], ...]  # events rows without ids; "offset" (days) instead of occurred_on
    dates: dict[str, int]  # the instance's recorded dates, as offsets
    flags: tuple[str, ...]

    def offset_of(self, trigger: str) -> int:
        return next(s["offset"] for s in self.steps if s["trigger"] == trigger)

    def upto(self, trigger: str) -> int:
        """How many steps there are up to and including the first ``trigger``."""
        return next(i for i, s in enumerate(self.steps) if s["trigger"] == trigger) + 1


def record_template(flow: AdmissionFlow, start: date = date(2012, 1, 2)) -> Template:
    """Take one candidate of the sample tree through the standard path with ``flow.fire`` and read its rows."""
    from admission_flow.testing.scenario import drive

    flow.add_candidate(
        id=TEMPLATE_ID,
        org_id=TEMPLATE_ORG,
        full_name="Mẫu Văn Khuôn",
        birth_date=date(1985, 5, 15),
        education="university",
        workflow="standard@2021",
        on=start,
    )
    record = drive(flow, TEMPLATE_ID, start)
    assert record.state == "full_member", record.state
    with flow.store.engine.connect() as connection:
        instance = connection.execute(select(INSTANCES).where(INSTANCES.c.candidate_id == TEMPLATE_ID)).one()
        rows = connection.execute(
            select(EVENTS).where(EVENTS.c.instance_id == instance.id).order_by(EVENTS.c.seq)
        ).all()
    first: date = rows[0].occurred_on
    steps = []
    for r in rows:
        values = dict(r._mapping)
        for key in ("id", "instance_id", "idempotency_key", "recorded_at", "occurred_on"):
            values.pop(key)
        steps.append(values | {"offset": (r.occurred_on - first).days})
    dates = {k: (date.fromisoformat(v) - first).days for k, v in (instance.dates or {}).items()}
    workflow = {k: getattr(instance, k) for k in ("workflow_id", "workflow_version", "workflow_hash")}
    return Template(workflow, tuple(steps), dates, tuple(instance.flags or ()))


@dataclass
class Person:
    """One fixture candidate: who, where, and how far along the path on which dates."""

    org_id: str
    on: date  # the date of the ``anchor`` step
    anchor: str = "decide_admission"
    stop: str | None = None  # the last step taken (None: the whole path)
    ending: tuple[str, str] | None = None  # (trigger, to_state) of a different last step, after ``stop``
    ending_after: int = 30  # days after the last step taken
    values: dict[str, Any] = field(default_factory=dict)  # candidate columns (sex, religion, occupation...)


class Writer:
    """Inserts fixture candidates in batches (executemany); instance ids come back with RETURNING."""

    def __init__(self, flow: AdmissionFlow, template: Template, prefix: str = "fx") -> None:
        self.flow = flow
        self.template = template
        self.prefix = prefix
        self.count = 0
        self.now = flow.clock.now()

    def add(self, people: Iterable[Person], batch: int = 2000) -> int:
        chunk: list[Person] = []
        written = 0
        for person in people:
            chunk.append(person)
            if len(chunk) >= batch:
                written += self._write(chunk)
                chunk = []
        if chunk:
            written += self._write(chunk)
        return written

    def _path(self, p: Person) -> list[dict[str, Any]]:
        t = self.template
        shift = p.on - timedelta(days=t.offset_of(p.anchor))
        steps = list(t.steps[: t.upto(p.stop)] if p.stop else t.steps)
        rows = [s | {"occurred_on": shift + timedelta(days=s["offset"])} for s in steps]
        if p.ending is not None:
            trigger, to_state = p.ending
            last = rows[-1]
            rows.append(
                last
                | {
                    "trigger": trigger,
                    "from_state": last["to_state"],
                    "to_state": to_state,
                    "seq": last["seq"] + 1,
                    "occurred_on": last["occurred_on"] + timedelta(days=p.ending_after),
                    "payload": {},
                    "documents": [],
                    "votes": None,
                }
            )
        return rows

    def _write(self, people: Sequence[Person]) -> int:
        t = self.template
        candidates, instances, paths = [], [], []
        for p in people:
            self.count += 1
            cid = f"{self.prefix}-{self.count:07d}"
            path = self._path(p)
            first, last = path[0]["occurred_on"], path[-1]["occurred_on"]
            candidates.append(
                {
                    "id": cid,
                    "org_id": p.org_id,
                    "full_name": f"Người {self.count}",
                    "birth_date": date(1995, 5, 15),
                    "sex": "male",
                    "ethnicity": "Kinh",
                    "religion": None,
                    "education": "upper_secondary",
                    "remote_area": False,
                    "occupation": "farmer",
                    "youth_union_member": False,
                    "trade_union_member": False,
                    "email": None,
                    "attributes": {},
                    "created_at": self.now,
                    "manager": False,
                }
                | p.values
            )
            dates = {k: (first + timedelta(days=d)).isoformat() for k, d in t.dates.items()}
            instances.append(
                {
                    "candidate_id": cid,
                    "attempt": 1,
                    **t.workflow,
                    "state": path[-1]["to_state"],
                    "version": len(path),
                    "dates": {k: v for k, v in dates.items() if v <= last.isoformat()},
                    "flags": list(t.flags) if len(path) == len(t.steps) else [],
                    "documents": {},
                    "started_at": self.now,
                    "updated_at": self.now,
                    "state_epoch": sum(1 for s in path if s["from_state"] != s["to_state"]),
                    "state_entered_on": max(s["occurred_on"] for s in path if s["from_state"] != s["to_state"]),
                    "extensions": {},
                }
            )
            paths.append(path)
        with self.flow.store.engine.begin() as connection:
            connection.execute(insert(CANDIDATES), candidates)
            ids = connection.execute(
                insert(INSTANCES).returning(INSTANCES.c.id, sort_by_parameter_order=True), instances
            ).scalars()
            rows = [
                {k: v for k, v in step.items() if k != "offset"} | {"instance_id": iid, "recorded_at": self.now}
                for iid, path in zip(ids, paths, strict=True)
                for step in path
            ]
            connection.execute(insert(EVENTS), rows)
        return len(people)


def add_target(
    flow: AdmissionFlow, org_id: str, kind: str, starts: date, ends: date, admissions: int, plan: int | None = None
) -> None:
    with flow.store.engine.begin() as connection:
        connection.execute(
            insert(TARGETS).values(
                org_id=org_id,
                kind=kind,
                starts_on=starts,
                ends_on=ends,
                admissions=admissions,
                sourcing_plan=plan,
                recorded_at=flow.clock.now(),
            )
        )


def add_classes(flow: AdmissionFlow, org_id: str, kind: str, starts: Sequence[date], attendees: Sequence[int]) -> None:
    rows = [
        {
            "org_id": org_id,
            "kind": kind,
            "reference": f"{kind}-{org_id}-{i}-{on.isoformat()}",
            "starts_on": on,
            "ends_on": on + timedelta(days=5),
            "attendees": n,
            "recorded_at": flow.clock.now(),
        }
        for i, (on, n) in enumerate(zip(starts, attendees, strict=True))
    ]
    with flow.store.engine.begin() as connection:
        connection.execute(insert(CLASSES), rows)


def spread(n: int, first: date, last: date) -> list[date]:
    """``n`` dates spread evenly over [first, last]."""
    span = (last - first).days
    return [first + timedelta(days=(i * span) // max(n - 1, 1)) for i in range(n)]


__all__ = ["Person", "Template", "Writer", "add_classes", "add_target", "record_template", "spread"]
