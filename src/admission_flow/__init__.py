"""admission_flow: the Party member-admission procedure as durable, audited per-candidate state machines.

Everything an embedder needs is importable from here: the facade, the error tree, the inputs an event carries
and the records that come back.
"""

from __future__ import annotations

from admission_flow.domain.records import (
    CandidateRecord,
    DeadlineRecord,
    DeliveryReport,
    EventRecord,
    FireResult,
    MigrationItem,
    Option,
    OrgRecord,
    OutboxRecord,
    ReminderRecord,
    SweepReport,
    TimelineEntry,
)
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import (
    AdmissionFlowError,
    AlreadyExists,
    ConcurrentUpdate,
    ConfigurationError,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    OperationError,
    Reason,
    StoreError,
    TransitionRefused,
    WorkflowChanged,
    WorkflowDefinitionError,
)
from admission_flow.flow import AdmissionFlow

__version__ = "0.1.0"

__all__ = [
    "AdmissionFlow",
    "AdmissionFlowError",
    "AlreadyExists",
    "CandidateRecord",
    "ConcurrentUpdate",
    "ConfigurationError",
    "DeadlineRecord",
    "DeliveryReport",
    "DocumentRecord",
    "EventRecord",
    "FireResult",
    "IdempotencyConflict",
    "InvalidInput",
    "MigrationItem",
    "NotFound",
    "OperationError",
    "Option",
    "OrgRecord",
    "OutboxRecord",
    "Reason",
    "ReminderRecord",
    "StoreError",
    "SweepReport",
    "TimelineEntry",
    "TransitionRefused",
    "Votes",
    "WorkflowChanged",
    "WorkflowDefinitionError",
    "__version__",
]
