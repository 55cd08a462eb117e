"""`tiaojie` command line: run the bot, upgrade the database, parse messages.

Each command imports what it needs when it runs: start-up time matters for `tiaojie run`, and
a `tiaojie backup` or `tiaojie db upgrade` has no use for the web app or the parser.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TextIO
from zoneinfo import ZoneInfo

from .settings import Settings

if TYPE_CHECKING:
    import socket

    from mediation.parsing import MerchantEntry


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tiaojie", description="消费投诉调解群助手")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start the bot, its web pages and scheduler")
    run.add_argument("--host", default=None)
    run.add_argument("--port", type=int, default=None)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations")

    commands.add_parser("parse", help="read messages on stdin, print one JSON line each")

    erase = commands.add_parser("erase", help="erase a consumer's personal data from a case")
    erase.add_argument("number", help="case number, e.g. CY-202606-0007")

    backup = commands.add_parser("backup", help="copy the SQLite database while the bot runs")
    backup.add_argument("path", help="where to write the copy")

    add_token_parser(commands)
    add_merchants_parser(commands)
    model = commands.add_parser("model", help="retrain the complaint detector, or roll back")
    model_commands = model.add_subparsers(dest="model_command", required=True)
    model_commands.add_parser("train", help="retrain with this deployment's corrections")
    model_commands.add_parser("rollback", help="restore the model before the last training")

    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.timezone)
    # matplotlib keeps a font cache; keep it in the data directory like everything else
    os.environ.setdefault("MPLCONFIGDIR", str(settings.data_dir / "cache" / "matplotlib"))
    if args.command == "token":
        return asyncio.run(token_command(settings, args))
    if args.command == "run":
        return run_server(settings, host=args.host, port=args.port)
    if args.command == "db":
        return asyncio.run(upgrade_database(settings))
    if args.command == "parse":
        return parse_stream(settings, sys.stdin, sys.stdout)
    if args.command == "erase":
        return asyncio.run(erase_case(settings, args.number))
    if args.command == "backup":
        return backup_database(settings, args.path)
    if args.command == "merchants":
        return asyncio.run(merchants_command(settings, args))
    if args.command == "model":
        from handlers.model_training import model_command

        return model_command(settings, args.model_command)
    return 2


class LocalTimeFormatter(logging.Formatter):
    """Log times in the deployment's time zone (staff read them against the chat's clock),
    with the offset, whatever the server's own zone is."""

    def __init__(self, fmt: str, timezone: str) -> None:
        super().__init__(fmt)
        self._zone = ZoneInfo(timezone)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, self._zone)
        return moment.isoformat(sep=" ", timespec="milliseconds")


def configure_logging(timezone: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        LocalTimeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", timezone)
    )
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    # Alembic narrates every migration step at INFO; the commands say in Chinese what they did
    logging.getLogger("alembic").setLevel(logging.WARNING)


def sandbox_exposure(settings: Settings, host: str) -> Literal["ok", "warn", "refuse"]:
    """Whether the sandbox may be served on `host`: it has no login, so anyone who reaches
    it can post as staff and read private chats and exports. Loopback is fine; any other
    address needs TIAOJIE_SANDBOX_PUBLIC=true, and is then served with a warning."""
    if settings.resolved_gateway != "sandbox" or not settings.sandbox_api_enabled:
        return "ok"
    if _is_loopback(host):
        return "ok"
    return "warn" if settings.sandbox_public else "refuse"


LOOPBACK_HOST_NAMES = ["127.0.0.1", "localhost", "[::1]", "::1"]


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def run_server(settings: Settings, *, host: str | None, port: int | None) -> int:
    import time

    import uvicorn

    host = host or settings.host
    exposure = sandbox_exposure(settings, host)
    log = logging.getLogger(__name__)
    if exposure == "refuse":
        log.error(
            "refusing to serve the sandbox on %s: it has no login, anyone who reaches it can "
            "post as staff and download exports. Listen on 127.0.0.1, or set "
            "TIAOJIE_SANDBOX_PUBLIC=true if this network is trusted.",
            host,
        )
        return 2
    if exposure == "warn":
        log.warning(
            "the sandbox is served on %s without a login (TIAOJIE_SANDBOX_PUBLIC=true): anyone "
            "who reaches this port can post as staff and download exports",
            host,
        )

    began = time.perf_counter()
    from .app import BotApp

    imported = time.perf_counter()
    bot = BotApp(settings, freeze_loaded_objects=True)  # a process of its own
    web_app = bot.web_app(serve_while_loading=True)  # /healthz answers while jieba loads
    if exposure == "ok" and bot.sandbox is not None and settings.sandbox_api_enabled:
        # On loopback, only requests that name a loopback host: a web page the operator
        # visits could otherwise rebind its own domain to 127.0.0.1 (DNS rebinding) and
        # read private chats and exports as a same-origin page.
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        web_app.add_middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_HOST_NAMES)
    logging.getLogger(__name__).info(
        "imported the bot in %.2f s, built the web app in %.2f s",
        imported - began,
        time.perf_counter() - imported,
    )
    config = uvicorn.Config(
        web_app,
        host=host,
        port=settings.port if port is None else port,
        log_level="info",
        access_log=settings.access_log,
        lifespan="on",
        ws="none",  # no WebSocket routes: skip importing a WebSocket implementation
    )
    server = _server_class()(config)
    server.before_shutdown = lambda: bot.sandbox.release_waiters() if bot.sandbox else None
    bot.on_fatal = lambda: setattr(server, "should_exit", True)  # e.g. a refused token
    server.run()  # uvicorn handles Ctrl-C and SIGTERM, then runs the lifespan shutdown
    return 0 if server.started and bot.fatal_error is None else 1


