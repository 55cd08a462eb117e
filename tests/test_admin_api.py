"""The staff admin API: bearer tokens made by the CLI and kept only as hashes, 401 without
one, and with one the cases, a case's timeline, the merchant registry, the month's figures
and the Excel workbook."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from bot.app import BotApp
from bot.settings import Settings
from mediation.cases import CaseStatus
from mediation.clock import ManualClock
from storage import reference
from storage.tokens import create_token, generate_token, hash_token, list_tokens, revoke_tokens
from web.admin_schemas import StatusFilter

from .conversation import GRID_WORKER, MERCHANT, STAFF, Group
from .month_seed import AFTER_JUNE, ID_NUMBER, JUNE, PHONE, seed_june

REPO = Path(__file__).resolve().parents[1]
SAMPLE_COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678"
PROTECTED = [
    ("GET", "/api/cases"),
    ("GET", "/api/cases/CY-202606-0001"),
    ("GET", "/api/merchants"),
    ("POST", "/api/merchants"),
    ("GET", "/api/merchants/1"),
    ("PATCH", "/api/merchants/1"),
    ("DELETE", "/api/merchants/1"),
    ("GET", "/api/stats?month=2026-06"),
    ("GET", "/api/stats"),
    ("GET", "/api/export?month=2026-06"),
]


async def issue_token(bot: BotApp, name: str = "test") -> str:
    async with bot.sessions() as session:
        issued = await create_token(session, name, bot.clock.now())
        await session.commit()
    return issued.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def seeded(bot: BotApp, clock: ManualClock) -> BotApp:
    await seed_june(bot.sessions)
    clock.set(AFTER_JUNE)
    return bot


@pytest.fixture
async def staff(seeded: BotApp, http: httpx.AsyncClient) -> httpx.AsyncClient:
    http.headers.update(bearer(await issue_token(seeded)))
    return http


def run_cli(*args: str, settings: Settings) -> subprocess.CompletedProcess[str]:
    """`tiaojie …` on the test's database (SQLite file or the PostgreSQL variant's URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIAOJIE_")}
    env["TIAOJIE_DATA_DIR"] = str(settings.data_dir)
    env["TIAOJIE_DATABASE_URL"] = settings.resolved_database_url
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


