"""The dashboard's pages that read many candidates: My work and the two boards.

Each reads in SQL only the signed-in person's subtree (``within``): My work one page of rows, the boards
``GROUP BY`` counts per organisation, which are then added up per committee directly below the person's
organisation (the organisation tree is small; the candidates are never loaded into Python).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from admission_flow.domain.records import OrgRecord
from admission_flow.domain.web import DeadlineBoardRow, PipelineBoard, UserRecord, WorkItem, WorkPage
from admission_flow.services.deps import Deps
from admission_flow.services.scope import require_org
from admission_flow.workflow.spec import ANY_STATE, WorkflowSpec

PER_PAGE = 25


def acts_of(spec: WorkflowSpec, roles: Iterable[str]) -> dict[str, list[dict[str, object]]]:
    """Per state: the moves (transitions with a destination, from that state by name) one of ``roles`` may
    fire. Moves from every state (``*``, such as a transfer) are not what a candidate waits on, and are left out."""
    held = set(roles)
    found: dict[str, list[dict[str, object]]] = defaultdict(list)
    for t in spec.transitions:
        if t.dest is None or not held.intersection(t.roles):
            continue
        for state in t.source:
            if state != ANY_STATE and all(a["trigger"] != t.trigger for a in found[state]):
                found[state].append({"trigger": t.trigger, "label": t.label.model_dump() if t.label else None})
    return dict(found)


def my_work(deps: Deps, user: UserRecord, page: int = 1, per_page: int = PER_PAGE) -> WorkPage:
    """The candidates of the user's subtree waiting on an act one of the user's roles may perform: overdue
    first, then by the next deadline, then those with no open deadline; with the days left (calendar and
    working days) and the deadline's legal basis."""
    page = max(1, page)
    acts = {(wf.spec.id, wf.spec.version): acts_of(wf.spec, user.roles) for wf in deps.catalog}
    keys = [(wid, version, state) for (wid, version), states in acts.items() for state in states]
    with deps.db.transaction(readonly=True) as uow:
        rows = uow.web.work(user.org_id, sorted(keys), (page - 1) * per_page, per_page + 1)
        deadlines = uow.web.deadlines_of([r[0] for r in rows[:per_page]])
    nearest: dict[str, tuple[str, str, str, date, datetime]] = {}
    for cid, wid, version, deadline_id, due_on, fire_at in deadlines:
        nearest.setdefault(cid, (wid, version, deadline_id, due_on, fire_at))
    now, today, calendar = deps.clock.now(), deps.today(), deps.calendar_of()
    items = []
    for cid, name, org_id, wid, version, state in rows[:per_page]:
        spec = deps.catalog.get(wid, version).spec
        extra: dict[str, object] = {}
        if cid in nearest:
            _, _, deadline_id, due_on, fire_at = nearest[cid]
            d = next(d for d in spec.deadlines_of(state) if d.id == deadline_id)
            extra = {
                "deadline": deadline_id,
                "deadline_label": d.label.model_dump(),
                "basis": d.basis.model_dump() if d.basis else None,
                "due_on": due_on,
                "days_left": (due_on - today).days,
                "working_days_left": calendar.working_days_between(today, due_on),
                "overdue": fire_at <= now,
            }
        items.append(
            WorkItem(
                cid,
                name,
                org_id,
                f"{wid}@{version}",
                state,
                spec.states[state].label.model_dump(),
                acts[(wid, version)][state],
                **extra,  # type: ignore[arg-type]
            )
        )
    return WorkPage(items, page, len(rows) > per_page)


def _committees(orgs: list[OrgRecord], root: str) -> tuple[list[OrgRecord], dict[str, str]]:
    """The root and the organisations directly below it, and for every organisation of the subtree the one of
    those it counts under."""
    by_id = {o.id: o for o in orgs}
    heads = [by_id[root], *sorted((o for o in orgs if o.parent_id == root), key=lambda o: o.id)]
    head_ids = {h.id for h in heads}
    under: dict[str, str] = {}
    for o in orgs:
        walk = o
        while walk.id not in head_ids and walk.parent_id in by_id:
            walk = by_id[walk.parent_id]
        under[o.id] = walk.id if walk.id in head_ids else root
    return heads, under


def deadline_board(deps: Deps, user: UserRecord, org_id: str | None = None) -> list[DeadlineBoardRow]:
    """Open deadlines per committee directly below ``org_id`` (default: the user's organisation): overdue, and
    due within 30, 60 and 90 days; the first row counts the candidates of ``org_id`` itself."""
    root = org_id or user.org_id
    now, today = deps.clock.now(), deps.today()
    with deps.db.transaction(readonly=True) as uow:
        require_org(uow, root, user.org_id)
        orgs = uow.orgs.listing(root)
        counts = uow.web.deadline_counts(root, now, today)
    heads, under = _committees(orgs, root)
    sums: dict[str, list[int]] = {h.id: [0, 0, 0, 0] for h in heads}
    for oid, *figures in counts:
        total = sums[under.get(oid, root)]
        for i, n in enumerate(figures):
            total[i] += n
    return [DeadlineBoardRow(h.id, h.name, *sums[h.id]) for h in heads]


def pipeline_board(deps: Deps, user: UserRecord, org_id: str | None = None) -> PipelineBoard:
    """Candidates by stage and by committee directly below ``org_id`` (default: the user's organisation)."""
    root = org_id or user.org_id
    with deps.db.transaction(readonly=True) as uow:
        require_org(uow, root, user.org_id)
        orgs = uow.orgs.listing(root)
        counts = uow.web.pipeline_counts(root)
    heads, under = _committees(orgs, root)
    cells: dict[str, dict[str, int]] = {h.id: defaultdict(int) for h in heads}
    totals: dict[str, int] = defaultdict(int)
    seen: set[tuple[str, str]] = set()
    for oid, wid, state, n in counts:
        cells[under.get(oid, root)][state] += n
        totals[state] += n
        seen.add((wid, state))
    states: list[tuple[str, dict[str, str]]] = []
    for wf in deps.catalog:  # columns in each workflow's own order of states, each state once
        for name, spec in wf.spec.states.items():
            if (wf.spec.id, name) in seen and all(s != name for s, _ in states):
                states.append((name, spec.label.model_dump()))
    rows = [(h.id, h.name, dict(cells[h.id])) for h in heads]
    return PipelineBoard(states, rows, dict(totals))
