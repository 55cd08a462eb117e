"""Numbers too big for the database are refused with 422, never a 500 (issue 17.11)."""

from __future__ import annotations

import httpx
import pytest

from bot.app import BotApp

from .test_admin_api import bearer, issue_token

HUGE = str(2**70)
BEYOND_INT64 = str(2**63)


@pytest.mark.parametrize("value", [HUGE, BEYOND_INT64, "9223372036854775807"])
async def test_sandbox_after_beyond_the_database_is_refused(
    http: httpx.AsyncClient, value: str
) -> None:
    response = await http.get("/sandbox/rooms/room-a/messages", params={"after": value})
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/cases?page={HUGE}"),
        ("GET", f"/api/cases?page={BEYOND_INT64}"),
        ("GET", "/api/cases?page=9223372036854775807"),
        ("GET", f"/api/cases?merchant_id={HUGE}"),
        ("GET", f"/api/merchants/{HUGE}"),
        ("GET", f"/api/merchants/{BEYOND_INT64}"),
        ("PATCH", f"/api/merchants/{HUGE}"),
        ("DELETE", f"/api/merchants/{HUGE}"),
    ],
)
async def test_admin_api_numbers_beyond_the_database_are_refused(
    bot: BotApp, http: httpx.AsyncClient, method: str, path: str
) -> None:
    http.headers.update(bearer(await issue_token(bot)))
    response = await http.request(method, path, json={} if method == "PATCH" else None)
    assert response.status_code == 422, response.text


async def test_the_largest_allowed_numbers_answer_normally(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    http.headers.update(bearer(await issue_token(bot)))
    assert (await http.get("/api/merchants/2147483647")).status_code == 404
    assert (await http.get("/api/cases?page=1000000")).status_code == 200
    response = await http.get("/sandbox/rooms/room-a/messages", params={"after": 2147483647})
    assert response.status_code == 200
