"""The Alembic chain builds the schema the models describe, on an empty database."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import create_engine
from storage.migrate import upgrade_to_head
from storage.models import Base


async def test_migration_chain_upgrades_an_empty_database_to_the_models(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        await upgrade_to_head(engine)
        await upgrade_to_head(engine)  # a second run is a no-op

        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            differences = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
            journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
    finally:
        await engine.dispose()

    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert differences == []
    assert journal == "wal"
