"""Alembic migrations on both databases: up to head, equal to the models, down to nothing, and idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from helpers import WORKFLOW, open_flow
from sqlalchemy import Engine, UniqueConstraint, inspect, text

from admission_flow.store import migrate
from admission_flow.store.engine import build_engine
from admission_flow.store.schema import Base
from admission_flow.testing import ManualClock

MODEL_TABLES = set(Base.metadata.tables)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database (a fresh SQLite file, or a fresh PostgreSQL schema)."""
    engine = build_engine(database_url)
    yield engine
    assert engine.pool.checkedout() == 0, "a connection was not returned to the pool"
    engine.dispose()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "target_metadata": Base.metadata})
        return list(compare_metadata(context, Base.metadata))


def test_the_migrations_form_one_linear_chain_from_0001_core_to_head() -> None:
    scripts = ScriptDirectory(str(migrate.MIGRATIONS))

    chain = [script.revision for script in scripts.walk_revisions("base", "heads")]

    assert scripts.get_heads() == [migrate.head_revision()]
    assert chain[0] == migrate.head_revision()
    assert chain[-1] == "0001_core"
    assert len(chain) == len(set(chain)) == len(list(scripts.walk_revisions()))


def test_an_empty_database_has_no_revision(engine: Engine) -> None:
    assert migrate.current_revision(engine) is None
    assert tables(engine) == set()


def test_upgrading_an_empty_database_reaches_head_and_creates_every_table(engine: Engine) -> None:
    migrate.upgrade(engine)

    assert migrate.current_revision(engine) == migrate.head_revision()
    assert tables(engine) == MODEL_TABLES | {"alembic_version"}


def test_the_migrated_schema_matches_the_models_exactly(engine: Engine) -> None:
    migrate.upgrade(engine)

    assert differences(engine) == []


def test_the_comparison_would_notice_an_index_the_migrations_forgot(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_documents_instance_id"))

    found = differences(engine)

    assert [(d[0], d[1].name) for d in found] == [("add_index", "ix_documents_instance_id")]


def test_every_named_index_and_unique_constraint_of_the_models_exists_after_upgrade(engine: Engine) -> None:
    migrate.upgrade(engine)
    inspector = inspect(engine)

    for table in Base.metadata.sorted_tables:
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        uniques = {u["name"] for u in inspector.get_unique_constraints(table.name)}
        assert indexes >= {i.name for i in table.indexes}, table.name
        assert uniques == {c.name for c in table.constraints if isinstance(c, UniqueConstraint)}, table.name
    assert "ix_documents_instance_id" in {i["name"] for i in inspector.get_indexes("documents")}
    assert "uq_events_idempotency_key" in {u["name"] for u in inspector.get_unique_constraints("events")}


def test_downgrading_to_base_leaves_no_table_but_an_empty_alembic_version(engine: Engine) -> None:
    migrate.upgrade(engine)

    migrate.downgrade(engine, "base")

    assert tables(engine) == {"alembic_version"}
    assert migrate.current_revision(engine) is None
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 0


@pytest.mark.postgres
def test_downgrading_to_base_on_postgresql_leaves_no_sequence_behind(postgres_schema_url: str) -> None:
    engine = build_engine(postgres_schema_url)
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, "base")

        with engine.connect() as connection:
            sequences = connection.execute(
                text("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()")
            ).all()
    finally:
        engine.dispose()

    assert sequences == []


def test_upgrading_twice_is_harmless_and_keeps_the_data(database_url: str) -> None:
    clock = ManualClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    with open_flow(database_url, clock) as flow:
        flow.upgrade_database()
        flow.add_org(id="ks", name="Huyện ủy Kế Sách", kind="superior_committee")
        flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks", workflow=WORKFLOW)

        flow.upgrade_database()
        flow.upgrade_database()

        assert migrate.current_revision(flow.store.engine) == migrate.head_revision()
        assert [o.name for o in flow.orgs()] == ["Huyện ủy Kế Sách"]
        assert [(c.id, c.state, c.version) for c in flow.candidates()] == [("an", "prospect", 1)]
        assert differences(flow.store.engine) == []


def test_a_database_downgraded_to_base_can_be_upgraded_again_and_used(database_url: str) -> None:
    clock = ManualClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    with open_flow(database_url, clock) as flow:
        flow.upgrade_database()
        flow.add_org(id="ks", name="Huyện ủy Kế Sách", kind="superior_committee")
        migrate.downgrade(flow.store.engine, "base")

        flow.upgrade_database()
        flow.add_org(id="ks", name="Huyện ủy Kế Sách (mới)", kind="superior_committee")

        assert migrate.current_revision(flow.store.engine) == migrate.head_revision()
        assert [o.name for o in flow.orgs()] == ["Huyện ủy Kế Sách (mới)"]
        assert differences(flow.store.engine) == []


def test_0004_keeps_timers_and_their_messages_down_to_0003_and_back(database_url: str) -> None:
    """0004 rebuilds `timers` (on SQLite a table copy) while outbox rows point at it; nothing is lost but the
    later occurrences the old key cannot hold, whose messages stay, detached."""
    from sqlalchemy import insert, select

    from admission_flow.store.schema import Instance, Outbox, Timer, table

    timers, outbox, instances = table(Timer), table(Outbox), table(Instance)
    now = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    with open_flow(database_url, ManualClock(now)) as flow:
        flow.upgrade_database()
        flow.add_org(id="ks", name="Huyện ủy Kế Sách", kind="superior_committee")
        flow.add_candidate(id="an", full_name="Nguyễn Văn An", org_id="ks", workflow=WORKFLOW)
        with flow.store.engine.begin() as conn:
            iid = conn.execute(select(instances.c.id)).scalar_one()
            row = {"instance_id": iid, "state": "prospect", "state_epoch": 9, "deadline_id": "d", "rung": 1}
            row |= {"kind": "remind", "due_on": now.date(), "fire_at": now, "status": "done", "created_at": now}
            first, second = (
                conn.execute(insert(timers).values(**row, occurrence=n).returning(timers.c.id)).scalar_one()
                for n in (1, 2)
            )
            for n, timer_id in enumerate((first, second)):
                conn.execute(
                    insert(outbox).values(
                        timer_id=timer_id, instance_id=iid, template="deadline_reminder", recipients=[], subject="",
                        body="", context={}, message_id=f"<m{n}@x>", status="sent", attempts=1,
                        next_attempt_at=now, created_at=now,
                    )
                )  # fmt: skip

        migrate.downgrade(flow.store.engine, "0003_outbox_context")
        with flow.store.engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM timers WHERE deadline_id = 'd'")).scalars().all() == [first]
            kept = conn.execute(text("SELECT message_id, timer_id FROM outbox ORDER BY message_id")).all()
            assert [tuple(r) for r in kept] == [("<m0@x>", first), ("<m1@x>", None)]

        flow.upgrade_database()
        with flow.store.engine.connect() as conn:
            occurrences = conn.execute(text("SELECT occurrence FROM timers WHERE deadline_id = 'd'")).scalars().all()
            assert occurrences == [1]
            assert conn.execute(text("SELECT count(*) FROM outbox")).scalar_one() == 2
            if conn.dialect.name == "sqlite":  # switched off for the table rebuild, and on again afterwards
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert differences(flow.store.engine) == []
