"""Wiring: one process holds the database, the gateway, the inbox worker, the outbox sender,
the scheduler and the web app, and starts and stops them in that order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import select, text

from handlers import HandlerConfig
from mediation.clock import Clock, SystemClock
from mediation.parsing import ComplaintParser, MerchantEntry
from scheduler import build_scheduler
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_to_head
from storage.models import Merchant
from web import create_app

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
        self.engine = create_engine(settings.resolved_database_url)
        self.sessions = create_session_factory(self.engine)
        self.parser = ComplaintParser(cache_dir=settings.data_dir / "cache")
        self.handler_config = HandlerConfig(
            bot_id=settings.bot_id,
            bot_name=settings.bot_name,
            admins=frozenset(settings.admins),
            timezone=self.timezone,
            max_message_chars=settings.max_message_chars,
        )
        self.sandbox: SandboxGateway | None = None
        if gateway is None:
            gateway = self._default_gateway()
        self.gateway = gateway
        self.sender = OutboxSender(
            self.sessions, gateway, clock=self.clock, max_attempts=settings.outbox_max_attempts
        )
        self.dispatcher = MessageDispatcher(
            self.sessions,
            config=self.handler_config,
            parser=self.parser,
            clock=self.clock,
            on_replies_queued=self.sender.wake,
        )
        self.scheduler = build_scheduler(self.timezone)
        self._started = False

    def _default_gateway(self) -> ChatGateway:
        if self.settings.resolved_gateway == "wechaty":
            raise NotImplementedError("the Wechaty gateway is not available yet")
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
        await asyncio.to_thread(self.parser.prepare)
        await self.gateway.start(self.dispatcher.accept)
        await self.dispatcher.start()
        await self.sender.start()
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

        routers = []
        expose_sandbox = self.sandbox is not None and self.settings.sandbox_api_enabled
        if expose_sandbox and self.sandbox is not None:
            routers.append(sandbox_router(self.sandbox))
        return create_app(
            health=self.health, lifespan=lifespan, routers=routers, sandbox_page=expose_sandbox
        )
