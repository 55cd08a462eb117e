"""The sandbox page in a real headless Chromium against a real `tiaojie run` process.

This is the newcomer's first experience: open /sandbox, post a complaint as a grid worker,
see the bot answer with a case number. Nothing is faked between the browser and the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from .browser import checked_page, chromium
from .server import RunningServer, running_server

pytestmark = pytest.mark.browser

BOT_REPLY_TIMEOUT_MS = 15_000
SEND_FAILURE_TIMEOUT_MS = 15_000
SAMPLE_COMPLAINT = "【投诉】湖西路张记饺子馆多收消费者58元，要求退款，电话13812345678"

BOT = '[data-from="bot"]'
MINE_DELIVERED = '[data-from="me"][data-seq]'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("tiaojie") / "data") as running:
        yield running


@pytest.fixture
def page(browser: Browser, server: RunningServer) -> Iterator[Page]:
    with checked_page(browser, server.base_url, 420, 800) as page:
        yield page


def transcript(server: RunningServer, room: str) -> list[dict[str, object]]:
    response = httpx.get(f"{server.base_url}/sandbox/rooms/{room}/messages", timeout=5.0)
    response.raise_for_status()
    return list(response.json()["messages"])


def send_button(page: Page) -> Locator:
    return page.get_by_role("button", name="发送", exact=True)


def test_grid_worker_posts_sample_complaint_and_sees_case_number_with_masked_phone(
    page: Page, server: RunningServer
) -> None:
    page.goto("/sandbox?room=browser-complaint")
    page.get_by_label("选择身份").select_option("grid-li")
    page.get_by_role("button", name="示例投诉").click()
    expect(page.get_by_label("输入消息")).to_have_value(SAMPLE_COMPLAINT)
    send_button(page).click()

    reply = page.locator(BOT).filter(has_text="CY-")
    expect(reply).to_have_count(1, timeout=BOT_REPLY_TIMEOUT_MS)
    expect(reply).to_contain_text("调解助手")
    expect(reply).to_contain_text("138****5678")
    expect(reply).not_to_contain_text("13812345678")
    expect(page.locator(MINE_DELIVERED)).to_have_count(1)
    expect(page.locator(MINE_DELIVERED)).to_contain_text("网格员小李")
    # every message of the room is on the page exactly once
    expect(page.locator("[data-seq]")).to_have_count(len(transcript(server, "browser-complaint")))


def test_markup_in_a_message_is_shown_as_text_and_never_run(page: Page) -> None:
    first_line = "<script>window.__pwned=1</script>"
    second_line = '<img src=x onerror="window.__pwned=1">'
    page.goto("/sandbox?room=browser-markup")
    box = page.get_by_label("输入消息")
    box.fill(first_line)
    box.press("Shift+Enter")  # a newline, not a send
    box.press_sequentially(second_line)
    box.press("Enter")

    shown = page.locator(f"{MINE_DELIVERED} .bubble .text")
    expect(shown).to_have_count(1)
    assert shown.text_content() == f"{first_line}\n{second_line}"
    assert page.locator(".bubble script, .bubble img").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_page_without_room_opens_demo_room_and_keeps_it_in_the_url(page: Page) -> None:
    page.goto("/sandbox")
    expect(page.get_by_label("群聊房间号")).to_have_value("demo-room")
    assert page.url.endswith("/sandbox?room=demo-room")

    page.get_by_label("群聊房间号").fill("browser-other")
    page.get_by_label("群聊房间号").press("Enter")
    expect(page).to_have_url(f"{page.url.split('?')[0]}?room=browser-other")


def test_member_picked_with_at_picker_is_sent_as_mention(page: Page, server: RunningServer) -> None:
    page.goto("/sandbox?room=browser-mention")
    page.get_by_label("选择身份").select_option("grid-li")
    page.get_by_role("button", name="@提及成员").click()
    page.get_by_role("group", name="选择要@的成员").get_by_text("监管所王科长").click()
    page.get_by_label("输入消息").press_sequentially("请看一下")
    page.get_by_label("输入消息").press("Enter")

    expect(page.locator(f"{MINE_DELIVERED} .mention")).to_have_text("@监管所王科长")
    (message,) = [m for m in transcript(server, "browser-mention") if m["sender_id"] == "grid-li"]
    assert message["text"] == "@监管所王科长 请看一下"
    assert message["mention_ids"] == ["staff-wang"]


def test_send_whose_answer_is_lost_is_retried_and_handled_once(
    page: Page, server: RunningServer
) -> None:
    """The server takes the message but the browser never hears back: the retry reuses the
    message id, so the room shows the complaint once and the bot opens one case."""
    lost: list[str | None] = []

    def lose_first_answer(route: Route) -> None:
        if route.request.method != "POST" or lost:
            route.continue_()
            return
        route.fetch()  # the server receives and stores it
        lost.append(route.request.post_data)
        route.abort("connectionreset")

    page.route("**/sandbox/rooms/*/messages", lose_first_answer)
    page.goto("/sandbox?room=browser-retry")
    page.get_by_label("选择身份").select_option("grid-li")
    page.get_by_label("输入消息").fill(SAMPLE_COMPLAINT)
    send_button(page).click()

    expect(page.locator(BOT).filter(has_text="CY-")).to_have_count(1, timeout=BOT_REPLY_TIMEOUT_MS)
    expect(page.locator(MINE_DELIVERED)).to_have_count(1)
    assert len(lost) == 1
    texts = [m["text"] for m in transcript(server, "browser-retry")]
    assert texts.count(SAMPLE_COMPLAINT) == 1
    assert sum("CY-" in str(text) for text in texts) == 1


def test_failed_send_shows_notice_and_resend_delivers(page: Page) -> None:
    page.route(
        "**/sandbox/rooms/*/messages",
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )
    page.goto("/sandbox?room=browser-offline")
    page.get_by_label("输入消息").fill("收到")
    send_button(page).click()

    expect(page.get_by_role("alert")).to_contain_text("发送失败", timeout=SEND_FAILURE_TIMEOUT_MS)
    resend = page.get_by_role("button", name="重新发送")
    expect(resend).to_be_visible()

    page.unroute("**/sandbox/rooms/*/messages")
    resend.click()
    delivered = page.locator(f"{MINE_DELIVERED} .bubble .text")
    expect(delivered).to_have_count(1)
    expect(delivered).to_have_text("收到")
    expect(page.locator("[data-pending]")).to_have_count(0)


def test_staff_identity_is_an_admin_and_reads_private_replies_and_downloads_the_export(
    page: Page, server: RunningServer
) -> None:
    """No TIAOJIE_ADMINS: with the sandbox gateway the page's staff identity is an
    administrator (the page says so); the export and /stats asked privately show in the
    private-messages pane, the export as a download link."""
    page.goto("/sandbox?room=browser-private")
    page.get_by_label("选择身份").select_option("staff-wang")
    expect(page.get_by_role("note")).to_contain_text("默认是管理员")
    box = page.get_by_label("输入消息")
    box.fill("/export")
    box.press("Enter")

    expect(page.locator(BOT).filter(has_text="已私信发送")).to_have_count(
        1, timeout=BOT_REPLY_TIMEOUT_MS
    )
    link = page.locator("#private-list a.download-link")
    expect(link).to_have_count(1, timeout=BOT_REPLY_TIMEOUT_MS)
    expect(link).to_have_attribute("href", re.compile(r"/sandbox/media/export-.*\.xlsx$"))
    expect(link).to_have_attribute("download", re.compile(r"^export-.*\.xlsx$"))
    expect(page.locator("#private-list")).to_contain_text("案件统计表")
    assert page.locator("#private-pane img, .bubble img").count() == 0
    href = link.get_attribute("href") or ""
    assert href.startswith(server.base_url)
    download = httpx.get(href, timeout=5.0)
    assert download.status_code == 200 and download.content[:2] == b"PK"

    page.get_by_label("私聊调解助手").fill("/stats")
    page.get_by_role("button", name="私聊发送").click()
    expect(page.locator("#private-list .pm[data-from='bot']").last).to_contain_text(
        "消费投诉统计", timeout=BOT_REPLY_TIMEOUT_MS
    )

    page.get_by_label("选择身份").select_option("grid-li")  # another identity, another chat
    expect(page.locator("#private-list .pm")).to_have_count(0)
