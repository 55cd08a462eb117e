"""Hot statements run straight on SQLite's driver, past SQLAlchemy's execution machinery.

SQLAlchemy spends 0.1–0.2 ms of Python on every statement it executes (the cache lookup, the
execution context, the result object), and the async session a little more; SQLite itself
takes about a tenth of that for the small statements the message path runs for every
message: storing an incoming message costs 0.9 ms through a session and ~0.2 ms here.

A `DriverStatement` is a Core statement compiled once for the connection's dialect. On
SQLite it is run on the very `sqlite3` connection under the caller's SQLAlchemy connection
or session, so it joins the caller's transaction exactly as the statements SQLAlchemy runs
do; the values go in and come out through the column types' own bind and result
processors, so they are stored and read as through the engine. On any other database the
statement is simply executed through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

Processor = Callable[[Any], Any] | None
_REQUIRED = object()  # a parameter the caller gives a value for


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in their positions
    fixed: tuple[Any, ...]  # values the statement carries itself (SQLite's OFFSET 0)
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]


class DriverStatement:
    """A statement with named parameters, to run often with different values. `build`
    makes it for a dialect ("sqlite", "postgresql"), once; an INSERT without explicit
    values takes the columns of the values given."""

    def __init__(self, build: Callable[[str], Executable]) -> None:
        self._build = build
        self._statements: dict[str, Executable] = {}
        self._compiled: dict[tuple[str, ...], _Compiled] = {}

    async def rows(
        self, on: AsyncSession | AsyncConnection, values: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """Run it once; the rows it returns (RETURNING or SELECT), as plain tuples."""
        return await self.rows_each(on, [values])

    async def rows_each(
        self, on: AsyncSession | AsyncConnection, values: Sequence[Mapping[str, Any]]
    ) -> list[tuple[Any, ...]]:
        """Run it for each set of values (all with the same keys); every row returned."""
        if not values:
            return []
        connection = await _connection(on)
        dialect = connection.dialect
        if dialect.name != "sqlite":
            parameters = [dict(row) for row in values]
            result = await connection.execute(
                self._statement(dialect.name), parameters[0] if len(values) == 1 else parameters
            )
            return [tuple(row) for row in result] if result.returns_rows else []
        compiled = self._compile(dialect, values[0])
        cursor = (await _driver(connection)).cursor()
        found: list[tuple[Any, ...]] = []
        for row in values:
            await cursor.execute(compiled.sql, _positional(compiled, row))
            found += [_decoded(compiled, returned) for returned in await cursor.fetchall()]
        await cursor.close()
        return found

    async def run_many(
        self, on: AsyncSession | AsyncConnection, values: Sequence[Mapping[str, Any]]
    ) -> None:
        """Run it for each set of values (all with the same keys), returning nothing."""
        if not values:
            return
        connection = await _connection(on)
        dialect = connection.dialect
        if dialect.name != "sqlite":
            await connection.execute(self._statement(dialect.name), [dict(row) for row in values])
            return
        compiled = self._compile(dialect, values[0])
        cursor = (await _driver(connection)).cursor()
        await cursor.executemany(compiled.sql, [_positional(compiled, row) for row in values])
        await cursor.close()

    def _statement(self, dialect_name: str) -> Executable:
        statement = self._statements.get(dialect_name)
        if statement is None:
            statement = self._statements[dialect_name] = self._build(dialect_name)
        return statement

    def _compile(self, dialect: Dialect, values: Mapping[str, Any]) -> _Compiled:
        keys = tuple(values)
        found = self._compiled.get(keys)
        if found is None:
            statement = self._statement(dialect.name)
            compiled = statement.compile(dialect=dialect, column_keys=list(keys))
            assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None
            if compiled.post_compile_params:  # an IN (...) is rendered anew for each call
                raise ValueError("a driver statement takes no expanding parameters")
            names = tuple(compiled.positiontup)
            fixed = tuple(
                _REQUIRED if compiled.binds[name].required else compiled.binds[name].value
                for name in names
            )
            binds = tuple(_bind_processor(compiled.binds[name].type, dialect) for name in names)
            returned = statement.exported_columns  # type: ignore[attr-defined]
            results = tuple(_result_processor(column.type, dialect) for column in returned)
            found = self._compiled[keys] = _Compiled(compiled.string, names, fixed, binds, results)
        return found


def _bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor:
    return type_.dialect_impl(dialect).bind_processor(dialect)  # as the dialect stores it


def _result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor:
    return type_.dialect_impl(dialect).result_processor(dialect, None)


async def holds_sqlite_write_lock(session: AsyncSession) -> bool:
    """Whether the session's SQLite connection is inside a transaction that has written:
    no other connection can commit until it ends, so what it read since stays current.
    (Python's `sqlite3` opens the transaction at the first write.)"""
    connection = await session.connection()
    if connection.dialect.name != "sqlite":
        return False
    driver = await _driver(connection)
    return bool(getattr(driver, "_conn", driver).in_transaction)


async def _connection(on: AsyncSession | AsyncConnection) -> AsyncConnection:
    return await on.connection() if isinstance(on, AsyncSession) else on


async def _driver(connection: AsyncConnection) -> Any:
    raw = await connection.get_raw_connection()
    return raw.driver_connection


def _positional(compiled: _Compiled, values: Mapping[str, Any]) -> list[Any]:
    return [
        value if process is None else process(value)
        for value, process in zip(
            (
                values[name] if name in values or fixed is _REQUIRED else fixed
                for name, fixed in zip(compiled.names, compiled.fixed, strict=True)
            ),
            compiled.binds,
            strict=True,
        )
    ]


def _decoded(compiled: _Compiled, row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(
        value if process is None else process(value)
        for value, process in zip(row, compiled.results, strict=True)
    )
