"""Real WeChat groups through a Wechaty puppet service (python-wechaty 0.10.7).

The gateway drives the puppet itself instead of calling `Wechaty.start()`, which blocks while
connected, prints and swallows authentication errors, stops the whole event loop on some
puppet errors, waits a fixed 60 s before reconnecting, and starts wechaty's plugin web server
and job scheduler on login. Here one supervisor task connects, reads the event stream until
it ends, and reconnects with exponential back-off; a watchdog pings the service so a
connection that died silently is noticed. `start()` returns once the account is logged in;
a rejected token, an unreachable service or no login in time raise `WechatyLoginError`
instead of hanging, so `tiaojie run` exits non-zero with the reason.

Platform facts absorbed here:
- events are handled one at a time, in arrival order, so a conversation stays in order;
- the bot's own messages come back as events and are dropped;
- `Room`, `Contact` and `Tag` keep object caches on classes shared by every Wechaty instance
  and every reconnect; each connection gets fresh caches, or stale objects would talk to a
  closed connection;
- `Room.say(text, mention_ids)` reloads the sent message by the id the puppet returns and
  raises when there is none (the mock, some real puppets), after the text was delivered —
  the outbox would then send it again. The gateway calls the puppet the same way Room.say
  does, prefixing "@name" for each mentioned member, without the reload. Queued texts must
  therefore not contain the @names themselves;
- files travel inline (base64 in one gRPC message, 4 MiB at most): larger images are
  scaled down, other large files refused with `OutgoingFileTooLarge`;
- python-wechaty's gRPC calls have no deadline, and `PuppetService.start()` absorbs one
  cancellation (it calls the service's Start in a `finally`): a service that accepts the
  connection and never answers held a start, a stop and the whole process for ever. The
  gateway opens the connection itself with a stub whose every unary call has a deadline
  (`ConnectionTimings.call`; sends `send`), and waits for its own tasks only for a bounded
  time (`stop`), never swallowing its own cancellation;
- a send that timed out may still have gone out. The service reports every message the
  bot sends (the echo), so a timed-out send waits briefly for its echo, and a send retried
  while its earlier attempt is in doubt waits for that echo instead of sending again; it is
  sent again only if no echo came within `in_doubt` seconds;
- a token refused at the first connection is a configuration error: `start()` raises and
  `tiaojie run` exits non-zero. Refused on a reconnect (the service restarted with another
  token, an auth backend hiccup), it is retried with back-off and logged as an error each
  time, while the web side keeps serving and /healthz says `token_refused`: the process
  recovers by itself once the service takes the token again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from grpclib.client import Channel
from grpclib.const import Status
from grpclib.exceptions import GRPCError, StreamTerminatedError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
    wait_fixed,
)

from .gateway import Delivery, GatewayUnavailable, MessageSink, send_one_by_one
from .messages import IncomingMessage, OutgoingMessage
from .wechaty_compat import (
    EventLoginPayload,
    EventLogoutPayload,
    EventMessagePayload,
    EventRoomJoinPayload,
    EventScanPayload,
    FileBox,
    MessageType,
    PuppetOptions,
    PuppetService,
    PuppetStub,
    Wechaty,
    WechatyOptions,
    WechatyPuppetError,
)

log = logging.getLogger(__name__)

DIRECT_ROOM_PREFIX = "dm:"
"""Room id of a private chat with the bot: `dm:<contact id>`."""

MENTION_SEPARATOR = "\u2005"  # what WeChat puts after "@name"
MAX_INLINE_FILE_BYTES = 3 * 1024 * 1024 - 64 * 1024
"""Largest file sent inline: base64 grows it by 4/3 (3 MiB would be exactly 4 MiB), and the
JSON around it and the request need the rest of the 4 MiB gRPC limit."""

_AUTH_FAILURES = {Status.UNAUTHENTICATED, Status.PERMISSION_DENIED}


class WechatyLoginError(RuntimeError):
    """The gateway could not come up: token rejected, service unreachable, or no login."""


class OutgoingFileTooLarge(ValueError):
    """A file that cannot be sent inline and cannot be scaled down to fit."""


class _SessionFailed(Exception):
    """One connection attempt failed before the account was logged in."""


class _TokenRefused(_SessionFailed):
    """The service refused the token on a reconnect: retried, with back-off."""


@dataclass(frozen=True)
class ConnectionTimings:
    """Seconds. The defaults suit production; tests shorten them."""

    login: float = 120.0  # start(): the account must be logged in by then (inf: no limit)
    first_event: float = 15.0  # a new connection must stream its first event by then
    reconnect_initial: float = 1.0
    reconnect_max: float = 60.0
    ping_interval: float = 60.0
    ping_timeout: float = 10.0
    send: float = 30.0
    call: float = 10.0  # deadline of every other gRPC call (the event stream has none)
    stop: float = 5.0  # stop(): how long to wait for the connection's tasks to end
    echo_grace: float = 5.0  # a timed-out send waits this long for its echo
    in_doubt: float = 120.0  # a timed-out send without an echo is sent again after this


class DeadlinePuppetStub(PuppetStub):
    """wechaty's stub, with a deadline on every unary call that does not bring its own.

    python-wechaty and its accessories (Contact.ready, Message.ready, room members…) call
    the stub without a timeout; a service that never answers held them for ever.
    """

    SENDS = frozenset({"/wechaty.Puppet/MessageSendText", "/wechaty.Puppet/MessageSendFile"})

    def __init__(self, channel: Channel, *, call_timeout: float, send_timeout: float) -> None:
        super().__init__(channel)
        self.call_timeout = call_timeout
        self.send_timeout = send_timeout  # a file travels inline: up to 4 MiB

    async def _unary_unary(
        self, route: str, request: Any, response_type: Any, **kwargs: Any
    ) -> Any:
        timeout = self.send_timeout if route in self.SENDS else self.call_timeout
        if kwargs.get("timeout") is None and kwargs.get("deadline") is None:
            kwargs["timeout"] = timeout
        async with asyncio.timeout(timeout + 1.0):  # should grpclib's own deadline not fire
            return await super()._unary_unary(route, request, response_type, **kwargs)


@dataclass
class _InDoubt:
    """A send that timed out: delivered if its echo arrives."""

    echo: asyncio.Future[str]
    until: float  # loop time after which it is sent again


class WechatyGateway:
    name = "wechaty"
    # one account posting into many groups in the same instant looks like spam to WeChat
    parallel_sends = 4

    def __init__(
        self,
        *,
        token: str,
        endpoint: str,
        data_dir: Path,
        greeting: str = "",
        timings: ConnectionTimings | None = None,
        max_file_bytes: int = MAX_INLINE_FILE_BYTES,
    ) -> None:
        if not token:
            raise ValueError("the Wechaty gateway needs WECHATY_PUPPET_SERVICE_TOKEN")
        self._host, self._port = _split_endpoint(endpoint)
        self._token = token
        self._endpoint = endpoint
        self._greeting = greeting.strip()
        self._timings = timings or ConnectionTimings()
        self._max_file_bytes = max_file_bytes
        self._work_dir = data_dir / "wechaty"
        self._bot = Wechaty(
            WechatyOptions(
                puppet="wechaty-puppet-service",
                # always a fresh instance: the dataclass default is shared and mutated
                puppet_options=PuppetOptions(token=token, end_point=endpoint),
                # the plugin web server is never started; if it were: loopback, any free port
                host="127.0.0.1",
                port=0,
                # memory-only: wechaty's default job store is a SQLite file under CACHE_DIR
                scheduler=AsyncIOScheduler(),
            )
        )
        self._sink: MessageSink | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._puppet: PuppetService | None = None  # the current connection's puppet
        self._self_id: str | None = None
        self._online = False
        self._logins = 0
        self._logged_in = asyncio.Event()
        self._last_error = ""
        self._state = "stopped"
        # sends waiting for their echo, by (conversation, text as sent)
        self._echoes: dict[tuple[str, str], list[asyncio.Future[str]]] = {}
        self._in_doubt: dict[tuple[str, str, tuple[str, ...], str], _InDoubt] = {}

    @property
    def ready(self) -> bool:
        return self._online and self._puppet is not None

    @property
    def state(self) -> str:
        """For /healthz: stopped, connecting, online, logged_out, reconnecting or
        token_refused."""
        if self._state == "online" and not self.ready:
            return "logged_out" if self._puppet is not None else "reconnecting"
        return self._state

    @property
    def self_id(self) -> str | None:
        """The logged-in account's contact id, once known."""
        return self._self_id

    async def start(self, sink: MessageSink) -> None:
        if self._supervisor is not None:
            raise RuntimeError("the Wechaty gateway is already started")
        self._sink = sink
        self._logged_in.clear()
        self._state = "connecting"
        self._supervisor = asyncio.create_task(self._stay_connected(), name="wechaty-connection")
        logged_in = asyncio.create_task(self._logged_in.wait())
        login_timeout = None if math.isinf(self._timings.login) else self._timings.login
        try:
            await asyncio.wait(
                {logged_in, self._supervisor},
                timeout=login_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        except BaseException:  # cancelled: nothing of the connection may outlive the start
            logged_in.cancel()
            await self.stop()
            raise
        logged_in.cancel()
        if self._logged_in.is_set():
            self._supervisor.add_done_callback(self._report_supervisor_end)
            log.info("wechaty: logged in as %s via %s", self._self_id, self._endpoint)
            return
        failure = self._supervisor.exception() if self._supervisor.done() else None
        await self.stop()
        if isinstance(failure, WechatyLoginError):
            raise failure
        detail = f" Last error: {self._last_error}" if self._last_error else ""
        raise WechatyLoginError(
            f"no WeChat login through the puppet service at {self._endpoint} within "
            f"{self._timings.login:g} s.{detail} Check WECHATY_PUPPET_SERVICE_ENDPOINT, that "
            "the service is running with TLS disabled, and that its account is logged in."
        ) from failure

    async def stop(self) -> None:
        """Stop the connection; returns within `ConnectionTimings.stop` seconds or so."""
        supervisor, self._supervisor = self._supervisor, None
        self._state = "stopped"
        if supervisor is not None:
            supervisor.remove_done_callback(self._report_supervisor_end)
            supervisor.cancel()
            if not await _ended(supervisor, self._timings.stop):
                log.error("wechaty: the connection did not stop in %g s", self._timings.stop)
        puppet, self._puppet = self._puppet, None
        if puppet is not None and puppet.channel is not None:
            puppet.channel.close()  # whatever still waits on it fails now
        self._online = False
        self._sink = None
        self._echoes.clear()  # a send still waiting for its echo times out as usual
        self._in_doubt.clear()

    async def send_in_order(self, messages: Sequence[OutgoingMessage]) -> Delivery:
        return await send_one_by_one(self, messages)  # WeChat takes one message at a time

    async def send(self, message: OutgoingMessage) -> str | None:
        puppet = self._puppet
        if puppet is None or not self.ready:
            raise GatewayUnavailable("WeChat is not connected")
        key = _send_key(message)
        doubt = self._in_doubt.get(key)
        if doubt is not None:
            echoed = await self._echo_of_earlier_attempt(key, doubt)
            if echoed is not None:
                return echoed
        conversation_id, direct = _conversation_of(message.room_id)
        image = None
        if message.image_path:
            image = await asyncio.to_thread(
                fit_file, Path(message.image_path), self._max_file_bytes, self._work_dir
            )
        mention_ids = [] if direct else list(message.mention_ids)
        echo: asyncio.Future[str] | None = None
        try:
            async with asyncio.timeout(self._timings.send):
                sent_id = None
                if message.text:
                    text, named = await self._with_mentions(
                        conversation_id, message.text, mention_ids
                    )
                    echo = self._watch_echo(conversation_id, text)
                    sent_id = await puppet.message_send_text(conversation_id, text, named)
                if image is not None:
                    file_box = await asyncio.to_thread(FileBox.from_file, str(image))
                    file_id = await puppet.message_send_file(conversation_id, file_box)
                    sent_id = sent_id or file_id
        except TimeoutError as error:
            if echo is not None:
                return await self._timed_out(key, echo, error)
            raise GatewayUnavailable(f"WeChat send failed: {error!r}") from error
        except GRPCError as error:
            if error.status == Status.UNAVAILABLE:
                raise GatewayUnavailable(f"WeChat send failed: {error}") from error
            raise
        except (OSError, StreamTerminatedError, WechatyPuppetError) as error:
            # the connection went away under the send (a closed puppet raises the last one)
            if echo is not None:
                return await self._timed_out(key, echo, error)
            raise GatewayUnavailable(f"WeChat send failed: {error!r}") from error
        finally:
            if echo is not None and not echo.done() and key not in self._in_doubt:
                self._forget_echo(echo)
        return sent_id or None

    async def _timed_out(
        self, key: tuple[str, str, tuple[str, ...], str], echo: asyncio.Future[str],
        error: BaseException,
    ) -> str:  # fmt: skip
        """The send's answer never came, but the message may have gone out: its echo says.

        Waits `echo_grace` seconds for it; without one the send is in doubt, and a retry
        of the same message waits for the echo instead of sending it again.
        """
        with suppress(TimeoutError):
            async with asyncio.timeout(self._timings.echo_grace):
                return await asyncio.shield(echo)
        if echo.done() and not echo.cancelled():
            return echo.result()
        loop = asyncio.get_running_loop()
        self._in_doubt[key] = _InDoubt(echo, loop.time() + self._timings.in_doubt)
        raise GatewayUnavailable(
            f"WeChat send timed out ({error!r}); waiting for its echo before sending it again"
        ) from error

    async def _echo_of_earlier_attempt(
        self, key: tuple[str, str, tuple[str, ...], str], doubt: _InDoubt
    ) -> str | None:
        """The echo of this message's timed-out attempt: its id if it came (the message
        went out), None if it is too late to come (send again); raises while waiting."""
        if doubt.echo.done():
            del self._in_doubt[key]
            return None if doubt.echo.cancelled() else doubt.echo.result()
        remaining = doubt.until - asyncio.get_running_loop().time()
        if remaining > 0:
            with suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, self._timings.send)):
                    echoed = await asyncio.shield(doubt.echo)
                del self._in_doubt[key]
                return echoed
            if asyncio.get_running_loop().time() < doubt.until:
                raise GatewayUnavailable("an earlier attempt may have gone out: no echo yet")
        del self._in_doubt[key]
        self._forget_echo(doubt.echo)
        doubt.echo.cancel()
        log.warning("wechaty: no echo of a timed-out send; sending it again")
        return None

    def _watch_echo(self, conversation_id: str, text: str) -> asyncio.Future[str]:
        echo: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._echoes.setdefault((conversation_id, text), []).append(echo)
        echo.add_done_callback(lambda _: self._forget_echo(echo))
        return echo

    def _forget_echo(self, echo: asyncio.Future[str]) -> None:
        for key, waiting in list(self._echoes.items()):
            if echo in waiting:
                waiting.remove(echo)
                if not waiting:
                    del self._echoes[key]

    def _echo_arrived(self, conversation_id: str, text: str, message_id: str) -> None:
        for echo in self._echoes.get((conversation_id, text), []):
            if not echo.done():
                echo.set_result(message_id)
                return

    async def _with_mentions(
        self, conversation_id: str, text: str, mention_ids: list[str]
    ) -> tuple[str, list[str]]:
        """Room.say's text path: "@name" before the text for each mention, and the ids of
        the members named. A member the service cannot name is not mentioned: the text
        still goes out."""
        named: dict[str, str] = {}
        for member in mention_ids:
            names = await self._display_names(conversation_id, member)
            if names:
                named[member] = names[0]
        if named:
            text = MENTION_SEPARATOR.join(f"@{name}" for name in named.values()) + " " + text
        return text, list(named)

    # -- connection -------------------------------------------------------------------------

    async def _stay_connected(self) -> None:
        while True:
            retrying = AsyncRetrying(
                retry=retry_if_exception_type(_SessionFailed),
                wait=wait_exponential_jitter(
                    multiplier=self._timings.reconnect_initial,
                    max=self._timings.reconnect_max,
                    jitter=self._timings.reconnect_initial,
                ),
                before_sleep=self._log_retry,
            )
            async for attempt in retrying:
                with attempt:
                    await self._run_session()
            # a logged-in connection ended: back-off starts over, after a short pause
            self._state = "reconnecting"
            await asyncio.sleep(self._timings.reconnect_initial)

    async def _run_session(self) -> None:
        """One connection, from connect to the end of its event stream.

        Returns if the account was logged in at some point (so back-off starts over);
        raises `_SessionFailed` if not. A refused token raises `WechatyLoginError` before
        the first login ever (a configuration error) and `_TokenRefused` (retried) after.
        """
        await self._check_reachable()
        bot = self._bot
        await bot.init_puppet()  # a new puppet and freshly bound Contact/Room/Message classes
        _reset_object_caches(bot)
        puppet: PuppetService = bot.puppet
        events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        first_event = asyncio.Event()

        def listener(name: str) -> Callable[[Any], None]:
            def enqueue(payload: Any = None) -> None:
                first_event.set()
                events.put_nowait((name, payload))

            return enqueue

        for name in ("login", "logout", "message", "room-join", "scan", "error", "heartbeat"):
            puppet.on(name, listener(name))

        self._puppet = puppet
        logins_before = self._logins
        tasks = {
            asyncio.create_task(self._open_and_listen(puppet), name="wechaty-events"),
            asyncio.create_task(self._watch(puppet, first_event), name="wechaty-watchdog"),
        }
        handler = asyncio.create_task(self._handle_events(events), name="wechaty-handler")
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            ended = done.pop()
            error = ended.exception()
            reason = repr(error) if error else "the puppet service closed the event stream"
        finally:
            # Our own cancellation (stop) is never swallowed here: the tasks are cancelled
            # and waited for a bounded time, and a CancelledError meant for this task
            # propagates from the wait.
            for task in (*tasks, handler):
                task.cancel()
            if puppet.channel is not None:
                puppet.channel.close()
            self._online = False
            self._puppet = None
            if not await _ended({*tasks, handler}, self._timings.stop):
                log.error("wechaty: a connection task did not stop in %g s", self._timings.stop)
        logged_in = self._logins > logins_before
        if isinstance(error, GRPCError) and error.status in _AUTH_FAILURES:
            detail = (error.message or "").replace(self._token, "***")  # keep it out of logs
            refusal = (
                f"the puppet service at {self._endpoint} refused WECHATY_PUPPET_SERVICE_TOKEN "
                f"({error.status.name}: {detail})"
            )
            self._last_error = refusal
            if self._logins == 0:
                raise WechatyLoginError(refusal) from None
            self._state = "token_refused"
            raise _TokenRefused(refusal)
        self._last_error = reason
        if not logged_in:
            raise _SessionFailed(reason)
        log.warning("wechaty: connection to %s lost (%s); reconnecting", self._endpoint, reason)

    async def _open_and_listen(self, puppet: PuppetService) -> None:
        """`PuppetService.start()` without its flaws: the channel and a stub with deadlines
        made here, Stop then Start called (as it does), then the event stream read."""
        channel = Channel(host=self._host, port=self._port)
        channel._authority = self._token  # how wechaty passes the token (no TLS)
        puppet.channel = channel
        puppet._puppet_stub = DeadlinePuppetStub(
            channel, call_timeout=self._timings.call, send_timeout=self._timings.send
        )
        try:
            await puppet.puppet_stub.stop()  # a previous session's puppet, if any
        except GRPCError as error:
            if error.status in _AUTH_FAILURES:
                raise
            log.debug("wechaty: the service's Stop answered %s", error.status.name)
        await puppet.puppet_stub.start()
        await puppet._listen_for_event()

    async def _check_reachable(self) -> None:
        # wechaty's own check blocks the event loop for up to 3 s on an unreachable host
        try:
            async with asyncio.timeout(self._timings.first_event):
                _, writer = await asyncio.open_connection(self._host, self._port)
            writer.close()
            with suppress(OSError):
                await writer.wait_closed()
        except (OSError, TimeoutError) as error:
            self._last_error = f"cannot reach {self._endpoint}: {error!r}"
            raise _SessionFailed(self._last_error) from error

    async def _watch(self, puppet: PuppetService, first_event: asyncio.Event) -> None:
        """End the connection when the service stops answering (a silently dead link)."""
        try:
            async with asyncio.timeout(self._timings.first_event):
                await first_event.wait()
        except TimeoutError:
            raise _SessionFailed("no event from the puppet service after connecting") from None
        while True:
            await asyncio.sleep(self._timings.ping_interval)
            try:
                async with asyncio.timeout(self._timings.ping_timeout):
                    await puppet.ding("tiaojie")
            except TimeoutError:
                raise _SessionFailed("the puppet service stopped answering pings") from None

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        if isinstance(error, _TokenRefused):
            log.error(
                "wechaty: %s; the bot cannot read or send WeChat messages until the service "
                "takes the token again (check the service and WECHATY_PUPPET_SERVICE_TOKEN); "
                "retry %d in %.1f s",
                error,
                state.attempt_number,
                wait,
            )
            return
        if self._state != "token_refused":
            self._state = "connecting" if self._logins == 0 else "reconnecting"
        log.warning(
            "wechaty: cannot connect to %s (%s); retry %d in %.1f s",
            self._endpoint,
            error,
            state.attempt_number,
            wait,
        )

    def _report_supervisor_end(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("wechaty: gateway stopped: %s", task.exception())

    # -- events -----------------------------------------------------------------------------

    async def _handle_events(self, events: asyncio.Queue[tuple[str, Any]]) -> None:
        handlers: dict[str, Callable[[Any], Awaitable[None]]] = {
            "login": self._on_login,
            "logout": self._on_logout,
            "message": self._on_message,
            "room-join": self._on_room_join,
            "scan": self._on_scan,
            "error": self._on_error,
        }
        while True:
            name, payload = await events.get()
            handle = handlers.get(name)
            if handle is None:
                continue
            try:
                await handle(payload)
            except Exception:
                log.exception("wechaty: handling a %s event failed", name)

    async def _on_login(self, payload: EventLoginPayload) -> None:
        self._self_id = payload.contact_id
        self._logins += 1
        self._online = True
        self._state = "online"
        self._logged_in.set()

    async def _on_logout(self, payload: EventLogoutPayload) -> None:
        self._online = False
        log.warning("wechaty: account %s logged out (%s)", payload.contact_id, payload.data)

    async def _on_scan(self, payload: EventScanPayload) -> None:
        log.warning(
            "wechaty: the puppet service waits for a QR scan (status %s): %s",
            payload.status,
            payload.qrcode,
        )

    async def _on_error(self, payload: object) -> None:
        if payload:
            log.warning("wechaty: error from the puppet service: %s", payload)

    async def _on_message(self, payload: EventMessagePayload) -> None:
        message = self._bot.Message.load(payload.message_id)
        await message.ready()
        data = message.payload
        if data.from_id == self._self_id:  # the bot's own message, echoed back
            self._echo_arrived(data.room_id or data.to_id, data.text or "", data.id)
            return
        if message.type() != MessageType.MESSAGE_TYPE_TEXT:
            log.debug("wechaty: ignoring a non-text message %s", payload.message_id)
            return
        incoming = await self._incoming(message)
        await self._deliver(incoming)

    async def _incoming(self, message: Any) -> IncomingMessage:
        data = message.payload
        talker = message.talker()
        if data.room_id:
            mention_ids = tuple(data.mention_ids or ())
            names = {m: await self._display_names(data.room_id, m) for m in mention_ids}
            return IncomingMessage(
                message_id=data.id,
                room_id=data.room_id,
                sender_id=talker.contact_id,
                sender_name=await self._display_name(data.room_id, talker.contact_id),
                text=strip_mentions(data.text, [n for ns in names.values() for n in ns]),
                sent_at=_sent_at(data.timestamp),
                mention_ids=mention_ids,
            )
        return IncomingMessage(
            message_id=data.id,
            room_id=DIRECT_ROOM_PREFIX + talker.contact_id,
            sender_id=talker.contact_id,
            sender_name=talker.name,
            text=data.text,
            sent_at=_sent_at(data.timestamp),
            is_direct=True,
        )

    async def _deliver(self, incoming: IncomingMessage) -> None:
        sink = self._sink
        if sink is None:
            return
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(3), wait=wait_fixed(0.5), reraise=True
            ):
                with attempt:
                    if not await sink(incoming):
                        raise RuntimeError("the inbox did not accept the message")
        except Exception:
            # the platform does not redeliver: this message is lost, say so loudly
            log.exception("wechaty: message %s could not be stored", incoming.message_id)

    async def _on_room_join(self, payload: EventRoomJoinPayload) -> None:
        newcomers = [member for member in payload.invited_ids if member != self._self_id]
        puppet = self._puppet
        if not self._greeting or not newcomers or puppet is None:
            return
        text, named = await self._with_mentions(payload.room_id, self._greeting, newcomers)
        await puppet.message_send_text(payload.room_id, text, named)

    # -- names ------------------------------------------------------------------------------

    async def _display_names(self, conversation_id: str, contact_id: str) -> list[str]:
        """Every name a member may be @-mentioned by: the group nickname, then the WeChat name.

        Empty when the service does not know the contact (it left, a stale id); transport
        failures are raised.
        """
        names: list[str] = []
        try:
            contact = self._bot.Contact.load(contact_id)
            await contact.ready()
            names.append(contact.name)
            puppet = self._puppet
            if puppet is not None and not conversation_id.startswith(DIRECT_ROOM_PREFIX):
                member = await puppet.room_member_payload(conversation_id, contact_id)
                if member is not None and member.room_alias:
                    names.insert(0, member.room_alias)
        except GRPCError as error:
            if error.status == Status.UNAVAILABLE:
                raise
            log.warning("wechaty: no name for %s in %s: %s", contact_id, conversation_id, error)
        return [name for name in names if name]

    async def _display_name(self, conversation_id: str, contact_id: str) -> str:
        names = await self._display_names(conversation_id, contact_id)
        return names[0] if names else contact_id


