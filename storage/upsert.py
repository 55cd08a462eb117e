"""INSERT … ON CONFLICT for SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute


async def insert_ignore(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: dict[str, Any],
    returning: InstrumentedAttribute[Any],
) -> Any | None:
    """Insert a row unless it collides with a unique key; return `returning` or None."""
    statement = insert_ignore_statement(session, model).returning(returning)
    return (await session.execute(statement, values)).scalar_one_or_none()


def insert_ignore_statement(
    on: AsyncSession | AsyncConnection, model: type[DeclarativeBase]
) -> Insert:
    """The statement for `model`'s table on the database `on` is bound to."""
    return dialect_insert(on, model.__table__).on_conflict_do_nothing()


async def count_up(
    session: AsyncSession, model: type[DeclarativeBase], key: dict[str, Any], counter: str
) -> int:
    """Add one to the `counter` of the row `key`, created at 1 if missing (also when another
    process creates it at the same moment); the new count. One statement."""
    table = model.__table__
    statement = dialect_insert(session, table).values(**key, **{counter: 1})
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={counter: table.c[counter] + 1}
    )
    return int(await session.scalar(statement.returning(table.c[counter])))


def dialect_insert(on: AsyncSession | AsyncConnection, target: Any) -> Any:
    """`insert(target)` of the database `on` is bound to, which has `on_conflict_do_…`."""
    dialect = on.dialect if isinstance(on, AsyncConnection) else on.bind.dialect
    return (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(target)
