"""A prepared statement's values reach the driver converted exactly as SQLAlchemy's own binds would convert them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, bindparam, select, text
from sqlalchemy.dialects import postgresql, sqlite

from admission_flow.store.prepared import Prepared
from admission_flow.store.types import Json, UTCDateTime

things = Table(
    "things",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String),
    Column("on", Date),
    Column("at", UTCDateTime),
    Column("data", Json),
)
SELECT = (
    select(things.c.id)
    .where(things.c.name == bindparam("name"), things.c.on == bindparam("on"), things.c.at < bindparam("at"))
    .limit(1)
)
AT = datetime(2026, 12, 6, 8, 30, 1, 5, tzinfo=UTC)


def test_positional_values_are_converted_in_the_statements_order() -> None:
    prepared = Prepared(SELECT, sqlite.dialect())
    assert prepared.parameters({"name": "Lan", "on": date(2026, 1, 5), "at": AT}) == (
        "Lan",
        "2026-01-05",
        "2026-12-06 08:30:01.000005",
        1,  # the statement's own LIMIT ...
        0,  # ... and OFFSET, which SQLite's compiler adds
    )


def test_none_is_never_converted_and_a_missing_value_raises() -> None:
    prepared = Prepared(SELECT, sqlite.dialect())
    assert prepared.parameters({"name": None, "on": None, "at": None}) == (None, None, None, 1, 0)
    with pytest.raises(KeyError):
        prepared.parameters({"name": "Lan", "on": None})


def test_a_value_overrides_the_statements_literal() -> None:
    prepared = Prepared(SELECT, sqlite.dialect())
    assert prepared.parameters({"name": "a", "on": None, "at": None, "param_1": 5})[-2:] == (5, 0)


def test_a_statement_with_one_value_gets_a_one_tuple() -> None:
    prepared = Prepared(select(things.c.id).where(things.c.name == bindparam("name")), sqlite.dialect())
    assert prepared.parameters({"name": "Lan"}) == ("Lan",)


def test_named_values_keep_every_key_and_convert_their_binds() -> None:
    """A driver taking named placeholders (here SQLite's ``:name`` style) gets a dict."""
    dialect = sqlite.dialect(paramstyle="named")
    statement = things.insert().values(id=bindparam("id"), data=bindparam("data", type_=things.c.data.type))
    prepared = Prepared(statement, dialect)
    assert ":data" in prepared.sql and prepared.order is None
    out = prepared.parameters({"id": 3, "data": {"a": [1, 2]}, "extra": "kept"})
    assert out["id"] == 3 and out["extra"] == "kept"
    expected = things.c.data.type.dialect_impl(dialect)
    processor = expected.bind_processor(dialect)
    assert processor is not None
    assert str(out["data"]) == str(processor({"a": [1, 2]}))
    assert prepared.parameters({"id": 4, "data": None})["data"] is None


def test_psycopg_gets_positional_placeholders_and_a_tuple() -> None:
    """psycopg's own style is ``%(name)s``; prepared statements use its ``%s`` with a tuple, in the SQL's order,
    converted by the same processors, and a literal ``%`` stays doubled."""
    dialect = postgresql.psycopg.dialect()
    statement = (
        select(things.c.id)
        .where(things.c.name.like("50%"), things.c.at < bindparam("at"), things.c.id == bindparam("id"))
        .where(things.c.data == bindparam("data", type_=things.c.data.type), text("things.name <> 'x%y'"))
    )
    prepared = Prepared(statement, dialect)
    assert "%(" not in prepared.sql and prepared.sql.count("%s") == 4 and "'x%%y'" in prepared.sql
    assert prepared.order == ["name_1", "at", "id", "data"]
    out = prepared.parameters({"at": AT, "id": 7, "data": {"a": 1}})
    assert isinstance(out, tuple) and out[0] == "50%" and out[2] == 7
    assert dialect.paramstyle == "pyformat" and not dialect.positional  # the engine's own dialect is untouched
