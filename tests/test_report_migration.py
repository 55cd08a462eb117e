"""Migration 0007 works out the calendar facts of the cases a database already holds."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from mediation.deadlines import DeadlinePolicy
from mediation.reports import CalendarFactsCalculator, Month
from mediation.workdays import WorkingCalendar
from storage import reports
from storage.db import create_engine, create_session_factory
from storage.migrate import alembic_config, upgrade_to_head
from storage.models import Case

from .report_seed import CASES, SHANGHAI, seed_month


def upgrade_to(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


async def test_upgrade_fills_in_the_facts_of_existing_cases_as_the_bot_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's in the way
    for name in ("TIAOJIE_ACCEPTANCE_DAYS", "TIAOJIE_SETTLEMENT_DAYS", "TIAOJIE_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    sessions = create_session_factory(engine)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: upgrade_to(c, "0006"))
        await seed_month_at_0006(engine, tmp_path)

        await upgrade_to_head(engine)

        calculator = CalendarFactsCalculator(WorkingCalendar(), DeadlinePolicy(), SHANGHAI)
        async with sessions() as session:
            stored = (await session.execute(select(Case).order_by(Case.id))).scalars().all()
            assert len(stored) == len(CASES)
            for case in stored:
                facts = calculator.facts(case.received_at, case.accepted_at, case.closed_at)
                assert (case.overdue_at, case.working_days_to_close) == (
                    facts.overdue_at,
                    facts.working_days_to_close,
                ), case.number
            assert await session.scalar(select(Case.id).where(reports.facts_unknown())) is None
            june = await reports.monthly_report(
                session, Month(2026, 6), SHANGHAI, WorkingCalendar()
            )
        assert june.overdue == 2 and june.avg_working_days_to_close == 4.6
    finally:
        await engine.dispose()


async def test_upgrade_judges_existing_cases_by_the_settings_handed_in_not_by_bot_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0007 takes the deployment's deadline settings from Alembic's config
    (`storage.migrate`); `storage/` never reads `bot.settings` nor the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIAOJIE_ACCEPTANCE_DAYS", "30")  # what reading the environment would see
    monkeypatch.setitem(sys.modules, "bot.settings", None)  # importing it now fails
    handed_in = DeadlinePolicy(acceptance_days=2, settlement_days=3)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    sessions = create_session_factory(engine)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: upgrade_to(c, "0006"))
        await seed_month_at_0006(engine, tmp_path)

        await upgrade_to_head(engine, deadline_policy=handed_in, timezone=SHANGHAI)

        by_handed_in = CalendarFactsCalculator(WorkingCalendar(), handed_in, SHANGHAI)
        by_default = CalendarFactsCalculator(WorkingCalendar(), DeadlinePolicy(), SHANGHAI)
        differs = 0
        async with sessions() as session:
            for case in (await session.execute(select(Case))).scalars():
                times = (case.received_at, case.accepted_at, case.closed_at)
                assert case.overdue_at == by_handed_in.facts(*times).overdue_at, case.number
                differs += case.overdue_at != by_default.facts(*times).overdue_at
        assert differs  # the seeded month tells the two policies apart
    finally:
        await engine.dispose()


def test_no_storage_module_imports_the_bot() -> None:
    storage = Path(__file__).resolve().parents[1] / "storage"
    for path in storage.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            assert not [n for n in names if n.split(".")[0] in ("bot", "handlers", "web")], path


async def seed_month_at_0006(engine: AsyncEngine, tmp_path: Path) -> None:
    """The seeded month written into the 0006 schema (columns added since left out)."""
    scratch = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'scratch.sqlite3'}")
    try:
        await upgrade_to_head(scratch)
        await seed_month(create_session_factory(scratch))
        async with scratch.connect() as source:
            tables = ["rooms", "merchants", "members", "cases"]
            rows = {
                table: [
                    dict(row._mapping)
                    for row in await source.exec_driver_sql(f"SELECT * FROM {table}")
                ]
                for table in tables
            }
    finally:
        await scratch.dispose()
    async with engine.begin() as target:
        for table in tables:
            present = await target.run_sync(
                lambda c, table=table: {column["name"] for column in inspect(c).get_columns(table)}
            )
            for row in rows[table]:
                values = {name: value for name, value in row.items() if name in present}
                columns = ", ".join(values)
                marks = ", ".join(f":{name}" for name in values)
                await target.exec_driver_sql(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})", values
                )
