"""Compile a workflow version into one shared ``transitions.Machine`` (the only importer of transitions).

The machine is built once per workflow version with ``model=None`` and ``auto_transitions=False``; no
candidate is ever attached to it for longer than one call, and no model stays registered: a short-lived
``_Subject`` is passed straight to the event (``Machine.events[trigger].trigger(subject)``), which avoids the
cost of ``add_model``/``remove_model`` (binding ~70 trigger methods per call) on the hot path.

Deciding *whether* an event may happen is ours: :meth:`CompiledWorkflow.plan` picks the route (the first
alternative whose ``when`` conditions pass) and evaluates **every** guard, so a refusal lists all reasons,
whereas transitions' own conditions stop at the first failure. The machine then performs the move; each
alternative's condition only accepts the route the plan chose, so both always agree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

from transitions import Machine, MachineError

from admission_flow.domain.values import reason
from admission_flow.errors import MachineFault, Reason
from admission_flow.guards.base import GuardContext, GuardDef, GuardParams, GuardRegistry
from admission_flow.workflow.checks import expand_sources, guard_params_context
from admission_flow.workflow.spec import GuardCall, TransitionSpec, WorkflowSpec


@dataclass(frozen=True)
class BoundGuard:
    definition: GuardDef[Any]
    params: GuardParams

    @property
    def name(self) -> str:
        return self.definition.name

    def evaluate(self, ctx: GuardContext) -> list[Reason]:
        return self.definition.evaluate(ctx, self.params)


@dataclass(frozen=True)
class Route:
    """One transition from one source state."""

    index: int
    spec: TransitionSpec
    source: str
    guards: tuple[BoundGuard, ...]
    when: tuple[BoundGuard, ...]

    @property
    def trigger(self) -> str:
        return self.spec.trigger

    @property
    def dest(self) -> str | None:
        return self.spec.dest


@dataclass
class Plan:
    """What firing ``trigger`` now would do: the chosen route (if any) and every reason it cannot."""

    trigger: str
    state: str
    route: Route | None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.route is not None and not self.reasons

    @property
    def dest(self) -> str:
        if self.route is None or self.route.dest is None:
            return self.state
        return self.route.dest


class _Subject:
    """The model handed to the shared machine for one event, then dropped."""

    __slots__ = ("route_index", "state")

    def __init__(self, state: str, route_index: int) -> None:
        self.state = state
        self.route_index = route_index


def _accepts(index: int) -> Any:
    def condition(event_data: Any) -> bool:
        return bool(event_data.model.route_index == index)

    return condition


class CompiledWorkflow:
    def __init__(self, spec: WorkflowSpec, content_hash: str, registry: GuardRegistry) -> None:
        self.spec = spec
        self.content_hash = content_hash
        self.routes: dict[tuple[str, str], tuple[Route, ...]] = {}
        self.triggers: frozenset[str] = frozenset(t.trigger for t in spec.transitions)
        self.document_validity = {k: d.valid_for for k, d in spec.documents.items() if d.valid_for is not None}
        self._triggers_from: dict[str, list[str]] = defaultdict(list)
        context = guard_params_context(spec)

        def bind(calls: list[GuardCall]) -> tuple[BoundGuard, ...]:
            bound = []
            for call in calls:
                definition = registry.get(call.name)
                assert definition is not None, "checked when the workflow was validated"
                bound.append(BoundGuard(definition, definition.params.model_validate(call.params, context=context)))
            return tuple(bound)

        self.machine = Machine(
            model=None,
            states=list(spec.states),
            initial=spec.initial,
            auto_transitions=False,
            send_event=True,
            name=spec.key,
        )
        grouped: dict[tuple[str, str], list[Route]] = defaultdict(list)
        for index, t in enumerate(spec.transitions):
            guards, when = bind(t.guards), bind(t.when)
            for source in expand_sources(spec, t.source):
                grouped[(source, t.trigger)].append(Route(index, t, source, guards, when))
                self.machine.add_transition(t.trigger, source, t.dest, conditions=[_accepts(index)])
                if t.trigger not in self._triggers_from[source]:
                    self._triggers_from[source].append(t.trigger)
        self.routes = {key: tuple(routes) for key, routes in grouped.items()}
        self._ancestry_readers = frozenset(
            key
            for key, routes in self.routes.items()
            if any(g.definition.needs_ancestry for r in routes for g in (*r.guards, *r.when))
        )
        self.transferring = frozenset(
            key for key, routes in self.routes.items() if any(r.spec.transfers for r in routes)
        )
        self.document_kinds = frozenset(spec.documents)

    @property
    def key(self) -> str:
        return self.spec.key

    def is_final(self, state: str) -> bool:
        return self.spec.states[state].final

    def needs_ancestry(self, state: str, trigger: str) -> bool:
        """Whether a guard of ``trigger`` from ``state`` reads the organisation ancestry."""
        return (state, trigger) in self._ancestry_readers

    def triggers_from(self, state: str) -> list[str]:
        return list(self._triggers_from.get(state, ()))

    def plan(self, state: str, trigger: str, ctx: GuardContext) -> Plan:
        routes = self.routes.get((state, trigger))
        if not routes:
            return Plan(trigger, state, None, [self._unavailable(state, trigger)])
        route = next((r for r in routes if all(not g.evaluate(ctx) for g in r.when)), None)
        if route is None:
            return Plan(trigger, state, None, [self._no_route(routes, ctx)])
        return Plan(trigger, state, route, self._check(route, ctx))

    def _check(self, route: Route, ctx: GuardContext) -> list[Reason]:
        reasons: list[Reason] = []
        allowed_roles = route.spec.roles
        if allowed_roles and ctx.role not in allowed_roles:
            reasons.append(
                reason(
                    "role_not_allowed",
                    "roles",
                    en=f"role {ctx.role!r} may not fire {route.trigger!r}; allowed: {', '.join(allowed_roles)}",
                    vi=f"Vai trò {ctx.role!r} không được thực hiện {route.trigger!r}; "
                    f"được phép: {', '.join(allowed_roles)}",
                    role=ctx.role,
                    allowed=list(allowed_roles),
                )
            )
        for kind in route.spec.requires_documents:
            if not ctx.documents.get(kind):
                doc = self.spec.documents[kind]
                form = f" ({doc.form})" if doc.form else ""
                reasons.append(
                    reason(
                        "document_missing",
                        "requires_documents",
                        en=f"missing document: {doc.label.en}{form}",
                        vi=f"Thiếu tài liệu: {doc.label.vi}{form}",
                        document=kind,
                        form=doc.form,
                    )
                )
        for guard in route.guards:
            reasons.extend(guard.evaluate(ctx))
        return reasons

    def _unavailable(self, state: str, trigger: str) -> Reason:
        if trigger not in self.triggers:
            # The closest triggers from this state first, then from the whole workflow.
            near = get_close_matches(trigger, self.triggers_from(state), n=3, cutoff=0.6) or get_close_matches(
                trigger, sorted(self.triggers), n=3, cutoff=0.6
            )
            hint_en = f"; did you mean {' or '.join(map(repr, near))}?" if near else ""
            hint_vi = f"; có phải là {' hoặc '.join(map(repr, near))}?" if near else ""
            return reason(
                "unknown_trigger",
                "workflow",
                en=f"workflow {self.key} has no trigger {trigger!r}{hint_en}",
                vi=f"Quy trình {self.key} không có sự kiện {trigger!r}{hint_vi}",
                trigger=trigger,
                suggestions=near,
            )
        label = self.spec.states[state].label
        return reason(
            "trigger_not_available",
            "workflow",
            en=f"{trigger!r} cannot happen in state {state!r} ({label.en})",
            vi=f"Không thể thực hiện {trigger!r} ở trạng thái {state!r} ({label.vi})",
            state=state,
            trigger=trigger,
            available=self.triggers_from(state),
        )

    def _no_route(self, routes: tuple[Route, ...], ctx: GuardContext) -> Reason:
        failed = [r.as_dict() for route in routes for g in route.when for r in g.evaluate(ctx)]
        return reason(
            "no_route_matches",
            "when",
            en="no alternative of this event applies to the candidate",
            vi="Không có nhánh nào của sự kiện này phù hợp với người vào Đảng",
            conditions=failed,
        )

    def apply(self, plan: Plan) -> str:
        """Move a subject through the shared machine along the planned route; returns the new state."""
        assert plan.route is not None and not plan.reasons, "only allowed plans are applied"
        if plan.route.dest is None:
            return plan.state  # an internal event records without moving: nothing for the machine to do
        subject = _Subject(plan.state, plan.route.index)
        try:
            moved = self.machine.events[plan.trigger].trigger(subject)
        except MachineError as exc:  # translated here, the only module that knows transitions
            raise MachineFault(f"workflow {self.key}: machine refused a planned route: {exc.value}") from exc
        if not moved:
            raise MachineFault(f"workflow {self.key}: machine did not take the planned route {plan.route.index}")
        return subject.state
