"""`tiaojie` command line: run the bot, upgrade the database, parse messages."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

from .settings import Settings


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

    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings()
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
    return 2


def run_server(settings: Settings, *, host: str | None, port: int | None) -> int:
    import uvicorn

    from .app import BotApp

    bot = BotApp(settings)
    config = uvicorn.Config(
        bot.web_app(),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        lifespan="on",
    )
    server = _server_class()(config)
    server.run()  # uvicorn handles Ctrl-C and SIGTERM, then runs the lifespan shutdown
    return 0 if server.started else 1


def _server_class() -> type:
    import uvicorn

    class QuietExitServer(uvicorn.Server):
        """uvicorn re-raises a caught SIGTERM/SIGINT after a clean shutdown, which makes the
        process exit by signal (-15). A clean stop should exit 0, so forget the signal."""

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


async def upgrade_database(settings: Settings) -> int:
    from storage.db import create_engine
    from storage.migrate import upgrade_to_head

    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    print("数据库已升级到最新版本。")
    return 0


async def erase_case(settings: Settings, number: str) -> int:
    from handlers.erasure import erase_personal_data
    from mediation.clock import SystemClock
    from storage import cases
    from storage.db import create_engine, create_session_factory
    from storage.migrate import upgrade_to_head

    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade_to_head(engine)
        async with create_session_factory(engine).begin() as session:
            case = await cases.by_number(session, number)
            if case is None:
                print(f"没有找到案件 {number}。", file=sys.stderr)
                return 1
            erased = await erase_personal_data(
                session, case, now=SystemClock().now(), reason="request"
            )
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


def parse_stream(settings: Settings, source: TextIO, sink: TextIO) -> int:
    from mediation.parsing import ComplaintParser

    complaint_parser = ComplaintParser(cache_dir=settings.data_dir / "cache")
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


if __name__ == "__main__":
    raise SystemExit(main())
