"""One exception tree for the whole package.

``AdmissionFlowError`` is the root. Definition-time problems (a workflow file that does not validate) live
under ``WorkflowDefinitionError``; everything raised while running lives under ``OperationError``. Third-party
exceptions are translated at the boundary that owns them (loader, store, machine) and never escape.
Each class carries the data a caller needs, and ``exit_code``/``http_status`` are read only by the edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


class AdmissionFlowError(Exception):
    """Root of every error this package raises on purpose."""

    exit_code = 1
    http_status = 500
    code = "error"


# ---------------------------------------------------------------- definition time


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a workflow file, located as precisely as the YAML allows."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class WorkflowDefinitionError(AdmissionFlowError):
    """A workflow file (or the set of them) is invalid. ``problems`` lists every mistake found."""

    exit_code = 5
    http_status = 422
    code = "invalid_workflow"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems))
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid workflow")


class ConfigurationError(AdmissionFlowError):
    """Settings that cannot work (an unsupported database URL, a missing workflows folder)."""

    exit_code = 2
    http_status = 500
    code = "configuration"


# ---------------------------------------------------------------- run time


class OperationError(AdmissionFlowError):
    """Base of the errors raised while running use cases."""


class InvalidInput(OperationError):
    """A caller passed something malformed (an unparsable date, an unknown org kind...)."""

    exit_code = 2
    http_status = 400
    code = "invalid_input"


class NotFound(OperationError):
    exit_code = 3
    http_status = 404
    code = "not_found"

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class WorkflowNotLoaded(NotFound):
    """A workflow that is not in the catalog while some workflow files were left out for their problems: it may
    be defined in one of them."""

    def __init__(self, key: object, skipped_files: list[str]) -> None:
        super().__init__("workflow", key)
        self.skipped_files = skipped_files
        self.args = (
            f"workflow {key!r} not found; these workflow files were left out because they have problems "
            f"(run `admission-flow validate` to see them): {', '.join(skipped_files)}",
        )


class AlreadyExists(OperationError):
    exit_code = 4
    http_status = 409
    code = "already_exists"

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} already exists")


# ---- people's identifiers (issue 10, item 2)


class IdentifierTaken(AlreadyExists):
    """A personal identification number or card number another person already holds. The message names the field
    and never who holds it (the holder may lie outside the caller's subtree)."""

    code = "identifier_taken"

    def __init__(self, field: str, value: object) -> None:
        self.field = field
        self.value = value
        OperationError.__init__(
            self,
            f"{field} {value!r} is already recorded for another person / "
            f"{field} {value!r} đã được ghi cho một người khác",
        )
        self.kind = field
        self.key = value


@dataclass(frozen=True)
class Reason:
    """Why a transition is not allowed: a stable ``code``, the guard that said so, what it read, and why."""

    code: str
    guard: str
    message_vi: str
    message_en: str
    values: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "guard": self.guard,
            "values": self.values,
            "message": {"vi": self.message_vi, "en": self.message_en},
        }


class TransitionRefused(OperationError):
    """The trigger cannot happen now; ``reasons`` holds every rule that failed, not just the first."""

    exit_code = 4
    http_status = 409
    code = "transition_refused"

    def __init__(self, trigger: str, state: str, reasons: Sequence[Reason]) -> None:
        self.trigger = trigger
        self.state = state
        self.reasons = tuple(reasons)
        codes = ", ".join(r.code for r in self.reasons)
        super().__init__(f"{trigger!r} refused in state {state!r}: {codes}")


class ConcurrentUpdate(OperationError):
    """Someone else changed the instance since it was read (optimistic version check failed)."""

    exit_code = 4
    http_status = 409
    code = "concurrent_update"

    def __init__(self, instance_id: int, expected_version: int) -> None:
        self.instance_id = instance_id
        self.expected_version = expected_version
        super().__init__(f"instance {instance_id} is no longer at version {expected_version}")


class WorkflowChanged(OperationError):
    """A workflow file was edited without a new version: instances pinned to the old content cannot run on it."""

    exit_code = 4
    http_status = 409
    code = "workflow_changed"

    def __init__(self, workflow: str, pinned_hash: str, current_hash: str) -> None:
        self.workflow = workflow
        self.pinned_hash = pinned_hash
        self.current_hash = current_hash
        super().__init__(
            f"{workflow} changed since this candidate started on it (pinned sha256 {pinned_hash[:12]}, file now "
            f"{current_hash[:12]}): restore the file, or publish the change as a new version and migrate candidates"
        )


class IdempotencyConflict(OperationError):
    """An idempotency key was reused for a different request."""

    exit_code = 4
    http_status = 409
    code = "idempotency_conflict"

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"idempotency key {key!r} was already used for a different event")


class Unauthenticated(OperationError):
    """No credentials, or credentials that are unknown, revoked or expired (the answer never says which)."""

    exit_code = 2
    http_status = 401
    code = "unauthenticated"


class Forbidden(OperationError):
    """The caller is known but may not do this (a read-only token writing, a role it does not hold)."""

    exit_code = 2
    http_status = 403
    code = "forbidden"


class RequestInProgress(OperationError):
    """A request with this idempotency key is still being answered; ask again shortly."""

    exit_code = 4
    http_status = 409
    code = "request_in_progress"

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"a request with idempotency key {key!r} is still being answered")


class MachineFault(OperationError):
    """The state machine did not do what the engine planned: a defect in the package, never the caller's input."""

    exit_code = 1
    http_status = 500
    code = "machine_fault"


class WorkerLost(OperationError):
    """A worker process of a bulk import stopped before it answered (killed, out of memory): nothing written."""

    exit_code = 1
    http_status = 503
    code = "worker_lost"


class StoreError(OperationError):
    """The database failed in a way the caller cannot fix by changing its input."""

    exit_code = 1
    http_status = 503
    code = "store_unavailable"


class DuplicateKey(StoreError):
    """A unique constraint refused a row; ``detail`` names the constraint when the driver says. The use cases
    turn it into ``AlreadyExists`` (or a replay, for an idempotency key)."""

    code = "duplicate_key"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"duplicate key: {detail}")


# ---------------------------------------------------------------- organisations over time


class OrgChangeRefused(OperationError):
    """A change of the organisation tree that cannot be recorded (a date out of bounds, a cycle, a dissolved
    target…): a stable ``code``, the reason in Vietnamese and English, and the values it is about."""

    exit_code = 4
    http_status = 409
    code = "org_change_refused"

    def __init__(self, reason: str, *, vi: str, en: str, **values: Any) -> None:
        self.reason = reason
        self.message_vi = vi
        self.message_en = en
        self.values = values
        super().__init__(f"{reason}: {en} / {vi}")


@dataclass(frozen=True, order=True)
class FileProblem:
    """One mistake in an imported file: where (line, and column for CSV; 0 when not known) and why, in
    Vietnamese and English."""

    file: str
    line: int
    column: int
    message_en: str
    message_vi: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")
        return f"{where}: {self.message_en} / {self.message_vi}"


class InvalidFile(InvalidInput):
    """An imported file has mistakes; ``problems`` lists every one found. Nothing was written."""

    code = "invalid_file"

    def __init__(self, problems: Sequence[FileProblem]) -> None:
        self.problems = tuple(sorted(problems))
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid file")
