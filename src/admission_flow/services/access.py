"""API tokens and idempotent requests: who may call the adapters, and answering a repeated write once.

A token's secret is ``af_`` and 43 random URL-safe characters (256 bits). Only its SHA-256 is stored: the
secret is random, not a password a person chose, so a slow password hash would add nothing but latency to
every request, and a stolen table still yields no usable token. The secret is shown once, at creation.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from admission_flow.clock import ensure_utc
from admission_flow.domain.records import Caller, TokenRecord
from admission_flow.domain.stored import StoredAnswer
from admission_flow.errors import IdempotencyConflict, InvalidInput, NotFound, RequestInProgress, Unauthenticated
from admission_flow.services.deps import Deps

PREFIX = "af_"
# A request that claimed its key and never answered (its process died) gives the key up after this long.
ABANDONED_AFTER = timedelta(seconds=60)
# An answer is replayed for this long; after it the key is free again (clients retry within minutes, not days).
KEPT_FOR = timedelta(hours=24)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    deps: Deps,
    *,
    name: str,
    org_id: str,
    roles: Sequence[str],
    read_only: bool = False,
    expires_at: datetime | None = None,
) -> tuple[TokenRecord, str]:
    """A new token bound to ``org_id``'s subtree and ``roles``; returns it and its secret (shown only now)."""
    name = name.strip()
    if not 0 < len(name) <= 100 or not name.isprintable():
        raise InvalidInput("name: 1 to 100 printable characters")
    known = known_roles(deps)
    bad = [r for r in roles if r not in known]
    if bad:
        listed = ", ".join(sorted(known))
        raise InvalidInput(f"roles: no workflow has {', '.join(map(repr, bad))}; known roles: {listed}")
    now = deps.clock.now()
    if expires_at is not None and ensure_utc(expires_at, "expires_at") <= now:
        raise InvalidInput("expires_at: must be in the future")
    secret = PREFIX + secrets.token_urlsafe(32)
    values = {
        "name": name,
        "org_id": org_id,
        "roles": sorted(set(roles)),
        "read_only": read_only,
        "secret_hash": secret_hash(secret),
        "created_at": now,
        "expires_at": expires_at,
        "revoked_at": None,
    }
    with deps.db.transaction() as uow:
        if uow.orgs.get(org_id) is None:
            raise NotFound("org", org_id)
        token_id = uow.access.insert_token(values)
    record = TokenRecord(token_id, name, org_id, values["roles"], read_only, now, expires_at, None)  # type: ignore[arg-type]
    return record, secret


def known_roles(deps: Deps) -> set[str]:
    """Every role a workflow version declares or lets fire a transition."""
    found: set[str] = set()
    for wf in deps.catalog:
        found.update(wf.spec.roles)
        for t in wf.spec.transitions:
            found.update(t.roles)
    return found


def tokens(deps: Deps) -> list[TokenRecord]:
    with deps.db.transaction(readonly=True) as uow:
        return uow.access.tokens()


def revoke_token(deps: Deps, token_id: int) -> None:
    with deps.db.transaction() as uow:
        if not uow.access.revoke(token_id, deps.clock.now()):
            raise NotFound("token", token_id)


def authenticate(deps: Deps, secret: str) -> tuple[Caller, datetime | None]:
    """The caller a secret belongs to and when its token expires; ``Unauthenticated`` for an unknown, revoked or
    expired one (alike)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        raise Unauthenticated("a valid API token is required")
    with deps.db.transaction(readonly=True) as uow:
        token = uow.access.token_by_hash(secret_hash(secret))
    now = deps.clock.now()
    if token is None or token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        raise Unauthenticated("a valid API token is required")
    return Caller(token.id, token.name, token.org_id, list(token.roles), token.read_only), token.expires_at


# ---------------------------------------------------------------- idempotent requests


def claim_request(deps: Deps, token_id: int, key: str, fingerprint: str) -> StoredAnswer | None:
    """Claim ``key`` for a request (None: answer it, then :func:`store_answer`), or the answer given before.

    The same key with another request is ``IdempotencyConflict``; a first request still being answered is
    ``RequestInProgress`` (unless it was abandoned: then this request takes the key over).
    """
    now = deps.clock.now()
    with deps.db.transaction() as uow:
        found = uow.access.claim_request(token_id, key, fingerprint, now)
        if found is not None and now - found.created_at >= KEPT_FOR:  # expired: the key starts afresh
            uow.access.forget_request(token_id, key)
            found = uow.access.claim_request(token_id, key, fingerprint, now)
    if found is None:
        return None
    if found.fingerprint != fingerprint:
        raise IdempotencyConflict(key)
    if found.status is None:
        if now - found.created_at < ABANDONED_AFTER:
            raise RequestInProgress(key)
        return None
    return found


def store_answer(deps: Deps, token_id: int, key: str, status: int, headers: Mapping[str, str], body: str) -> None:
    with deps.db.transaction() as uow:
        uow.access.store_answer(token_id, key, status, headers, body)


def forget_request(deps: Deps, token_id: int, key: str) -> None:
    with deps.db.transaction() as uow:
        uow.access.forget_request(token_id, key)
