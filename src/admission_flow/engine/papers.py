"""Papers attached to an event, as the audit row, the ``documents`` table and the instance's index hold them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from admission_flow.domain.values import DocumentRecord
from admission_flow.engine.machine import CompiledWorkflow


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def document_json(doc: DocumentRecord, wf: CompiledWorkflow) -> dict[str, Any]:
    """A paper as the audit row lists it."""
    return {
        "kind": doc.kind,
        "form": wf.spec.documents[doc.kind].form,
        "issued_on": doc.issued_on.isoformat(),
        "reference": doc.reference,
        "attributes": _jsonable(dict(doc.attributes)),
    }


def document_row(doc: DocumentRecord, wf: CompiledWorkflow, instance_id: int, now: datetime) -> dict[str, Any]:
    """A ``documents`` row; the writer adds the ``event_id`` of the audit row it belongs to."""
    return {
        "instance_id": instance_id,
        "kind": doc.kind,
        "form": wf.spec.documents[doc.kind].form,
        "issued_on": doc.issued_on,
        "reference": doc.reference,
        "attributes": _jsonable(dict(doc.attributes)),
        "recorded_at": now,
    }


def merge_documents(index: dict[str, Any], attached: Sequence[DocumentRecord]) -> dict[str, Any]:
    """The instance's documents index (kind → entries) with the attached papers added."""
    if not attached:
        return index
    merged = {kind: list(entries) for kind, entries in index.items()}
    for doc in attached:
        merged.setdefault(doc.kind, []).append(
            {
                "issued_on": doc.issued_on.isoformat(),
                "reference": doc.reference,
                "attributes": _jsonable(dict(doc.attributes)),
            }
        )
    return merged
