"""INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL alike.

The statement for a (database, table, returned column) is built once and the row goes in as
parameters: building it with `.values(**row)` coerced every value and computed a fresh cache
key on each call, which cost more than running it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute


async def insert_ignore(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: dict[str, Any],
    returning: InstrumentedAttribute[Any],
) -> Any | None:
    """Insert a row unless it collides with a unique key; return `returning` or None."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    statement = _statement(dialect, model, returning.key)
    result = await session.execute(statement, values)
    return result.scalar_one_or_none()


async def insert_ignore_many(
    session: AsyncSession, model: type[DeclarativeBase], rows: list[dict[str, Any]]
) -> None:
    """Insert rows in one statement, skipping those that collide with a unique key."""
    if rows:
        dialect = session.bind.dialect.name if session.bind else "sqlite"
        # one row as a plain execute: SQLAlchemy's many-rows path costs more than the row
        await session.execute(_statement(dialect, model, None), rows[0] if len(rows) == 1 else rows)


@cache
def _statement(dialect: str, model: type[DeclarativeBase], returning: str | None) -> Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    statement = insert(table).on_conflict_do_nothing()
    return statement.returning(table.c[returning]) if returning else statement
