"""/healthz is not "ok" when the database cannot take a write or the disk is full (issue
17.6): a read (SELECT 1) succeeds on both, so the check writes."""

from __future__ import annotations

from collections import namedtuple

import httpx
import pytest
from sqlalchemy import event

from bot import app as app_module
from bot.app import BotApp


async def test_healthz_writes_and_reports_the_gateway_state(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] is True and body["disk"] is True
    assert body["gateway_state"] == "online"


async def test_a_database_that_refuses_writes_is_not_ok(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    def read_only(connection, _record) -> None:  # type: ignore[no-untyped-def]
        connection.execute("PRAGMA query_only = ON")  # what a read-only file answers

    await bot.engine.dispose()  # the next connection is a read-only one
    event.listen(bot.engine.sync_engine, "connect", read_only)
    try:
        response = await http.get("/healthz")
    finally:
        event.remove(bot.engine.sync_engine, "connect", read_only)
        await bot.engine.dispose()
    assert response.status_code == 503
    assert response.json()["database"] is False


async def test_a_full_disk_is_not_ok(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(app_module.shutil, "disk_usage", lambda _path: usage(10**9, 10**9, 0))
    response = await http.get("/healthz")
    assert response.status_code == 503
    assert response.json()["disk"] is False
