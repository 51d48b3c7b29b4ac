"""admission_flow: the Party member-admission procedure as durable, audited per-candidate state machines."""

from __future__ import annotations

from admission_flow.errors import (
    AdmissionFlowError,
    ConcurrentUpdate,
    NotFound,
    OperationError,
    Reason,
    TransitionRefused,
    WorkflowDefinitionError,
)

__version__ = "0.1.0"

__all__ = [
    "AdmissionFlow",
    "AdmissionFlowError",
    "ConcurrentUpdate",
    "NotFound",
    "OperationError",
    "Reason",
    "TransitionRefused",
    "WorkflowDefinitionError",
    "__version__",
]


def __getattr__(name: str) -> object:
    # The facade pulls in SQLAlchemy and transitions; import it only when asked for.
    if name == "AdmissionFlow":
        from admission_flow.flow import AdmissionFlow

        return AdmissionFlow
    raise AttributeError(name)
