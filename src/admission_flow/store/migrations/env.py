"""Alembic environment: always driven from code with a live connection (see store/migrate.py)."""

from __future__ import annotations

from alembic import context

from admission_flow.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `admission-flow db upgrade` (admission_flow.store.migrate)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
