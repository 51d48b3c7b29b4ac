"""API tokens (kept as the SHA-256 of their secret) and the answers to idempotent requests.

A request with an ``Idempotency-Key`` claims its key with an INSERT before it is answered: the unique
constraint on ``(token_id, key)`` decides which of two concurrent requests answers, in SQL, on both databases.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Dialect, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from admission_flow.domain.records import TokenRecord
from admission_flow.domain.stored import StoredAnswer
from admission_flow.store.prepared import Prepared
from admission_flow.store.schema import ApiToken, IdempotentRequest, table
from admission_flow.store.transaction import Tx

tokens, requests = table(ApiToken), table(IdempotentRequest)
_TOKEN = tuple(tokens.c[name] for name in TokenRecord.__dataclass_fields__)
_BY_HASH = select(*_TOKEN).where(tokens.c.secret_hash == bindparam("h"))
_ANSWER = (requests.c.fingerprint, requests.c.status_code, requests.c.headers, requests.c.body, requests.c.created_at)


class AccessStatements:
    def __init__(self, dialect: Dialect) -> None:
        self.by_hash = Prepared(_BY_HASH, dialect)


def _token(row: Any) -> TokenRecord:
    values = dict(zip(TokenRecord.__dataclass_fields__, row, strict=True))
    return TokenRecord(**{**values, "roles": list(values["roles"] or [])})


class SqlAccess:
    def __init__(self, tx: Tx, statements: AccessStatements) -> None:
        self._tx = tx
        self._sql = statements

    def insert_token(self, values: Mapping[str, Any]) -> int:
        found = self._tx.connection.execute(insert(tokens).values(**values).returning(tokens.c.id)).first()
        assert found is not None
        return int(found[0])

    def token_by_hash(self, secret_hash: str) -> TokenRecord | None:
        row = self._sql.by_hash.first(self._tx.cursor(), {"h": secret_hash})
        return None if row is None else _token(row)

    def tokens(self) -> list[TokenRecord]:
        return [_token(r) for r in self._tx.connection.execute(select(*_TOKEN).order_by(tokens.c.id))]

    def revoke(self, token_id: int, now: datetime) -> bool:
        stmt = update(tokens).where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None)).values(revoked_at=now)
        if self._tx.connection.execute(stmt).rowcount == 1:
            return True
        return self._tx.connection.execute(select(tokens.c.id).where(tokens.c.id == token_id)).first() is not None

    def claim_request(self, token_id: int, key: str, fingerprint: str, now: datetime) -> StoredAnswer | None:
        conn = self._tx.connection
        values = {"token_id": token_id, "key": key, "fingerprint": fingerprint, "created_at": now}
        try:
            with conn.begin_nested():  # a savepoint: a refused INSERT must not end the transaction (PostgreSQL)
                conn.execute(insert(requests).values(**values))
            return None
        except IntegrityError:
            pass
        row = conn.execute(select(*_ANSWER).where(requests.c.token_id == token_id, requests.c.key == key)).first()
        assert row is not None
        return StoredAnswer(*row)

    def store_answer(self, token_id: int, key: str, status: int, headers: Mapping[str, str], body: str) -> None:
        self._tx.connection.execute(
            update(requests)
            .where(requests.c.token_id == token_id, requests.c.key == key)
            .values(status_code=status, headers=dict(headers), body=body)
        )

    def forget_request(self, token_id: int, key: str) -> None:
        self._tx.connection.execute(delete(requests).where(requests.c.token_id == token_id, requests.c.key == key))
