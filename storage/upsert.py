"""INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL alike.

The statement for a (database, table, returned columns) is built once and the row goes in as
parameters: building it with `.values(**row)` coerced every value and computed a fresh cache
key on each call, which cost more than running it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert, Row
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
    result = await session.execute(
        insert_ignore_statement(_dialect(session), model, (returning.key,)), values
    )
    return result.scalar_one_or_none()


async def insert_ignore_many(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: list[dict[str, Any]],
    returning: tuple[str, ...] = (),
) -> list[Row[Any]]:
    """Insert rows in one statement, skipping those that collide with a unique key; return
    the `returning` columns of the rows inserted (in no promised order)."""
    if not rows:
        return []
    statement = insert_ignore_statement(_dialect(session), model, returning)
    # one row as a plain execute: SQLAlchemy's many-rows path costs more than the row
    result = await session.execute(statement, rows[0] if len(rows) == 1 else rows)
    return list(result.all()) if returning else []


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


@cache
def insert_ignore_statement(
    dialect: str, model: type[DeclarativeBase], returning: tuple[str, ...] = ()
) -> Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    statement = insert(table).on_conflict_do_nothing()
    return statement.returning(*(table.c[name] for name in returning)) if returning else statement