def _server_class() -> type:
    import uvicorn

    class QuietExitServer(uvicorn.Server):
        """uvicorn re-raises a caught SIGTERM/SIGINT after a clean shutdown, which makes the
        process exit by signal (-15). A clean stop should exit 0, so forget the signal.

        uvicorn also waits for open requests before it stops the app: a sandbox page's long
        poll would hold the stop for up to its wait, so `before_shutdown` answers those
        first."""

        before_shutdown: Callable[[], object] = staticmethod(lambda: None)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            self.before_shutdown()
            await super().shutdown(sockets=sockets)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                try:
                    yield
                finally:
                    captured = getattr(self, "_captured_signals", None)
                    if isinstance(captured, list):
                        captured.clear()

    return QuietExitServer


def migration_settings(settings: Settings) -> dict[str, Any]:
    """The deployment's deadline settings, for migrations that judge existing cases."""
    from zoneinfo import ZoneInfo

    return {"deadline_policy": settings.deadline_policy(), "timezone": ZoneInfo(settings.timezone)}


async def upgrade_database(settings: Settings) -> int:
    from storage.db import create_engine
    from storage.migrate import upgrade_to_head

    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade_to_head(engine, **migration_settings(settings))
    finally:
        await engine.dispose()
    print("数据库已升级到最新版本。")
    return 0


async def erase_case(settings: Settings, number: str) -> int:
    from handlers.erasure import checkpoint_and_truncate, delete_exports, erase_personal_data
    from mediation.clock import SystemClock
    from storage import cases
    from storage.db import create_engine, create_session_factory
    from storage.migrate import upgrade_to_head

    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade_to_head(engine, **migration_settings(settings))
        async with create_session_factory(engine).begin() as session:
            case = await cases.by_number(session, number)
            if case is None:
                print(f"没有找到案件 {number}。", file=sys.stderr)
                return 1
            erased = await erase_personal_data(
                session, case, now=SystemClock().now(), reason="request", everywhere=True
            )
        if erased:
            delete_exports(settings.data_dir / "media")
        await checkpoint_and_truncate(engine)  # the log's copies of the pages before
    finally:
        await engine.dispose()
    print(
        f"已删除案件 {case.number} 中的消费者个人信息。"
        if erased
        else f"案件 {case.number} 的个人信息此前已删除。"
    )
    return 0


def backup_database(settings: Settings, path: str) -> int:
    from pathlib import Path

    from storage.backup import backup_sqlite

    try:
        size = backup_sqlite(settings.resolved_database_url, Path(path))
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"备份失败：{error}", file=sys.stderr)
        return 1
    print(f"已备份到 {path}（{size} 字节）。")
    return 0


