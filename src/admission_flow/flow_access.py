"""The facade's doors for adapters that serve other programs (the REST API, later the dashboard): tokens,
idempotent requests, and the figures health checks and metrics read. ``AdmissionFlow`` inherits them."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from admission_flow.domain.records import Caller, TokenRecord
from admission_flow.domain.stored import StoredAnswer
from admission_flow.services import access
from admission_flow.services.deps import Deps
from admission_flow.settings import Settings

TRUSTED_MAX = 1000  # tokens remembered at once (a process serves a few services, each with a token or two)


class AccessDoors:
    _deps: Deps
    settings: Settings
    _trusted_tokens: dict[str, tuple[Caller, float, datetime | None]]

    def create_token(
        self,
        *,
        name: str,
        org_id: str,
        roles: Sequence[str] = (),
        read_only: bool = False,
        expires_at: datetime | None = None,
    ) -> tuple[TokenRecord, str]:
        """A new API token bound to ``org_id``'s subtree and ``roles``; returns it and its secret, which is
        shown only now (only its SHA-256 is stored)."""
        return access.create_token(
            self._deps, name=name, org_id=org_id, roles=roles, read_only=read_only, expires_at=expires_at
        )

    def tokens(self) -> list[TokenRecord]:
        return access.tokens(self._deps)

    def revoke_token(self, token_id: int) -> None:
        access.revoke_token(self._deps, token_id)
        self._trusted().clear()  # this process stops trusting it at once; others within token_cache_seconds

    def authenticate(self, secret: str) -> Caller:
        """The caller a token secret belongs to (``Unauthenticated`` if unknown, revoked or expired).

        A token looked up is trusted for ``settings.token_cache_seconds`` (1 s by default: a lookup is a database
        round trip on every API request); its expiry is checked on every call."""
        trusted = self._trusted()
        found = trusted.get(secret)
        now = time.monotonic()
        if found is not None and found[1] > now:
            caller, _, expires_at = found
            if expires_at is None or expires_at > self._deps.clock.now():
                return caller
        caller, expires_at = access.authenticate(self._deps, secret)
        if self.settings.token_cache_seconds > 0:
            if len(trusted) >= TRUSTED_MAX:
                trusted.clear()
            trusted[secret] = (caller, now + self.settings.token_cache_seconds, expires_at)
        return caller

    def _trusted(self) -> dict[str, tuple[Caller, float, datetime | None]]:
        found: dict[str, tuple[Caller, float, datetime | None]] | None = getattr(self, "_trusted_tokens", None)
        if found is None:
            found = {}
            self._trusted_tokens = found
        return found

    def claim_request(self, token_id: int, key: str, fingerprint: str) -> StoredAnswer | None:
        """Claim an idempotency key for a request: None means answer it and call :meth:`store_answer`;
        otherwise the answer given the first time."""
        return access.claim_request(self._deps, token_id, key, fingerprint)

    def store_answer(self, token_id: int, key: str, status: int, headers: Mapping[str, str], body: str) -> None:
        access.store_answer(self._deps, token_id, key, status, headers, body)

    def forget_request(self, token_id: int, key: str) -> None:
        access.forget_request(self._deps, token_id, key)

    def figures(self) -> dict[str, Any]:
        """For health checks and metrics: the oldest due timer not yet swept, and the outbox backlog."""
        with self._deps.db.transaction(readonly=True) as uow:
            return uow.queries.figures(self._deps.clock.now())
