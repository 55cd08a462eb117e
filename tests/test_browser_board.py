"""The public board in a real headless Chromium against a real `tiaojie run` process.

The data directory is seeded with a known month before the server starts, as an office
would find it after a month of mediations; the browser then opens the board as a screen in
a mall would, and must see the figures and both chart images actually decoded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_to_head

from .browser import checked_page, chromium
from .month_seed import PHONE, seed_june
from .server import RunningServer, running_server

pytestmark = pytest.mark.browser

CHART_TIMEOUT_MS = 20_000


def seed_data_dir(data_dir: Path) -> None:
    async def seed() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{data_dir / 'tiaojie.sqlite3'}")
        try:
            await upgrade_to_head(engine)
            await seed_june(create_session_factory(engine))
        finally:
            await engine.dispose()

    data_dir.mkdir(parents=True, exist_ok=True)
    # a thread of its own: Playwright's sync API already runs an event loop in this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, seed()).result()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("tiaojie-board") / "data"
    seed_data_dir(data_dir)
    with running_server(data_dir) as running:
        yield running


@pytest.fixture
def page(browser: Browser, server: RunningServer) -> Iterator[Page]:
    with checked_page(browser, server.base_url, 1280, 900) as page:
        yield page


def image_width(page: Page, selector: str) -> int:
    return int(page.eval_on_selector(selector, "img => img.complete ? img.naturalWidth : 0"))


def test_board_shows_the_seeded_month_with_both_charts_loaded(page: Page, tmp_path: Path) -> None:
    response = page.goto("/board/2026-06")

    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("2026年6月消费投诉情况公示")
    expect(page.locator('[data-figure="received"] .value')).to_have_text("6件")
    expect(page.locator('[data-figure="success_rate"] .value')).to_have_text("75.0%")
    expect(page.locator('[data-figure="money_returned"] .value')).to_have_text("178.50元")
    for chart in ("#category-chart", "#problem-chart"):
        page.wait_for_function(
            f"() => {{ const img = document.querySelector('{chart}');"
            " return img && img.complete && img.naturalWidth > 0; }",
            timeout=CHART_TIMEOUT_MS,
        )
        assert image_width(page, chart) > 0
        assert page.eval_on_selector(chart, "img => img.getBoundingClientRect().width") > 200
    assert PHONE not in page.content()
    page.screenshot(path=str(tmp_path / "board.png"), full_page=True)


def test_printed_board_hides_the_buttons_and_keeps_the_figures(page: Page) -> None:
    page.goto("/board/2026-06")
    page.emulate_media(media="print")

    expect(page.locator(".toolbar")).to_be_hidden()
    expect(page.locator('[data-figure="received"]')).to_be_visible()
    expect(page.locator("#category-chart")).to_be_visible()


def test_board_without_month_opens_and_a_bad_month_explains_itself(page: Page) -> None:
    assert page.goto("/board") is not None
    expect(page.get_by_role("heading", level=1)).to_contain_text("消费投诉情况公示")

    response = page.goto("/board/2026-13")
    assert response is not None and response.status == 404
    expect(page.locator("main h1")).to_have_text("月份格式不正确，应为 YYYY-MM，例如 2026-06")