async def registry_merchants(settings: Settings) -> list[MerchantEntry]:
    """The merchant registry, so `parse` can give registry ids; empty without a database."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from mediation.parsing import MerchantEntry
    from storage.db import create_engine
    from storage.models import Merchant

    default_file = settings.data_dir / "tiaojie.sqlite3"
    if not settings.database_url and not default_file.exists():
        return []  # never create a database just to parse
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(select(Merchant))).all()
    except SQLAlchemyError:
        return []  # no database yet, or not migrated: parse without the registry
    finally:
        await engine.dispose()
    return [MerchantEntry(row.id, row.name, tuple(row.aliases or ())) for row in rows]


def parse_stream(settings: Settings, source: TextIO, sink: TextIO) -> int:
    from mediation.parsing import ComplaintParser
    from mediation.parsing.model import deployed_model

    complaint_parser = ComplaintParser(
        asyncio.run(registry_merchants(settings)),
        cache_dir=settings.data_dir / "cache",
        model=deployed_model(settings.data_dir),
    )
    complaint_parser.prepare()
    for line_number, line in enumerate(source, start=1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        message_id: str | int = line_number
        text = line
        if line.lstrip().startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = None
            if isinstance(record, dict) and isinstance(record.get("text"), str):
                text = record["text"]
                message_id = record.get("id", line_number)
        result = complaint_parser.parse(text)
        sink.write(json.dumps(result.to_json(message_id), ensure_ascii=False) + "\n")
    sink.flush()
    return 0


def add_token_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = commands.add_parser("token", help="bearer tokens for the staff admin API (/api)")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="make a token and print it, once")
    create.add_argument("name", help="who or what will use it")
    token_commands.add_parser("list", help="list tokens (names and dates, never the tokens)")
    revoke = token_commands.add_parser("revoke", help="revoke a token by id, or all by name")
    revoke.add_argument("token", metavar="ID_OR_NAME")


async def token_command(settings: Settings, args: argparse.Namespace) -> int:
    """The raw token goes to stdout alone (for scripts); everything else to stderr."""
    from zoneinfo import ZoneInfo

    from mediation.clock import SystemClock
    from storage import tokens
    from storage.db import create_engine, create_session_factory
    from storage.migrate import upgrade_to_head

    tz = ZoneInfo(settings.timezone)
    now = SystemClock().now()
    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade_to_head(engine, **migration_settings(settings))
        async with create_session_factory(engine)() as session:
            if args.token_command == "create":
                issued = await tokens.create_token(session, args.name, now)
                await session.commit()
                print(
                    f"已创建令牌 #{issued.id}「{issued.name}」，只显示这一次，请妥善保存：",
                    file=sys.stderr,
                )
                print(issued.token)
                return 0
            if args.token_command == "revoke":
                revoked = await tokens.revoke_tokens(session, args.token, now)
                await session.commit()
                if not revoked:
                    print(f"没有找到有效的令牌：{args.token}", file=sys.stderr)
                    return 1
                for row in revoked:
                    print(f"已吊销令牌 #{row.id}「{row.name}」。", file=sys.stderr)
                return 0
            rows = await tokens.list_tokens(session)
            if not rows:
                print("还没有令牌。用 `tiaojie token create 名称` 创建。", file=sys.stderr)
            for row in rows:
                print(tokens.describe(row, tz))
            return 0
    except ValueError as error:
        print(f"令牌名称不能为空（{error}）", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()


def add_merchants_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    registry = commands.add_parser("merchants", help="the merchant registry (摸排表 .xlsx/.csv)")
    registry_commands = registry.add_subparsers(dest="merchants_command", required=True)
    load = registry_commands.add_parser(
        "import", help="import a survey sheet; exit 0 all good, 1 rows rejected, 2 unreadable"
    )
    load.add_argument("file", help=".xlsx or .csv (UTF-8 or GB18030)")
    load.add_argument("--dry-run", action="store_true", help="print the report, write nothing")
    load.add_argument("--skip-bad", action="store_true", help="import the good rows anyway")
    dump = registry_commands.add_parser("export", help="write the registry as .xlsx or .csv")
    dump.add_argument("file", help="where to write (.xlsx or .csv)")


async def merchants_command(settings: Settings, args: argparse.Namespace) -> int:
    """Import or export the registry; the report goes to stdout, an unusable file to stderr."""
    from pathlib import Path

    from handlers.registry_files import RegistryFileError, read_import_plan, write_registry_file
    from handlers.registry_import import import_registry, registry_entries
    from mediation import templates as say
    from mediation.clock import SystemClock
    from mediation.registry import export_rows
    from storage.db import create_engine, create_session_factory
    from storage.migrate import upgrade_to_head

    path = Path(args.file)
    try:
        plan = read_import_plan(path) if args.merchants_command == "import" else None
    except RegistryFileError as error:
        print(str(error), file=sys.stderr)
        return 2
    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade_to_head(engine, **migration_settings(settings))
        async with create_session_factory(engine).begin() as session:
            if plan is None:
                entries = [entry for _, entry in await registry_entries(session)]
                header, rows = export_rows(entries)
                try:
                    write_registry_file(path, header, rows)
                except RegistryFileError as error:
                    print(str(error), file=sys.stderr)
                    return 2
                print(say.registry_exported(str(path), len(rows)))
                return 0
            outcome = await import_registry(
                session,
                plan,
                now=SystemClock().now(),
                dry_run=args.dry_run,
                skip_bad=args.skip_bad,
            )
    finally:
        await engine.dispose()
    print(outcome.text(dry_run=args.dry_run))
    return outcome.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
