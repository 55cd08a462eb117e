"""`tiaojie erase` leaves no copy of the consumer's numbers anywhere (issue 17.9): not in the
exports already written, the sandbox transcript, the inbox's text and error, the outbox
(a staff member's private /case carries the full text), the "erased" text itself, nor in
any byte of the data directory, the database file included."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from bot.app import BotApp
from storage.models import InboxMessage

from .conversation import GRID_WORKER, STAFF, Group

PHONE = "13912345678"
ID_NUMBER = "110101199003074512"
COMPLAINT = (
    f"【投诉】湖西路张记饺子馆多收消费者58元，要求退款，身份证{ID_NUMBER}，电话139/1234/5678"
)
FOLLOW_UP = "补充：消费者另一个电话 139 1234 5678"
# the numbers as written anywhere: plain, with the separators used above, UTF-8 or UTF-16
WRITTEN = [PHONE, "139/1234/5678", "139 1234 5678", ID_NUMBER]


def copies_left(data_dir: Path) -> list[str]:
    found = []
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file():
            continue
        content = path.read_bytes()
        for written in WRITTEN:
            for encoded in (written.encode("utf-8"), written.encode("utf-16-le")):
                if encoded in content:
                    found.append(f"{path.relative_to(data_dir)}: {written}")
    return found


async def test_erase_leaves_no_copy_in_the_data_directory_or_the_database(
    group: Group, bot: BotApp, http
) -> None:  # type: ignore[no-untyped-def]
    await group.say(GRID_WORKER, COMPLAINT)
    await group.say(GRID_WORKER, FOLLOW_UP)
    private = Group(bot, http, room_id=f"dm:{STAFF.id}")
    await private.say(STAFF, "/case CY-202606-0001")  # staff read the full text privately
    await private.say(STAFF, "/export 本月")
    async with bot.sessions.begin() as session:  # as an export failing on a bad cell left it
        await session.execute(
            update(InboxMessage).values(error=f"IllegalCharacterError: 电话{PHONE} cannot be used")
        )
    exports = list((bot.settings.data_dir / "media").glob("export-*.xlsx"))
    assert exports
    assert copies_left(bot.settings.data_dir)  # the test can see them

    env = {**os.environ, "TIAOJIE_DATA_DIR": str(bot.settings.data_dir)}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.cli", "erase", "CY-202606-0001"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    assert copies_left(bot.settings.data_dir) == []
    assert not any(path.exists() for path in exports)
    transcript = [str(m["text"]) for m in await group.transcript() + await private.transcript()]
    assert not any(re.search(r"139\D{0,3}1234\D{0,3}5678", text) for text in transcript)
