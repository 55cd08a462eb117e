"""Apply the Alembic chain: on start-up and from `tiaojie db upgrade`."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from mediation.deadlines import DeadlinePolicy

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# what migrations that judge existing cases by the deadlines read (0007), and their defaults
DEADLINE_POLICY = "deadline_policy"
TIMEZONE = "timezone"
DEFAULT_TIMEZONE = "Asia/Shanghai"


def alembic_config(
    connection: Connection | None = None,
    *,
    deadline_policy: DeadlinePolicy | None = None,
    timezone: ZoneInfo | None = None,
) -> Config:
    """Alembic's config for our chain, carrying the connection and the deployment's
    deadline settings (the caller's, e.g. the bot's `Settings`; defaults without them)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    config.attributes[DEADLINE_POLICY] = deadline_policy or DeadlinePolicy()
    config.attributes[TIMEZONE] = timezone or ZoneInfo(DEFAULT_TIMEZONE)
    return config


async def upgrade_to_head(
    engine: AsyncEngine,
    *,
    deadline_policy: DeadlinePolicy | None = None,
    timezone: ZoneInfo | None = None,
) -> None:
    def upgrade(sync_connection: Connection) -> None:
        config = alembic_config(
            sync_connection, deadline_policy=deadline_policy, timezone=timezone
        )
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)
