"""Wiring: one process holds the database, the gateway, the inbox worker, the outbox sender,
the scheduler and the web app, and starts and stops them in that order.

Start-up comes in two steps, so that an operator restarting the bot waits for the database,
not for jieba. First the schema is checked; then jieba's dictionary starts loading in a thread
(a second or more) while the gateway connects and messages are accepted: each is committed to
the inbox, so /healthz can answer and nothing is lost. Once the dictionary is loaded the inbox
worker starts and handles every message waiting in the inbox in arrival order, those accepted
while loading included. The scheduler starts last, so no timed job runs before the bot
handles messages.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import shutil
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import select, text

from handlers import HandlerConfig, SharedState
from handlers.deadline_sweep import SweepResult
from handlers.exports import build_workbook
from handlers.rate_limit import SenderRateLimiter
from mediation.clock import Clock, SystemClock
from mediation.parsing import ComplaintParser, MerchantEntry
from mediation.parsing.model import deployed_model
from mediation.workdays import WorkingCalendar
from scheduler import JobSettings, TimedWork, add_jobs, build_scheduler, catch_up, timed_jobs
from storage.calendar import load_overrides
from storage.db import create_engine, create_session_factory
from storage.models import Merchant
from storage.offices import sync_offices
from storage.schema import ensure_schema_at_head
from web import create_app
from web.admin_api import API_DESCRIPTION, admin_router
from web.board import board_router
from web.disclosure import disclosure_router
from web.learning import hot_issue_source, typical_cases_router
from web.meeting import meeting_router
from web.monthly import MonthlyData

from .dispatcher import MessageDispatcher
from .gateway import ChatGateway
from .messages import IncomingMessage
from .outbox_sender import OutboxSender
from .sandbox import SANDBOX_STAFF_ID, SandboxGateway, sandbox_router
from .settings import Settings

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

ParserState = Literal["loading", "ready", "failed"]  # "ready": messages are being handled


class BotApp:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        gateway: ChatGateway | None = None,
        parser: ComplaintParser | None = None,
        freeze_loaded_objects: bool = False,
    ) -> None:
        self.settings = settings
        # a process of its own (`tiaojie run`): see `_freeze_loaded_objects`
        self._freeze_loaded_objects = freeze_loaded_objects
        self.clock = clock or SystemClock()
        self.timezone = ZoneInfo(settings.timezone)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(
            settings.resolved_database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        self.sessions = create_session_factory(self.engine)
        self.parser = parser or ComplaintParser(
            cache_dir=settings.data_dir / "cache", model=deployed_model(settings.data_dir)
        )
        self.handler_config = HandlerConfig(
            bot_id=settings.bot_id,
            bot_name=settings.bot_name,
            admins=admins_of(settings),
            timezone=self.timezone,
            max_message_chars=settings.max_message_chars,
            deadline_policy=settings.deadline_policy(),
            duplicate_window=timedelta(days=settings.duplicate_window_days),
            data_dir=settings.data_dir,
            summary_show_merchants=settings.summary_show_merchants,
            typical_name_merchants=settings.typical_name_merchants,
            spike_merchant_count=settings.spike_merchant_count,
            spike_merchant_days=settings.spike_merchant_days,
            spike_category_min=settings.spike_category_min,
            staff_room=settings.staff_room or None,
            max_amount=settings.max_amount,
        )
        self.shared = SharedState(
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
            account_id=settings.bot_id,
        )
        self.timed_work = TimedWork(
            self.sessions,
            self.clock,
            self.handler_config,
            calendar=lambda: self.shared.calendar,
            settings=JobSettings(
                sweep_minutes=settings.sweep_minutes,
                summary_day=settings.summary_day,
                summary_time=settings.summary_time,
                contact_retention_days=settings.contact_retention_days,
                media_dir=settings.data_dir / "media",
                fangxin_review_threshold=settings.fangxin_review_threshold,
                digest_time=settings.digest_time,
                staff_room=settings.staff_room,
            ),
            on_queued=self.sender.wake,
        )
        self.dispatcher = MessageDispatcher(
            self.sessions,
            config=self.handler_config,
            shared=self.shared,
            clock=self.clock,
            on_replies_queued=self.sender.wake,
            on_reload=self.reload_reference_data,
        )
        # Commits messages to the inbox while the parser loads; its worker never starts, the
        # real dispatcher picks those messages up from the inbox once the parser is ready.
        self._intake: MessageDispatcher | None = MessageDispatcher(
            self.sessions, config=self.handler_config, shared=self.shared, clock=self.clock
        )
        self._intake_lock = asyncio.Lock()
        self._handling = False
        self.parser_state: ParserState = "loading"
        self._loading: asyncio.Task[None] | None = None
        self._report_loading_failure = False
        self._scheduler: AsyncIOScheduler | None = None
        self._started = False
        self._connecting: asyncio.Task[None] | None = None
        # `tiaojie run`: the gateway could not start at all (a refused token); the process
        # should exit non-zero, which `on_fatal` (set by the CLI) arranges
        self.fatal_error: BaseException | None = None
        self.on_fatal: Callable[[], object] | None = None

    @property
    def scheduler(self) -> AsyncIOScheduler:
        """Made when first needed: APScheduler's import is not worth waiting for at start."""
        if self._scheduler is None:
            self._scheduler = build_scheduler(self.timezone)
        return self._scheduler

    def _default_gateway(self) -> ChatGateway:
        if self.settings.resolved_gateway == "wechaty":
            # imported here: python-wechaty is only loaded when it is used
            from .wechaty_gateway import ConnectionTimings, WechatyGateway

            return WechatyGateway(
                token=self.settings.wechaty_puppet_service_token,
                endpoint=self.settings.wechaty_puppet_service_endpoint,
                data_dir=self.settings.data_dir,
                greeting=self.settings.greeting,
                # no login deadline: the web side serves meanwhile and /healthz tells; only
                # a token refused at the first connection ends the start (and the process)
                timings=ConnectionTimings(login=math.inf),
            )
        self.sandbox = SandboxGateway(
            self.sessions,
            clock=self.clock,
            bot_id=self.settings.bot_id,
            bot_name=self.settings.bot_name,
            media_dir=self.settings.data_dir / "media",
        )
        return self.sandbox

    async def start(self, *, wait_until_ready: bool = True) -> None:
        """Check the schema, then accept messages; load the parser and handle them after.

        With `wait_until_ready` (tests, scripts), return once messages are being handled;
        without it (`tiaojie run`), return as soon as messages are accepted.
        """
        started = time.perf_counter()
        await ensure_schema_at_head(
            self.engine,
            deadline_policy=self.handler_config.deadline_policy,
            timezone=self.timezone,
        )
        async with self.sessions.begin() as session:
            await sync_offices(session, self.settings.office_list())
        await self.reload_merchants()
        await self.reload_calendar()
        self._report_loading_failure = not wait_until_ready
        # jieba loads while the gateway connects (a WeChat login takes seconds too)
        self._loading = asyncio.create_task(self._finish_start(started), name="parser-loading")
        self._loading.add_done_callback(self._loading_finished)
        if wait_until_ready:
            try:
                await self.gateway.start(self._accept)
            except BaseException:
                await self.stop()
                raise
        else:  # `tiaojie run`: the web side does not wait for a WeChat login
            self._connecting = asyncio.create_task(self._connect_gateway(), name="gateway")
        self._started = True
        await self.sender.start()
        log.info(
            "tiaojie accepts messages with the %s gateway (%.2f s)",
            self.gateway.name,
            time.perf_counter() - started,
        )
        if wait_until_ready:
            await self.until_ready()

    async def _connect_gateway(self) -> None:
        try:
            await self.gateway.start(self._accept)
        except Exception as error:
            log.error("the %s gateway cannot start: %s", self.gateway.name, error)
            self.fatal_error = error
            if self.on_fatal is not None:
                self.on_fatal()

    async def until_ready(self) -> None:
        """Wait until the parser is loaded and messages are handled (raises if that failed)."""
        if self._loading is None:
            raise RuntimeError("the bot is not started")
        await asyncio.shield(self._loading)

    async def _finish_start(self, started: float) -> None:
        try:
            await asyncio.to_thread(self.parser.prepare)
            if self._freeze_loaded_objects:
                freeze_loaded_objects()
            async with self._intake_lock:  # no message is being accepted while we switch
                await self.dispatcher.start()  # queues the inbox's backlog, in arrival order
                self._handling = True
                self._intake = None
        except Exception:
            self.parser_state = "failed"  # /healthz: 503, messages wait in the inbox
            raise
        self.parser_state = "ready"  # set with the log line: nothing runs in between
        log.info("tiaojie handles messages (%.2f s)", time.perf_counter() - started)
        jobs = timed_jobs(self.timed_work)
        add_jobs(self.scheduler, jobs, self.timezone)
        try:
            await catch_up(jobs)  # e.g. the monthly summary, if the bot was down at that time
        finally:
            self.scheduler.start()

    def _loading_finished(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        error = task.exception()  # retrieved here, so asyncio never calls it unhandled
        if error is not None and self._report_loading_failure:
            log.error("start-up did not finish; messages stay in the inbox", exc_info=error)

    async def _accept(self, message: IncomingMessage) -> bool:
        """The gateway's sink: commit to the inbox; queue for handling once handling runs."""
        if self._handling:
            return await self.dispatcher.accept(message)
        async with self._intake_lock:
            target = self.dispatcher if self._handling else self._intake
            assert target is not None
            return await target.accept(message)

    async def stop(self) -> None:
        """Stop in reverse order; safe at any point of start-up, parser loading included."""
        loading, self._loading = self._loading, None
        if loading is not None and not loading.done():
            loading.cancel()  # a dictionary load in progress finishes in its thread, unused
            with suppress(asyncio.CancelledError, Exception):
                await loading
        scheduler = self._scheduler if self._scheduler and self._scheduler.running else None
        if scheduler is not None:
            scheduler.pause()  # no new runs; a run just submitted registers itself
            await asyncio.sleep(0)
        # before the scheduler's shutdown, which cancels every job still running
        await self.timed_work.finish(within=GATEWAY_STOP_SECONDS)
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        connecting, self._connecting = self._connecting, None
        if connecting is not None and not connecting.done():
            connecting.cancel()  # the gateway's start stops what it began (bounded)
            await asyncio.wait({connecting}, timeout=GATEWAY_STOP_SECONDS)
        if self._started:
            await self.gateway.stop()
        await self.dispatcher.stop()  # each of these is a no-op if it never started
        await self.sender.stop()
        if self._started:
            log.info("tiaojie stopped")
        self._started = False
        self._handling = False
        await self.engine.dispose()

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
        self.shared.calendar = WorkingCalendar(holidays, working_days)

    async def sweep_deadlines(self) -> SweepResult:
        return await self.timed_work.sweep()

    async def post_monthly_summaries(self) -> int:
        return await self.timed_work.monthly_summary()

    async def settle(self) -> None:
        """Handle everything queued and deliver what is due (tests, scripts)."""
        await self.until_ready()
        await self.dispatcher.drain()
        await self.sender.deliver_due()

    async def health(self) -> dict[str, bool | str]:
        """The database takes a write, the data directory has room, the gateway is up (and
        its state, such as `token_refused`); the parser's state as is (healthy unless
        "failed")."""
        return {
            "database": await self._database_writable(),
            "disk": _has_room(self.settings.data_dir),
            "gateway": self.gateway.ready,
            "gateway_state": getattr(
                self.gateway, "state", "online" if self.gateway.ready else "offline"
            ),
            "parser": self.parser_state,
        }

    async def _database_writable(self) -> bool:
        """A real write: a full disk or a read-only file answers SELECT 1 all the same.

        SQLite: rewrite the header's `user_version` (nothing else uses it) with its own
        value, a committed write like any other. PostgreSQL: the session must not be
        read-only (a standby); its disk shows in the server's own monitoring.
        """
        try:
            async with self.engine.begin() as connection:
                if connection.dialect.name == "sqlite":
                    version = (await connection.exec_driver_sql("PRAGMA user_version")).scalar()
                    await connection.exec_driver_sql(f"PRAGMA user_version = {int(version or 0)}")
                else:
                    read_only = await connection.scalar(text("SHOW transaction_read_only"))
                    return read_only == "off"
            return True
        except Exception as error:
            log.warning("healthz: the database refused a write: %s", type(error).__name__)
            return False

    def web_app(self, *, serve_while_loading: bool = False) -> FastAPI:
        """The web app; its lifespan starts and stops the bot. `serve_while_loading` lets it
        answer (and accept messages) while the parser loads, as `tiaojie run` does."""

        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            await self.start(wait_until_ready=not serve_while_loading)
            try:
                yield
            finally:
                await self.stop()

        monthly = MonthlyData(
            self.sessions,
            clock=self.clock,
            timezone=self.timezone,
            calendar=lambda: self.shared.calendar,
            policy=self.handler_config.deadline_policy,
        )
        routers = [
            admin_router(
                monthly, build_workbook=build_workbook, on_merchants_changed=self.reload_merchants
            ),
            meeting_router(monthly, lambda: self.handler_config),
            typical_cases_router(monthly),  # before the board: /board/cases is not a month
            disclosure_router(  # before the board: /board/merchants is not a month
                monthly,
                enabled=self.settings.disclosure_enabled,
                min_complaints=self.settings.disclosure_min_complaints,
            ),
            board_router(
                monthly,
                show_merchants=self.handler_config.summary_show_merchants,
                hot_issues=hot_issue_source(
                    monthly, show_merchants=self.handler_config.summary_show_merchants
                ),
            ),
        ]
        expose_sandbox = self.sandbox is not None and self.settings.sandbox_api_enabled
        if expose_sandbox and self.sandbox is not None:
            routers.insert(0, sandbox_router(self.sandbox))  # matched first: asked most often
        return create_app(
            health=self.health,
            lifespan=lifespan,
            routers=routers,
            sandbox_page=expose_sandbox,
            bot_identity=(self.settings.bot_id, self.settings.bot_name),
            sandbox_staff_is_admin=SANDBOX_STAFF_ID in self.handler_config.admins,
            description=API_DESCRIPTION,
        )


def admins_of(settings: Settings) -> frozenset[str]:
    """TIAOJIE_ADMINS, and with the sandbox gateway the sandbox page's staff identity."""
    admins = set(settings.admins)
    if settings.resolved_gateway == "sandbox":
        admins.add(SANDBOX_STAFF_ID)
    return frozenset(admins)


GATEWAY_STOP_SECONDS = 10.0
DISK_MINIMUM_BYTES = 64 * 1024 * 1024  # below this, the data directory counts as full


def _has_room(data_dir: Path) -> bool:
    try:
        return shutil.disk_usage(data_dir).free >= DISK_MINIMUM_BYTES
    except OSError:
        return False


def freeze_loaded_objects() -> None:
    """Leave what start-up loaded (above all the parser's dictionary, over 100,000 objects)
    out of the garbage collector's passes. A full pass walked them all every time, a pause of
    the event loop and the longest waits of the load benchmark (docs/BENCHMARKS.md). They
    are still freed when nothing refers to them;
    only a cycle among them would now be kept, and start-up leaves none behind (collected
    first)."""
    gc.collect()
    gc.freeze()
