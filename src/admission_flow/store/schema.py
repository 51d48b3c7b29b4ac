"""Tables, as SQLAlchemy 2.0 typed declarative models. Migrations in ``migrations/`` create exactly these."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, MetaData, String, Table, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from admission_flow.store.partial_indexes import (
    NAMING_HELPER_COLUMNS,
    NAMING_HELPER_INDEX,
    NAMING_HELPER_WHERE,
    OPEN_DEADLINE_ROW,
)
from admission_flow.store.types import BigId, Json, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_LATER = sa.text("attempt > 1")

_NAMING = Index(NAMING_HELPER_INDEX, *NAMING_HELPER_COLUMNS, **NAMING_HELPER_WHERE)  # store/partial_indexes.py
_OPEN_ROWS: dict[str, Any] = {
    "postgresql_where": OPEN_DEADLINE_ROW,
    "sqlite_where": OPEN_DEADLINE_ROW,
    "postgresql_include": ["fire_at"],
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Org(Base):
    """A node of the organisation tree: province → superior committee → grassroots committee → cell."""

    __tablename__ = "orgs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    has_youth_union: Mapped[bool] = mapped_column(Boolean, default=False)
    has_trade_union: Mapped[bool] = mapped_column(Boolean, default=False)
    contacts: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    attributes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Candidate(Base):
    """The person: the data guards and reports read."""

    __tablename__ = "candidates"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(16))
    ethnicity: Mapped[str | None] = mapped_column(String(64))
    religion: Mapped[str | None] = mapped_column(String(64))
    education: Mapped[str | None] = mapped_column(String(32))
    remote_area: Mapped[bool] = mapped_column(Boolean, default=False)
    occupation: Mapped[str | None] = mapped_column(String(64))
    youth_union_member: Mapped[bool] = mapped_column(Boolean, default=False)
    trade_union_member: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str | None] = mapped_column(String(254))
    attributes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # One person, one row: the 12-digit personal identification number (căn cước), the party card number and an
    # old card number are each unique when given (NULLs do not collide).
    personal_id: Mapped[str | None] = mapped_column(String(12), unique=True)
    party_card_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    old_card_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    manager: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # leader or manager


class Instance(Base):
    """One attempt of one candidate through one pinned workflow version."""

    __tablename__ = "instances"
    __table_args__ = (
        UniqueConstraint("candidate_id", "attempt"),
        Index(None, "workflow_id", "state"),
        # The dashboard's pages read the first alone on PostgreSQL (index-only; the rows are wide with JSON), and
        # find superseded attempts (those with a later one, always above 1) in the second, a few rows.
        Index(
            None,
            "candidate_id",
            "attempt",
            postgresql_include=["id", "state_epoch", "workflow_id", "workflow_version", "state"],
        ),
        Index("ix_instances_later_attempts", "candidate_id", "attempt", postgresql_where=_LATER, sqlite_where=_LATER),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    candidate_id: Mapped[str] = mapped_column(ForeignKey("candidates.id"))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    workflow_id: Mapped[str] = mapped_column(String(64))
    workflow_version: Mapped[str] = mapped_column(String(32))
    workflow_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    dates: Mapped[dict[str, str]] = mapped_column(Json)
    flags: Mapped[list[str]] = mapped_column(Json)
    documents: Mapped[dict[str, Any]] = mapped_column(Json)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state_epoch: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    state_entered_on: Mapped[date | None] = mapped_column(Date)
    extensions: Mapped[dict[str, int]] = mapped_column(Json, default=dict, server_default="{}")


class Event(Base):
    """The audit trail: append-only, one row per applied event."""

    __tablename__ = "events"
    # (trigger, occurred_on): reports count admissions, ceremonies, recognitions and strike-offs in a period.
    __table_args__ = (UniqueConstraint("instance_id", "seq"), Index(None, "trigger", "occurred_on"), _NAMING)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    seq: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(64))
    org_id: Mapped[str | None] = mapped_column(String(64))
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    documents: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    votes: Mapped[dict[str, Any] | None] = mapped_column(Json)
    workflow_id: Mapped[str] = mapped_column(String(64))
    workflow_version: Mapped[str] = mapped_column(String(32))
    workflow_hash: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    token_id: Mapped[int | None] = mapped_column(Integer)  # the API token that acted (None: Python, CLI, sweep)


class Document(Base):
    """A paper on file for an instance (form code such as 1-KNĐ, its date, its reference)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    kind: Mapped[str] = mapped_column(String(64))
    form: Mapped[str | None] = mapped_column(String(32))
    issued_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(Json)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Timer(Base):
    """A deadline (rung 0) or one reminder rung of it, as a durable row the sweep claims when due."""

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("instance_id", "state_epoch", "deadline_id", "rung", "occurrence"),
        Index(None, "status", "fire_at"),
        # Open deadline rows in due order: My work walks it and stops at the page's end; the deadlines report too.
        Index(None, "due_on", "state", "instance_id", "state_epoch", "id", "deadline_id", **_OPEN_ROWS),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    state: Mapped[str] = mapped_column(String(64))
    state_epoch: Mapped[int] = mapped_column(Integer)
    deadline_id: Mapped[str] = mapped_column(String(64))
    rung: Mapped[int] = mapped_column(Integer)
    # 1, then 2, 3… each time a `while_flag` deadline starts again in the same stay (a second transfer)
    occurrence: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    kind: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date)
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Outbox(Base):
    """A message to send (e-mail), written in the same transaction as its cause, delivered after commit."""

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    timer_id: Mapped[int | None] = mapped_column(ForeignKey("timers.id"), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="email", server_default="email")  # how it travels
    template: Mapped[str] = mapped_column(String(64))
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    subject: Mapped[str] = mapped_column(Text)  # empty until rendered at delivery
    body: Mapped[str] = mapped_column(Text)
    context: Mapped[dict[str, Any] | None] = mapped_column(Json)  # what the template is rendered with
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Lease(Base):
    """A named lease (e.g. the SQLite sweeper): one holder until ``expires_at``."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token of the REST API: bound to an organisation subtree and roles; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    roles: Mapped[list[str]] = mapped_column(Json)
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotentRequest(Base):
    """A write request made with an ``Idempotency-Key``: its fingerprint and, once answered, the answer."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and body
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while the first request is being answered
    headers: Mapped[dict[str, str] | None] = mapped_column(Json)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Webhook(Base):
    """A subscription: events of candidates in ``org_id``'s subtree are POSTed to ``url``, signed with ``secret``."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(Json)  # triggers, or "*" for every event
    secret: Mapped[str] = mapped_column(String(200))  # kept in clear: the HMAC needs it
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrgPeriod(Base):
    """What an organisation was (parent, name, kind, attributes such as its authority) from ``valid_from`` until
    the day before ``valid_until``. ``valid_from`` None: since always; ``valid_until`` None: still so. The periods
    of one organisation do not overlap; the open one matches the ``orgs`` row (the tree as it is now)."""

    __tablename__ = "org_periods"
    __table_args__ = (Index(None, "org_id", "valid_from"), Index(None, "parent_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    parent_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    attributes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class OrgChange(Base):
    """The audit trail of the tree: an organisation created, renamed, moved under another parent, merged into
    another, given or relieved of a power, dissolved; with the date it takes effect and who recorded it."""

    __tablename__ = "org_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    change: Mapped[str] = mapped_column(String(16))  # create | rename | move | merge | authority | dissolve | update
    effective_on: Mapped[date] = mapped_column(Date)
    before: Mapped[dict[str, Any]] = mapped_column(Json)
    after: Mapped[dict[str, Any]] = mapped_column(Json)
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Target(Base):
    """An admissions target of an organisation: a congress term's (``term``) or a year's quota (``annual``), with
    the size of the sourcing plan meant to reach it (the 2–3× rule is checked against it)."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("org_id", "kind", "starts_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    kind: Mapped[str] = mapped_column(String(16))  # term | annual
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # inclusive
    admissions: Mapped[int] = mapped_column(Integer)
    sourcing_plan: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrainingClass(Base):
    """A party-awareness class (``awareness``) or a new-member class (``new_member``) an organisation held, with
    its number of attendees (who need not all be candidates in the engine)."""

    __tablename__ = "classes"
    __table_args__ = (UniqueConstraint("org_id", "kind", "reference"), Index(None, "starts_on"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    kind: Mapped[str] = mapped_column(String(16))  # awareness | new_member
    reference: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    attendees: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ImportBatch(Base):
    """A file imported in full (all or nothing): the same file again (same SHA-256, same kind) changes nothing."""

    __tablename__ = "imports"
    __table_args__ = (UniqueConstraint("kind", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))  # candidates | orgs | members (reconciliation) …
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(500))
    rows: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


# ---------------------------------------------------------------- the web dashboard (migration 0008_web)


class WebUser(Base):
    """A person who signs in to the dashboard: bound to an organisation subtree and roles, like an API token.
    Only an argon2id hash of the password is kept; failed sign-ins are counted to throttle guessing."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    roles: Mapped[list[str]] = mapped_column(Json)
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random secret, this row its SHA-256 and the form (CSRF) token."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def table(model: type[Base]) -> Table:
    """The Core table of a model, typed as such (``__table__`` is typed as a generic FromClause)."""
    found = model.__table__
    assert isinstance(found, Table)
    return found