# --- tokens -------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer tj_wrong", "Basic dXNlcjpwYXNz", "Bearer"])
async def test_request_without_a_valid_token_gets_401_and_no_data(
    seeded: BotApp, http: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for method, path in PROTECTED:
        # an invalid body or a missing parameter must not be judged before the token
        response = await http.request(method, path, headers=headers, json={"bad": True})

        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
        assert set(response.json()) == {"detail"}
        assert "CY-" not in response.text and "张记" not in response.text


async def test_revoked_token_gets_401(seeded: BotApp, http: httpx.AsyncClient) -> None:
    token = await issue_token(seeded, "leaver")
    assert (await http.get("/api/cases", headers=bearer(token))).status_code == 200
    async with seeded.sessions() as session:
        revoked = await revoke_tokens(session, "leaver", seeded.clock.now())
        await session.commit()

    response = await http.get("/api/cases", headers=bearer(token))

    assert [row.name for row in revoked] == ["leaver"]
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_cli_token_is_printed_once_works_is_listed_and_revoked_and_never_stored(
    bot: BotApp, http: httpx.AsyncClient, settings: Settings
) -> None:
    created = run_cli("token", "create", "联席会议表格", settings=settings)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("tj_") and len(token) > 40
    assert "只显示这一次" in created.stderr

    assert (await http.get("/api/merchants", headers=bearer(token))).status_code == 200
    listed = run_cli("token", "list", settings=settings)
    assert listed.returncode == 0, listed.stderr
    assert "联席会议表格" in listed.stdout and "有效" in listed.stdout
    assert token not in listed.stdout + listed.stderr

    async with bot.sessions() as session:
        rows = await session.execute(text("SELECT * FROM api_tokens"))
        stored_rows = repr(rows.all())
    assert token not in stored_rows
    assert hash_token(token) in stored_rows  # what is kept instead
    files = b"".join(p.read_bytes() for p in settings.data_dir.glob("tiaojie.sqlite3*"))
    assert token.encode() not in files  # nor anywhere in a SQLite file or its WAL
    assert files or not settings.resolved_database_url.startswith("sqlite")

    revoked = run_cli("token", "revoke", "联席会议表格", settings=settings)
    assert revoked.returncode == 0, revoked.stderr
    assert (await http.get("/api/merchants", headers=bearer(token))).status_code == 401
    again = run_cli("token", "revoke", "联席会议表格", settings=settings)
    assert again.returncode == 1


async def test_token_use_is_recorded(seeded: BotApp, staff: httpx.AsyncClient) -> None:
    await staff.get("/api/merchants")

    async with seeded.sessions() as session:
        (token,) = await list_tokens(session)
    assert token.last_used_at == AFTER_JUNE.astimezone(UTC)


# --- cases --------------------------------------------------------------------------------


async def test_case_list_is_paginated_newest_first(staff: httpx.AsyncClient) -> None:
    first = (await staff.get("/api/cases", params={"page_size": 4})).json()
    third = (await staff.get("/api/cases", params={"page_size": 4, "page": 3})).json()

    assert first["total"] == 10 and first["page"] == 1 and first["page_size"] == 4
    assert [c["number"] for c in first["items"]] == [
        "CY-202607-0001",
        "CY-202606-0005",
        "CY-202606-0006",
        "CY-202606-0004",
    ]
    assert [c["number"] for c in third["items"]] == ["CY-202605-0001", "CY-202506-0001"]


async def test_case_list_filters_by_month_in_shanghai_time(staff: httpx.AsyncClient) -> None:
    june = (await staff.get("/api/cases", params={"month": "2026-06"})).json()
    july = (await staff.get("/api/cases", params={"month": "2026-07"})).json()

    assert june["total"] == JUNE["received"]
    assert "CY-202606-0005" in [c["number"] for c in june["items"]]  # 06-30 23:30 Shanghai
    assert [c["number"] for c in july["items"]] == ["CY-202607-0001"]


async def test_case_list_filters_by_status_merchant_and_text(staff: httpx.AsyncClient) -> None:
    async def numbers(**params: object) -> list[str]:
        response = await staff.get("/api/cases", params=params)
        assert response.status_code == 200, response.text
        return sorted(c["number"] for c in response.json()["items"])

    assert await numbers(status="failed") == ["CY-202606-0003"]
    assert await numbers(status="open") == ["CY-202606-0004", "CY-202606-0005", "CY-202607-0001"]
    assert await numbers(status="closed", month="2026-06") == [
        "CY-202606-0001",
        "CY-202606-0002",
        "CY-202606-0003",
        "CY-202606-0006",
    ]
    assert await numbers(merchant="鲜丰", month="2026-06") == ["CY-202606-0003"]
    assert await numbers(q="cy-202605") == ["CY-202605-0001", "CY-202605-0002"]
    assert await numbers(q="100%") == []  # LIKE wildcards are matched literally
    assert len(await numbers(q=PHONE)) == 10  # staff may search by the consumer's phone


async def test_bad_filters_get_422(staff: httpx.AsyncClient) -> None:
    assert (await staff.get("/api/cases", params={"status": "lost"})).status_code == 422
    month = await staff.get("/api/cases", params={"month": "2026-13"})
    assert month.status_code == 422 and "月份格式不正确" in month.json()["detail"]
    assert (await staff.get("/api/cases", params={"page": 0})).status_code == 422
    assert (await staff.get("/api/cases", params={"page_size": 1000})).status_code == 422


async def test_case_detail_has_unmasked_staff_data_and_the_timeline(
    bot: BotApp, http: httpx.AsyncClient, group: Group
) -> None:
    await group.say(GRID_WORKER, SAMPLE_COMPLAINT)
    (reply,) = [text for text in await group.bot_replies() if "CY-" in text]
    number = reply[reply.index("CY-") : reply.index("CY-") + 14]
    http.headers.update(bearer(await issue_token(bot)))

    response = await http.get(f"/api/cases/{number.lower()}")

    assert response.status_code == 200, response.text
    case = response.json()
    assert case["number"] == number
    assert case["raw_text"] == SAMPLE_COMPLAINT
    assert case["contacts"] == [PHONE]
    assert case["reporter_id"] == GRID_WORKER.id
    assert "13812345678" not in case["masked_text"]
    kinds = [entry["kind"] for entry in case["timeline"]]
    assert kinds[0] == "opened"
    assert case["timeline"][0]["label"] == "登记投诉"
    assert case["timeline"][0]["actor_id"] == GRID_WORKER.id


async def test_unknown_case_is_404(staff: httpx.AsyncClient) -> None:
    response = await staff.get("/api/cases/CY-209901-0001")

    assert response.status_code == 404
    assert "没有编号为" in response.json()["detail"]


# --- merchants ----------------------------------------------------------------------------


async def test_merchants_can_be_created_read_updated_and_deleted(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    http.headers.update(bearer(await issue_token(bot)))

    created = await http.post(
        "/api/merchants",
        json={"name": "湖滨烧烤", "aliases": ["湖滨", "湖滨", " "], "grid": "湖西社区第三网格"},
    )
    assert created.status_code == 201, created.text
    merchant = created.json()
    assert merchant["aliases"] == ["湖滨"]
    path = f"/api/merchants/{merchant['id']}"

    assert (await http.get(path)).json()["name"] == "湖滨烧烤"
    assert [m["name"] for m in (await http.get("/api/merchants", params={"q": "烧烤"})).json()] == [
        "湖滨烧烤"
    ]
    # the parser learns the registry entry at once: an alias in a complaint now finds it
    assert bot.parser.parse("【投诉】湖滨多收消费者30元，要求退款").merchant_id == merchant["id"]

    updated = await http.patch(path, json={"address": "湖西路 8 号", "licence_no": None})
    assert updated.status_code == 200
    assert updated.json()["address"] == "湖西路 8 号"
    assert updated.json()["grid"] == "湖西社区第三网格"  # fields not given are kept

    duplicate = await http.post("/api/merchants", json={"name": "湖滨烧烤"})
    assert duplicate.status_code == 409

    assert (await http.delete(path)).status_code == 204
    assert (await http.get(path)).status_code == 404


async def test_merchant_with_cases_cannot_be_deleted(staff: httpx.AsyncClient) -> None:
    merchants = (await staff.get("/api/merchants")).json()
    zhang = next(m for m in merchants if m["name"] == "张记饺子馆")

    response = await staff.delete(f"/api/merchants/{zhang['id']}")

    assert response.status_code == 409
    assert "投诉案件" in response.json()["detail"]


async def test_renaming_a_merchant_to_a_taken_name_is_409(staff: httpx.AsyncClient) -> None:
    merchants = {m["name"]: m["id"] for m in (await staff.get("/api/merchants")).json()}

    response = await staff.patch(
        f"/api/merchants/{merchants['鲜丰水果店']}", json={"name": "张记饺子馆"}
    )

    assert response.status_code == 409


async def merchants_version(bot: BotApp) -> int:
    async with bot.sessions() as session:
        return (await reference.current(session)).get("merchants", 0)


async def test_every_registry_change_through_the_api_raises_the_reference_version(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    """Other processes reload the merchants only when the version moves (storage.reference)."""
    http.headers.update(bearer(await issue_token(bot)))
    before = await merchants_version(bot)

    created = await http.post("/api/merchants", json={"name": "湖滨烧烤"})
    assert await merchants_version(bot) == before + 1
    path = f"/api/merchants/{created.json()['id']}"

    assert (await http.patch(path, json={"aliases": ["湖滨"]})).status_code == 200
    assert await merchants_version(bot) == before + 2

    assert (await http.patch(path, json={"name": "   "})).status_code == 422
    assert (await http.post("/api/merchants", json={"name": "湖滨烧烤"})).status_code == 409
    assert await merchants_version(bot) == before + 2  # refused: nothing written

    assert (await http.delete(path)).status_code == 204
    assert await merchants_version(bot) == before + 3


async def test_a_chat_merchant_and_an_api_merchant_are_the_same_registry_entry(
    bot: BotApp, group: Group
) -> None:
    group.http.headers.update(bearer(await issue_token(bot)))
    await group.say(STAFF, "/merchant add 湖滨烧烤 湖西社区")
    await group.bot_replies()
    (merchant,) = (await group.http.get("/api/merchants", params={"q": "湖滨"})).json()
    assert merchant["grid"] == "湖西社区"

    duplicate = await group.http.post("/api/merchants", json={"name": "湖滨烧烤"})
    assert duplicate.status_code == 409
    licence = "91330106MA2KXXXX1Y"
    await group.say(STAFF, f"/bind @张记饺子馆老板 湖滨烧烤 {licence}", mentions=(MERCHANT,))
    await group.bot_replies()
    (merchant,) = (await group.http.get("/api/merchants", params={"q": "湖滨"})).json()
    assert (merchant["grid"], merchant["licence_no"]) == ("湖西社区", licence)


# --- statistics and export ----------------------------------------------------------------


async def test_stats_give_the_months_figures_with_merchants(staff: httpx.AsyncClient) -> None:
    response = await staff.get("/api/stats", params={"month": "2026-06"})

    assert response.status_code == 200
    stats = response.json()
    for key, expected in JUNE.items():
        assert stats[key] == expected, key
    assert stats["top_merchants"][0] == {"name": "张记饺子馆", "count": 3}
    assert stats["typical_cases"] == ["CY-202606-0002", "CY-202606-0001", "CY-202605-0002"]
    assert isinstance(stats["overdue"], int)


async def test_export_returns_the_months_workbook(staff: httpx.AsyncClient) -> None:
    response = await staff.get("/api/export", params={"month": "2026-06"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="tiaojie-2026-06.xlsx"' in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    cases = workbook.worksheets[0]
    numbers = {row[0] for row in cases.iter_rows(min_row=2, values_only=True)}
    assert "CY-202606-0005" in numbers and "CY-202607-0001" not in numbers
    figures = {row[0]: row[1] for row in workbook.worksheets[1].iter_rows(values_only=True)}
    assert figures["收到投诉（件）"] == JUNE["received"]
    assert figures["挽回经济损失（元）"] == 178.5
    staff_only = "".join(str(cell) for row in cases.iter_rows(values_only=True) for cell in row)
    assert ID_NUMBER in staff_only  # the staff workbook is unmasked, as the API says


async def test_stats_for_a_bad_month_is_422(staff: httpx.AsyncClient) -> None:
    response = await staff.get("/api/stats", params={"month": "June"})

    assert response.status_code == 422
    assert "月份格式不正确" in response.json()["detail"]


# --- docs ---------------------------------------------------------------------------------


async def test_openapi_docs_describe_the_bearer_scheme_and_the_unmasked_data(
    bot: BotApp, http: httpx.AsyncClient
) -> None:
    docs = await http.get("/docs")
    schema = (await http.get("/openapi.json")).json()

    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "/api/cases" in schema["paths"] and "/api/public/stats" in schema["paths"]
    assert "security" in schema["paths"]["/api/cases"]["get"]
    assert "security" not in schema["paths"]["/api/public/stats"]["get"]
    assert "未做脱敏" in schema["info"]["description"]


def test_status_filter_offers_every_case_status_plus_open_and_closed() -> None:
    offered = {status.value for status in StatusFilter}

    assert offered == {status.value for status in CaseStatus} | {"open", "closed"}


def test_tokens_are_random_and_only_their_hash_is_compared() -> None:
    tokens = {generate_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(hash_token(t)) == 64 for t in tokens)
