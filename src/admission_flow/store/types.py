"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# BIGINT primary keys on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC instants in, aware UTC instants out, on every database (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"expected an aware datetime, got {value!r}")
        utc: datetime = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The hot statements' conversions to SQLite's text (store/prepared.py). SQLAlchemy's own processors (the
# TypeDecorator, then the dialect's %-format of seven fields; JSON through layers of wrappers) cost a fire about
# 15 µs; these write the very same text ("YYYY-MM-DD HH:MM:SS.ffffff", "YYYY-MM-DD", the engine's JSON encoder)
# and refuse the same values. tests/unit/test_store_fast_binds.py holds them equal to SQLAlchemy's.


def _sqlite_instant(value: Any) -> str:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"expected an aware datetime, got {value!r}")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_day(value: Any) -> str:
    if not isinstance(value, date):
        raise TypeError("SQLite Date type only accepts Python date objects as input.")
    return date.isoformat(value)  # a datetime too is written as its day, as SQLAlchemy does


def fast_bind_processor(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """A quicker equivalent of ``type_``'s bind processor on ``dialect``, where there is one."""
    if dialect.name != "sqlite":
        return None
    if isinstance(type_, UTCDateTime):
        return _sqlite_instant
    if type(type_) is Date:
        return _sqlite_day
    if isinstance(type_, JSON):  # what SQLAlchemy's JSON processor does with a value that is not None
        encode: Callable[[Any], Any] | None = getattr(dialect, "_json_serializer", None)
        return encode or json.dumps
    return None


def fast_result_processor(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """A quicker equivalent of ``type_``'s result processor on ``dialect``, where there is one: SQLite's JSON text
    goes straight to the engine's decoder instead of through three layers of SQLAlchemy functions (a fire reads six
    JSON columns); anything that is not text is left to SQLAlchemy's own processor."""
    if dialect.name != "sqlite" or not isinstance(type_, JSON):
        return None
    slow = type_._cached_result_processor(dialect, None)
    decode: Callable[[Any], Any] = getattr(dialect, "_json_deserializer", None) or json.loads
    assert slow is not None, "SQLite stores JSON as text"

    def document(value: Any) -> Any:
        return decode(value) if isinstance(value, str) else slow(value)

    return document