def strip_mentions(text: str, names: list[str]) -> str:
    """Remove "@name" (and the separator WeChat puts after it) for each mentioned member."""
    for name in sorted(set(names), key=len, reverse=True):
        text = re.sub(f"@{re.escape(name)}(?:{MENTION_SEPARATOR}| |$)", "", text)
    return text.strip()


def fit_file(path: Path, max_bytes: int, work_dir: Path) -> Path:
    """The file itself if it fits inline; else a scaled-down copy of an image; else refuse."""
    size = path.stat().st_size
    if size <= max_bytes:
        return path
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as original:
            original.load()
            image = original.copy()
            source_format = original.format
    except (UnidentifiedImageError, OSError) as error:
        raise OutgoingFileTooLarge(
            f"{path.name} is {size} bytes; WeChat files go inline and must be at most "
            f"{max_bytes} bytes, and it is not an image that could be scaled down"
        ) from error
    target_format = source_format if source_format in {"PNG", "JPEG"} else "PNG"
    work_dir.mkdir(parents=True, exist_ok=True)
    scale = math.sqrt(max_bytes / size) * 0.95
    for _ in range(8):
        width = max(1, int(image.width * scale))
        height = max(1, int(image.height * scale))
        fitted = image.resize((width, height))
        if target_format == "JPEG" and fitted.mode not in {"RGB", "L"}:
            fitted = fitted.convert("RGB")
        candidate = work_dir / f"{path.stem}-{width}x{height}{path.suffix or '.png'}"
        fitted.save(candidate, format=target_format, optimize=True)
        if candidate.stat().st_size <= max_bytes:
            log.info("wechaty: scaled %s down to %dx%d to send it", path.name, width, height)
            return candidate
        candidate.unlink()
        scale *= 0.8
    raise OutgoingFileTooLarge(f"{path.name} could not be scaled below {max_bytes} bytes")


