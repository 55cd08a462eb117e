"""Wiring: one process holds the database, the gateway, the inbox worker, the outbox sender,
the scheduler and the web app, and starts and stops them in that order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import select, text

from handlers import HandlerConfig, Services
from handlers.deadline_sweep import SweepResult, sweep_deadlines, warn_if_next_year_unknown
from handlers.erasure import erase_expired
from handlers.exports import build_workbook
from handlers.monthly_summary import post_monthly_summaries
from handlers.rate_limit import SenderRateLimiter
from mediation.clock import Clock, SystemClock
from mediation.deadlines import DeadlinePolicy
from mediation.parsing import ComplaintParser, MerchantEntry
from mediation.workdays import WorkingCalendar
from scheduler import build_scheduler
from storage.calendar import load_overrides
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_to_head
from storage.models import Merchant
from web import create_app
from web.admin_api import API_DESCRIPTION, admin_router
from web.board import board_router
from web.monthly import MonthlyData

from .dispatcher import MessageDispatcher
from .gateway import ChatGateway
from .outbox_sender import OutboxSender
from .sandbox import SandboxGateway, sandbox_router
from .settings import Settings

log = logging.getLogger(__name__)


class BotApp:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        gateway: ChatGateway | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.timezone = ZoneInfo(settings.timezone)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(
            settings.resolved_database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        self.sessions = create_session_factory(self.engine)
        self.parser = ComplaintParser(cache_dir=settings.data_dir / "cache")
        self.handler_config = HandlerConfig(
            bot_id=settings.bot_id,
            bot_name=settings.bot_name,
            admins=frozenset(settings.admins),
            timezone=self.timezone,
            max_message_chars=settings.max_message_chars,
            deadline_policy=DeadlinePolicy(
                acceptance_days=settings.acceptance_days,
                first_answer_days=settings.first_answer_days,
                settlement_days=settings.settlement_days,
                mediation_limit_days=settings.mediation_limit_days,
                remind_before_days=settings.remind_before_days,
            ),
            duplicate_window=timedelta(days=settings.duplicate_window_days),
            data_dir=settings.data_dir,
            summary_show_merchants=settings.summary_show_merchants,
        )
        self.services = Services(
            parser=self.parser,
            calendar=WorkingCalendar(),
            rate_limiter=SenderRateLimiter(settings.sender_messages_per_minute),
        )
        self.sandbox: SandboxGateway | None = None
        if gateway is None:
            gateway = self._default_gateway()
        self.gateway = gateway
        self.sender = OutboxSender(
            self.sessions,
            gateway,
            clock=self.clock,
            max_attempts=settings.outbox_max_attempts,
            room_messages_per_minute=settings.room_messages_per_minute,
        )
        self.dispatcher = MessageDispatcher(
            self.sessions,
            config=self.handler_config,
            services=self.services,
            clock=self.clock,
            on_replies_queued=self.sender.wake,
            on_reload=self.reload_reference_data,
        )
        self.scheduler = build_scheduler(self.timezone)
        self._started = False

    def _default_gateway(self) -> ChatGateway:
        if self.settings.resolved_gateway == "wechaty":
            # imported here: python-wechaty is only loaded when it is used
            from .wechaty_gateway import WechatyGateway

            return WechatyGateway(
                token=self.settings.wechaty_puppet_service_token,
                endpoint=self.settings.wechaty_puppet_service_endpoint,
                data_dir=self.settings.data_dir,
                greeting=self.settings.greeting,
            )
        self.sandbox = SandboxGateway(
            self.sessions,
            clock=self.clock,
            bot_id=self.settings.bot_id,
            bot_name=self.settings.bot_name,
            media_dir=self.settings.data_dir / "media",
        )
        return self.sandbox

    async def start(self) -> None:
        await upgrade_to_head(self.engine)
        await self.reload_merchants()
        await self.reload_calendar()
        await asyncio.to_thread(self.parser.prepare)
        await self.gateway.start(self.dispatcher.accept)
        await self.dispatcher.start()
        await self.sender.start()
        if self.settings.sweep_minutes > 0:
            self.scheduler.add_job(
                self.sweep_deadlines,
                "interval",
                minutes=self.settings.sweep_minutes,
                id="deadline-sweep",
                next_run_time=datetime.now(self.timezone),
            )
        self.scheduler.add_job(
            self.post_monthly_summaries,
            "cron",
            day=self.settings.summary_day,
            hour=self.settings.summary_time.hour,
            minute=self.settings.summary_time.minute,
            id="monthly-summary",
        )
        await self.post_monthly_summaries()  # catch up if the bot was down at that time
        self.scheduler.start()
        self._started = True
        log.info("tiaojie started with the %s gateway", self.gateway.name)

    async def stop(self) -> None:
        if not self._started:
            await self.engine.dispose()
            return
        self.scheduler.shutdown(wait=False)
        await self.gateway.stop()
        await self.dispatcher.stop()
        await self.sender.stop()
        await self.engine.dispose()
        self._started = False
        log.info("tiaojie stopped")

    async def reload_merchants(self) -> None:
        async with self.sessions() as session:
            rows = await session.scalars(select(Merchant))
            entries = [MerchantEntry(m.id, m.name, tuple(m.aliases)) for m in rows]
        self.parser.update_merchants(entries)

    async def reload_reference_data(self, kinds: frozenset[str]) -> None:
        if "merchants" in kinds:
            await self.reload_merchants()
        if "calendar" in kinds:
            await self.reload_calendar()

    async def reload_calendar(self) -> None:
        async with self.sessions() as session:
            holidays, working_days = await load_overrides(session)
        self.services.calendar = WorkingCalendar(holidays, working_days)

    async def sweep_deadlines(self) -> SweepResult:
        result = await sweep_deadlines(
            self.sessions,
            now=self.clock.now(),
            config=self.handler_config,
            calendar=self.services.calendar,
        )
        warnings = await warn_if_next_year_unknown(
            self.sessions,
            now=self.clock.now(),
            config=self.handler_config,
            calendar=self.services.calendar,
        )
        if self.settings.contact_retention_days > 0:
            await erase_expired(
                self.sessions,
                now=self.clock.now(),
                retention=timedelta(days=self.settings.contact_retention_days),
            )
        if result.actions or warnings:
            self.sender.wake()
        return result

    async def post_monthly_summaries(self) -> int:
        posted = await post_monthly_summaries(
            self.sessions,
            now=self.clock.now(),
            config=self.handler_config,
            calendar=self.services.calendar,
            charts_dir=self.settings.data_dir / "media",
            publish_day=self.settings.summary_day,
            publish_time=self.settings.summary_time,
        )
        if posted:
            self.sender.wake()
        return posted

    async def settle(self) -> None:
        """Handle everything queued and deliver what is due (tests, scripts)."""
        await self.dispatcher.drain()
        await self.sender.deliver_due()

    async def health(self) -> dict[str, bool]:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            database = True
        except Exception:
            database = False
        return {"database": database, "gateway": self.gateway.ready}

    def web_app(self) -> FastAPI:
        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        monthly = MonthlyData(
            self.sessions,
            clock=self.clock,
            timezone=self.timezone,
            calendar=lambda: self.services.calendar,
            policy=self.handler_config.deadline_policy,
        )
        routers = [
            admin_router(
                monthly, build_workbook=build_workbook, on_merchants_changed=self.reload_merchants
            ),
            board_router(monthly, show_merchants=self.handler_config.summary_show_merchants),
        ]
        expose_sandbox = self.sandbox is not None and self.settings.sandbox_api_enabled
        if expose_sandbox and self.sandbox is not None:
            routers.append(sandbox_router(self.sandbox))
        return create_app(
            health=self.health,
            lifespan=lifespan,
            routers=routers,
            sandbox_page=expose_sandbox,
            bot_identity=(self.settings.bot_id, self.settings.bot_name),
            description=API_DESCRIPTION,
        )
