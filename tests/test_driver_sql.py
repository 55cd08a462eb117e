"""Statements run on the driver store and read values as the engine does, inside the
caller's transaction, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine, create_session_factory
from storage.driver_sql import DriverStatement
from storage.migrate import upgrade_to_head
from storage.models import InboxMessage
from storage.upsert import insert_ignore_statement

INBOX = InboxMessage.__table__
STORE = DriverStatement(
    lambda dialect: insert_ignore_statement(dialect, InboxMessage, ("id", "received_at"))
)
READ = DriverStatement(
    lambda _dialect: select(INBOX.c.mention_ids, INBOX.c.truncated, INBOX.c.sent_at).where(
        INBOX.c.message_id == bindparam("wanted")
    )
)
AT = datetime(2026, 6, 1, 1, 2, 3, 456789, tzinfo=UTC)


def row(message_id: str) -> dict[str, object]:
    return {
        "message_id": message_id,
        "room_id": "room-huxi",
        "sender_id": "grid-li",
        "sender_name": "网格员小李",
        "text": "【投诉】多收58元",
        "truncated": True,
        "mention_ids": ["staff-wang", "商家"],
        "is_direct": False,
        "sent_at": AT,
        "received_at": AT,
        "account_id": None,
        "state": "received",
        "attempts": 0,
    }


@pytest.fixture
async def engine(each_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(each_database)
    await upgrade_to_head(engine)
    yield engine
    await engine.dispose()


async def test_values_are_stored_and_read_as_through_the_orm(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        ((inbox_id, received_at),) = await STORE.rows(connection, row("m-1"))
    assert received_at == AT and received_at.tzinfo is not None

    async with create_session_factory(engine)() as session:
        stored = await session.get(InboxMessage, inbox_id)
        assert stored is not None
        assert (stored.mention_ids, stored.truncated, stored.sent_at) == (
            ["staff-wang", "商家"],
            True,
            AT,
        )
        assert await READ.rows(session, {"wanted": "m-1"}) == [(["staff-wang", "商家"], True, AT)]


async def test_a_row_that_collides_returns_nothing_and_the_others_their_ids(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        await STORE.rows(connection, row("m-1"))
        returned = await STORE.rows_each(connection, [row("m-1"), row("m-2"), row("m-3")])
    assert len(returned) == 2


async def test_statements_run_inside_the_callers_transaction(engine: AsyncEngine) -> None:
    async with create_session_factory(engine)() as session:
        await STORE.rows(session, row("m-1"))
        await session.rollback()
    async with engine.connect() as connection:
        assert await READ.rows(connection, {"wanted": "m-1"}) == []


async def test_an_expanding_parameter_is_refused(engine: AsyncEngine) -> None:
    expanding = DriverStatement(
        lambda _dialect: select(INBOX.c.id).where(INBOX.c.id.in_(bindparam("ids", expanding=True)))
    )
    async with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            pytest.skip("only SQLite runs statements on the driver")
        with pytest.raises(ValueError, match="expanding"):
            await expanding.rows(connection, {"ids": [1, 2]})
