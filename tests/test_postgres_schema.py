"""One Alembic chain for both databases: on PostgreSQL it builds exactly what the models
describe, and the report indexes of 0006 come off and go back on cleanly on both."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.migrate import alembic_config, upgrade_to_head
from storage.models import Base

REPORT_INDEXES = {"ix_cases_received_report", "ix_cases_closed_report", "ix_cases_accepted_at"}


def case_indexes(connection: Connection) -> set[str]:
    return {index["name"] for index in inspect(connection).get_indexes("cases") if index["name"]}


def downgrade_to(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection), revision)


async def test_migration_chain_builds_what_the_models_describe_on_postgresql(
    postgres_url: str,
) -> None:
    engine = create_engine(postgres_url)
    try:
        await upgrade_to_head(engine)  # a second run is a no-op
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert differences == []
    assert set(Base.metadata.tables) <= tables


async def test_report_indexes_come_off_and_go_back_on(each_database: str) -> None:
    engine = create_engine(each_database)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            with_indexes = await connection.run_sync(case_indexes)
            await connection.run_sync(lambda c: downgrade_to(c, "0005"))
            without = await connection.run_sync(case_indexes)
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            again = await connection.run_sync(case_indexes)
    finally:
        await engine.dispose()
    assert with_indexes >= REPORT_INDEXES
    assert not REPORT_INDEXES & without
    assert again == with_indexes
