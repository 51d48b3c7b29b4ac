"""The hot statements' quick SQLite conversions write exactly what SQLAlchemy's own processors write."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Date, DateTime, Integer, String
from sqlalchemy.dialects import postgresql, sqlite

from admission_flow.store.engine import build_engine
from admission_flow.store.types import Json, UTCDateTime, fast_bind_processor, fast_result_processor

SQLITE = sqlite.dialect()

INSTANTS = [
    datetime(2026, 12, 6, 15, 37, 29, 787098, tzinfo=UTC),
    datetime(2026, 12, 6, 15, 37, 29, tzinfo=UTC),  # no microseconds: still six digits
    datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC),  # a year below 1000 keeps four digits
    datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=7))),  # Hanoi: the day before in UTC
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.mark.parametrize("value", INSTANTS, ids=str)
def test_an_instant_is_written_as_sqlalchemy_writes_it(value: datetime) -> None:
    ours = fast_bind_processor(UTCDateTime(), SQLITE)
    theirs = UTCDateTime()._cached_bind_processor(SQLITE)
    assert ours is not None and theirs is not None
    assert ours(value) == theirs(value)


@pytest.mark.parametrize("value", [date(2026, 1, 5), date(1, 2, 3), datetime(2026, 1, 5, 23, 59, tzinfo=UTC)], ids=str)
def test_a_day_is_written_as_sqlalchemy_writes_it(value: date) -> None:
    ours = fast_bind_processor(Date(), SQLITE)
    theirs = Date()._cached_bind_processor(SQLITE)
    assert ours is not None and theirs is not None
    assert ours(value) == theirs(value)


def test_the_same_values_are_refused() -> None:
    instant = fast_bind_processor(UTCDateTime(), SQLITE)
    day = fast_bind_processor(Date(), SQLITE)
    assert instant is not None and day is not None
    with pytest.raises(ValueError, match="aware datetime"):
        instant(datetime(2026, 1, 5, 10, 0))  # naive
    with pytest.raises(ValueError, match="aware datetime"):
        instant("2026-01-05 10:00:00")
    with pytest.raises(TypeError, match="only accepts Python date"):
        day("2026-01-05")


def test_other_types_and_databases_keep_sqlalchemy_processors() -> None:
    assert fast_bind_processor(UTCDateTime(), postgresql.dialect()) is None
    assert fast_bind_processor(Date(), postgresql.dialect()) is None
    for other in (DateTime(), Integer(), String()):
        assert fast_bind_processor(other, SQLITE) is None


DOCUMENTS = [{}, [], {"a": [1, 2.5, None, True], "tên": "Nguyễn Thị Lan"}, ["x"], 7, "text", 2**70]


@pytest.mark.parametrize("value", DOCUMENTS, ids=repr)
def test_json_is_written_and_read_as_sqlalchemy_does_with_the_engines_codec(value: object) -> None:
    engine = build_engine("sqlite://")
    dialect = engine.dialect
    ours_in, theirs_in = fast_bind_processor(Json, dialect), Json._cached_bind_processor(dialect)
    ours_out, theirs_out = fast_result_processor(Json, dialect), Json._cached_result_processor(dialect, None)
    assert ours_in is not None and theirs_in is not None and ours_out is not None and theirs_out is not None
    text = ours_in(value)
    assert text == theirs_in(value)
    assert ours_out(text) == theirs_out(text) == value


def test_a_json_value_sqlite_hands_back_as_a_number_is_left_to_sqlalchemy() -> None:
    dialect = build_engine("sqlite://").dialect
    ours = fast_result_processor(Json, dialect)
    assert ours is not None
    assert ours(3) == 3  # json_extract() of a number gives a number, not text


def test_json_keeps_sqlalchemys_processors_on_postgresql() -> None:
    assert fast_bind_processor(Json, postgresql.psycopg.dialect()) is None
    assert fast_result_processor(Json, postgresql.psycopg.dialect()) is None
