"""With TIAOJIE_TYPICAL_NAME_MERCHANTS=true the published write-up names the merchant (still
with no consumer's name, phone or address)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.settings import Settings

from .conversation import STAFF, Group
from .test_typical_cases_at_work import NUMBER, a_closed_case, assert_nothing_personal


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        admins=["staff-wang"],
        gateway="sandbox",
        sweep_minutes=0,
        typical_name_merchants=True,
        _env_file=None,
    )


async def test_the_merchant_is_named_when_the_setting_says_so(
    group: Group, http: httpx.AsyncClient
) -> None:
    await a_closed_case(group)
    await group.say(STAFF, f"/典型 {NUMBER}")
    await group.say(STAFF, f"/典型 {NUMBER} 发布")
    await group.bot_replies()

    (item,) = (await http.get("/api/public/cases")).json()["cases"]
    assert "张记饺子馆" in item["text"] and "某饺子馆" not in item["text"]
    assert_nothing_personal(item["text"])
