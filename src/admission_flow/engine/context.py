"""The guards' view of an event: the candidate, the organisation, the papers on file, the dates and flags.

Everything a guard may read is loaded before deciding. The organisation ancestry is read only for events whose
guards declare that they need it (``needs_ancestry``); a guard that reads it without declaring so fails loudly
instead of seeing an empty chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from operator import attrgetter
from typing import Any

from admission_flow.calendar import WorkingCalendar
from admission_flow.domain.inputs import EventInput
from admission_flow.domain.stored import Instance
from admission_flow.domain.values import CandidateFacts, DocumentRecord, OrgFacts
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.errors import ConfigurationError
from admission_flow.guards.base import GuardContext


def as_date(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


_FIELDS = list(CandidateFacts.__dataclass_fields__)
_AT = _FIELDS.index("attributes")
# The facts before ``attributes`` are passed by position, read in one C call; any after it by name.
_read_before, _AFTER = attrgetter(*_FIELDS[:_AT]), tuple(_FIELDS[_AT + 1 :])


def candidate_facts(inst: Instance) -> CandidateFacts:
    c = inst.candidate
    later = {name: getattr(c, name) for name in _AFTER}
    return CandidateFacts(*_read_before(c), attributes=c.attributes or {}, **later)  # type: ignore[misc]


def org_facts(inst: Instance) -> OrgFacts:
    o = inst.org
    return OrgFacts(o.id, o.kind, inst.parent_kind, o.has_youth_union, o.has_trade_union, o.attributes or {})


def _undeclared() -> Sequence[OrgFacts]:
    raise ConfigurationError(
        "a guard read the organisation ancestry without declaring it: register it with needs_ancestry=True"
    )


def guard_context(
    inst: Instance,
    wf: CompiledWorkflow,
    trigger: str,
    occurred_on: date,
    event: EventInput,
    attached: Sequence[DocumentRecord],
    calendar: WorkingCalendar | None,
    ancestry: Sequence[OrgFacts] | None,
    *,
    candidate: CandidateFacts | None = None,
    org: OrgFacts | None = None,
    dates: Mapping[str, date] | None = None,
) -> GuardContext:
    """``ancestry``: the organisation and its ancestors, nearest first, or None when no guard of the event
    declared that it reads them. ``candidate``, ``org`` and ``dates`` (the recorded dates, parsed): given by a
    caller that already has them (the bulk import replays several steps of one person), else read off ``inst``."""
    chain: Callable[[], Sequence[OrgFacts]] = _undeclared if ancestry is None else (lambda: ancestry)
    return GuardContext(
        trigger=trigger,
        occurred_on=occurred_on,
        candidate=candidate or candidate_facts(inst),
        org=org or org_facts(inst),
        role=event.role,
        dates={k: as_date(v) for k, v in inst.dates.items()} if dates is None else dict(dates),
        flags=frozenset(inst.flags),
        documents=PapersOnFile(inst.documents, attached),
        votes=event.votes,
        data=event.data,
        document_validity=wf.document_validity,
        calendar=calendar,
        acting_org=event.acting_org,
        org_ancestry=chain,
    )


class PapersOnFile(Mapping[str, Sequence[DocumentRecord]]):
    """The documents index as guards see it (kind → records, attached ones included), decoded per kind on first
    use: most events' guards read one kind or none."""

    def __init__(self, index: Mapping[str, Any], attached: Sequence[DocumentRecord]) -> None:
        self._index = index
        self._attached = attached
        self._decoded: dict[str, list[DocumentRecord]] = {}
        self._kinds = dict.fromkeys([*index, *(d.kind for d in attached)])

    def __getitem__(self, kind: str) -> list[DocumentRecord]:
        if kind not in self._decoded:
            if kind not in self._kinds:
                raise KeyError(kind)
            entries = self._index.get(kind, ())
            found = [
                DocumentRecord(kind, as_date(d["issued_on"]), d.get("reference"), d.get("attributes") or {})
                for d in entries
            ]
            self._decoded[kind] = found + [d for d in self._attached if d.kind == kind]
        return self._decoded[kind]

    def get(self, kind: str, default: Any = None) -> Any:
        # Mapping.get goes through __getitem__ and a KeyError for a kind not on file: guards ask for many.
        return self[kind] if kind in self._kinds else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)


def ancestry_facts(chain: Sequence[Any]) -> tuple[OrgFacts, ...]:
    """An organisation ancestry (records, nearest first) as the facts guards read."""
    kinds = {o.id: o.kind for o in chain}
    return tuple(
        OrgFacts(o.id, o.kind, kinds.get(o.parent_id), o.has_youth_union, o.has_trade_union, o.attributes or {})
        for o in chain
    )
