"""One sweep's plans and caches: what a due row does, and the outbox row of a reminder.

The plan per (pinned workflow, deadline, rung) is computed once per sweep; organisation ancestries and role
contacts once per organisation; the JSON of the context parts every candidate of an organisation shares once per
plan and organisation. So each due reminder costs one small JSON encoding (``bench/sweep.py`` measures it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from json.encoder import encode_basestring_ascii as _str  # a str as a JSON string literal (json.dumps' own)
from typing import Any

from admission_flow.domain.helper import helper_contact
from admission_flow.domain.recipients import collect_recipients, role_contacts
from admission_flow.domain.records import OrgRecord
from admission_flow.domain.stored import DEAD, PENDING, Claimed
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.errors import NotFound, WorkflowChanged
from admission_flow.ports import UnitOfWork
from admission_flow.services.deps import Deps
from admission_flow.workflow.deadlines import DUE_RUNG
from admission_flow.workflow.spec import DeadlineSpec


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one plan per key and sweep
class RungPlan:
    """What a due timer row does: send ``template`` to ``roles``, fire ``fire``, or nothing; and its outcome."""

    deadline: DeadlineSpec
    roles: tuple[str, ...]
    template: str | None
    fire: str | None
    outcome: str
    head_json: str  # the context every candidate shares, as a JSON object without its closing brace


@dataclass(frozen=True)
class Unrunnable:
    """Why a due row cannot be acted on (its workflow file changed or lost the deadline); recorded as failed."""

    reason: str


def context_head(wf: CompiledWorkflow, state: str, deadline: DeadlineSpec) -> dict[str, Any]:
    """The template context that is the same for every candidate at this deadline."""
    label = wf.spec.states[state].label
    return {
        "state": {"vi": label.vi, "en": label.en},
        "deadline": {"id": deadline.id, "vi": deadline.label.vi, "en": deadline.label.en},
        "basis": None if deadline.basis is None else {"vi": deadline.basis.vi, "en": deadline.basis.en},
        "workflow": wf.key,
    }


def context(
    wf: CompiledWorkflow,
    state: str,
    deadline: DeadlineSpec,
    org: tuple[str, str],
    candidate: tuple[str, str],
    due_on: date,
    today: date,
    recipients: list[dict[str, str]],
) -> dict[str, Any]:
    """The whole context a reminder is rendered with (``due_on`` as a date; ``org`` and ``candidate`` as
    (id, name)). The sweep stores the same (``due_on`` as ISO text), assembled from cached parts."""
    return {
        **context_head(wf, state, deadline),
        "org": {"id": org[0], "name": org[1]},
        "candidate": {"id": candidate[0], "full_name": candidate[1]},
        "due_on": due_on,
        "days_left": (due_on - today).days,
        "recipient_names": ", ".join(r["name"] for r in recipients) or "đồng chí",
    }


def plan_rung(
    deps: Deps, workflow_id: str, version: str, content_hash: str, state: str, deadline_id: str, rung: int
) -> RungPlan | Unrunnable:
    """What a timer row does when due, in the workflow version its candidate is pinned to (or why it cannot)."""
    try:
        wf = deps.catalog.get(workflow_id, version)
    except NotFound as exc:
        return Unrunnable(str(exc))
    if wf.content_hash != content_hash:
        return Unrunnable(str(WorkflowChanged(wf.key, content_hash, wf.content_hash)))
    deadline = next((d for d in wf.spec.deadlines_of(state) if d.id == deadline_id), None)
    if deadline is None or rung > len(deadline.remind):
        return Unrunnable(f"deadline {deadline_id} rung {rung} is no longer in {wf.key}")
    head = json.dumps(context_head(wf, state, deadline))[:-1]
    if rung != DUE_RUNG:
        step = deadline.remind[rung - 1]
        return RungPlan(deadline, tuple(step.to), step.template, None, f"reminder {step.template}", head)
    action = deadline.on_due
    if action is None:
        return RungPlan(deadline, (), None, None, "due (no action configured)", head)
    if action.fire is not None:
        return RungPlan(deadline, (), None, action.fire, "", head)
    target = action.escalate or action.notify
    assert target is not None
    return RungPlan(deadline, tuple(target.to), target.template, None, f"sent {target.template}", head)


def people_json(people: list[dict[str, str]]) -> str:
    """The recipients as JSON, written out for the usual shape (each person a role, a name and an e-mail, all
    text; then the same characters as ``json.dumps``): a reminder to the candidate or the helper encodes its
    recipients once per row, and ``json.dumps`` costs several times this for a two-person list."""
    parts = []
    for p in people:
        if len(p) != 3:
            return json.dumps(people)
        role, name, email = p.get("role"), p.get("name"), p.get("email")
        if type(role) is not str or type(name) is not str or type(email) is not str:
            return json.dumps(people)
        parts.append(f'{{"role": {_str(role)}, "name": {_str(name)}, "email": {_str(email)}}}')
    return "[" + ", ".join(parts) + "]"


@dataclass(frozen=True)
class _Recipients:
    people: list[dict[str, str]]
    missing: list[str]
    names_json: str  # the template's recipient_names, as a JSON string
    people_json: str


@dataclass(frozen=True)
class _Audience:
    """What one reminder rung says the same to every candidate of one organisation."""

    context_head: str  # the shared context and the organisation, as JSON without the closing brace
    recipients: _Recipients | None  # None when the candidate is among them (then computed per row)


class SweepPlans:
    def __init__(self, deps: Deps, now: datetime) -> None:
        self.deps = deps
        self.domain = deps.policy.sender.rpartition("@")[2] or "localhost"
        self.today = now.astimezone(deps.policy.zone).date()
        self._plans: dict[tuple[Any, ...], RungPlan | Unrunnable] = {}
        self._ancestry: dict[str, list[OrgRecord]] = {}
        self._contacts: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._audiences: dict[tuple[RungPlan, str], _Audience] = {}
        self._batch: list[int] = []  # the instances of the batch being swept
        self._helpers: dict[int, list[dict[str, Any]]] | None = None  # their events naming a helper, read once

    def begin_batch(self, rows: list[Claimed]) -> None:
        """A new batch: who its candidates' helpers are is read (once, for all of them) when a reminder needs it."""
        self._batch, self._helpers = [row.instance_id for row in rows], None

    def ancestry(self, uow: UnitOfWork, org_id: str) -> list[OrgRecord]:
        found = self._ancestry.get(org_id)
        if found is None:
            found = self._ancestry[org_id] = uow.orgs.ancestry(org_id)
        return found

    def get(self, row: Claimed) -> RungPlan | Unrunnable:
        key = (row.workflow_id, row.workflow_version, row.workflow_hash, row.state, row.deadline_id, row.rung)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = plan_rung(self.deps, *key)
        return plan

    def contacts(self, uow: UnitOfWork, org_id: str, role: str) -> list[dict[str, str]]:
        key = (org_id, role)
        found = self._contacts.get(key)
        if found is None:
            found = self._contacts[key] = role_contacts(role, self.ancestry(uow, org_id))
        return found

    def message(self, uow: UnitOfWork, plan: RungPlan, row: Claimed) -> dict[str, Any]:
        """The outbox row of one reminder: what is the same for the candidate's organisation comes from the cache,
        the rest (the candidate, the due date, the days left) is encoded here and spliced on."""
        audience = self._audiences.get((plan, row.org_id))
        if audience is None:
            audience = self._audiences[(plan, row.org_id)] = self._audience(uow, plan, row.org_id)
        to = audience.recipients  # None when the candidate or the helper is a recipient: then it differs per row
        if to is None:
            to = self._recipients(uow, plan, row.org_id, row.full_name, row.email, row.instance_id)
        candidate = f'{{"id": {_str(row.candidate_id)}, "full_name": {_str(row.full_name)}}}'
        context_json = (
            f'{audience.context_head}, "candidate": {candidate}, "due_on": "{row.due_on.isoformat()}", '
            f'"days_left": {(row.due_on - self.today).days}, "recipient_names": {to.names_json}}}'
        )
        return {
            "timer_id": row.id,
            "instance_id": row.instance_id,
            "template": plan.template,
            "recipients": to.people_json,
            "context": context_json,
            "message_id": f"<timer-{row.id}.{row.instance_id}@{self.domain}>",
            "status": PENDING if to.people else DEAD,
            "last_error": f"no e-mail address for role(s): {', '.join(to.missing)}" if to.missing else None,
        }

    def _recipients(
        self,
        uow: UnitOfWork,
        plan: RungPlan,
        org_id: str,
        full_name: str,
        email: str | None,
        instance_id: int | None = None,
    ) -> _Recipients:
        def contacts(role: str) -> list[dict[str, str]]:
            if role == "helper" and instance_id is not None:
                # The helper named on the candidate's events (the latest naming wins); else the organisation's.
                if self._helpers is None:
                    self._helpers = uow.events.naming_helpers(self._batch or [instance_id])
                named = helper_contact(self._helpers.get(instance_id, ()))
                if named is not None:
                    return named
            return self.contacts(uow, org_id, role)

        people, missing = collect_recipients(plan.roles, full_name, email, contacts)
        names = ", ".join(p["name"] for p in people) or "đồng chí"
        return _Recipients(people, missing, _str(names), people_json(people))

    def _audience(self, uow: UnitOfWork, plan: RungPlan, org_id: str) -> _Audience:
        org = {"id": org_id, "name": self.ancestry(uow, org_id)[0].name}
        head = plan.head_json + ', "org": ' + json.dumps(org)
        per_row = "candidate" in plan.roles or "helper" in plan.roles
        fixed = None if per_row else self._recipients(uow, plan, org_id, "", None)
        return _Audience(head, fixed)