async def _ended(tasks: asyncio.Task[Any] | set[asyncio.Task[Any]], within: float) -> bool:
    """Wait up to `within` seconds for (cancelled) tasks to end, without taking on their
    exceptions; True if all ended. A cancellation of the caller propagates."""
    pending = {tasks} if isinstance(tasks, asyncio.Task) else tasks
    for task in pending:
        task.add_done_callback(_consume_outcome)
    _, still_running = await asyncio.wait(pending, timeout=within)
    return not still_running


def _consume_outcome(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: asyncio never reports it as unhandled


def _send_key(message: OutgoingMessage) -> tuple[str, str, tuple[str, ...], str]:
    """The same message sent again (the outbox's retry of a timed-out send)."""
    return (message.room_id, message.text, tuple(message.mention_ids), message.image_path or "")


def _conversation_of(room_id: str) -> tuple[str, bool]:
    if room_id.startswith(DIRECT_ROOM_PREFIX):
        return room_id.removeprefix(DIRECT_ROOM_PREFIX), True
    return room_id, False


def _reset_object_caches(bot: Wechaty) -> None:
    # Contact/Room/Tag.load() cache objects in a dict on the base class, shared by every
    # bound subclass; give this connection's classes their own.
    for accessory in (bot.Contact, bot.ContactSelf, bot.Room, bot.Tag):
        accessory._pool = {}


def _sent_at(timestamp: int) -> datetime:
    if not timestamp:
        return datetime.now(UTC)
    seconds = timestamp / 1000 if timestamp > 100_000_000_000 else timestamp
    return datetime.fromtimestamp(seconds, UTC)


def _split_endpoint(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.strip().rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise ValueError(
            f"WECHATY_PUPPET_SERVICE_ENDPOINT must be host:port, got {endpoint!r} "
            "(service discovery by token alone is not supported)"
        )
    return host, int(port)
