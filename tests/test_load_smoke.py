"""A short run of the load benchmark (bench/load.py) as a test: nothing may be lost.

The full benchmark (200 messages/s for 60 s) measures speed; this run asserts only what
must hold at any speed: every accepted message is handled, and every complaint is answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers import RouteKind, first_cut
from mediation.parsing import ComplaintParser

from .load_client import (
    DatabaseView,
    LoadPlan,
    MessageFactory,
    format_report,
    room_ids,
    run_load,
)
from .server import RunningServer, running_server

SMOKE = LoadPlan(
    rate=50,
    seconds=2,
    rooms=4,
    complaint_share=0.4,
    settle_seconds=45,
    poll_interval=0.1,
    run_tag="smoke",
    warmup_messages=0,  # nothing here is timed
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with running_server(tmp_path / "data", env={"TIAOJIE_SWEEP_MINUTES": "0"}) as running:
        yield running


def test_load_complaints_are_complete_complaints_and_load_chatter_is_chatter(
    tmp_path: Path,
) -> None:
    """The benchmark's messages mean what it counts them as (else "losses" are misreadings)."""
    parser = ComplaintParser(cache_dir=tmp_path / "cache")
    parser.prepare()
    messages = MessageFactory(3).mixed(300, rooms=room_ids(3), complaint_share=0.5)
    misread = []
    for message in messages:
        route = first_cut(message.text, message.sender_id, bot_id="tiaojie-bot", parser=parser)
        assert route.parsed is not None
        if message.is_complaint:
            ok = (
                route.kind is RouteKind.COMPLAINT
                and route.parsed.missing == ()
                and route.parsed.merchant == message.merchant
            )
        else:
            ok = route.kind is RouteKind.CHATTER and not route.parsed.nuisance
        if not ok:
            misread.append((message.text, route.kind.value, route.parsed.missing))
    assert misread == []


async def test_hundred_messages_at_fifty_a_second_are_all_handled_and_answered(
    server: RunningServer,
) -> None:
    database = DatabaseView.of_data_dir(server.data_dir)

    report = await run_load(server.base_url, SMOKE, database=database)

    print("\n" + format_report(report, target_rate=SMOKE.rate, target_p99_ms=250))
    assert (report.sent, report.accepted) == (100, 100), report.rejected
    assert report.lost == [] and report.replies_lost == []
    assert report.queued == [] and report.replies_waiting == []
    assert report.complaints_replied == report.complaints_accepted > 0
    assert report.not_routed_as_complaint == 0
    assert report.rate_limited == 0
