"""A group chat for tests: people say things, the bot answers, the test reads a transcript.

Everything goes through the real sandbox HTTP interface, router, database and outbox.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bot.app import BotApp


@dataclass(frozen=True)
class Person:
    id: str
    name: str


GRID_WORKER = Person("grid-li", "网格员小李")
STAFF = Person("staff-wang", "监管所王科长")
MERCHANT = Person("merchant-zhang", "张记饺子馆老板")
CONSUMER = Person("consumer-chen", "陈女士")


class Group:
    def __init__(self, bot: BotApp, http: httpx.AsyncClient, room_id: str) -> None:
        self.bot = bot
        self.http = http
        self.room_id = room_id
        self._seen = 0

    async def say(
        self,
        who: Person,
        text: str,
        *,
        mentions: tuple[Person, ...] = (),
        message_id: str | None = None,
    ) -> str:
        body: dict[str, object] = {
            "sender_id": who.id,
            "sender_name": who.name,
            "text": text,
            "mention_ids": [p.id for p in mentions],
        }
        if message_id is not None:
            body["message_id"] = message_id
        response = await self.http.post(f"/sandbox/rooms/{self.room_id}/messages", json=body)
        assert response.status_code == 202, response.text
        await self.bot.settle()
        return str(response.json()["message_id"])

    async def transcript(self, after: int = 0) -> list[dict[str, object]]:
        response = await self.http.get(
            f"/sandbox/rooms/{self.room_id}/messages", params={"after": after}
        )
        assert response.status_code == 200
        return list(response.json()["messages"])

    async def bot_replies(self) -> list[str]:
        """The bot's messages since the last call."""
        messages = await self.transcript(after=self._seen)
        if messages:
            self._seen = int(messages[-1]["seq"])  # type: ignore[arg-type]
        return [str(m["text"]) for m in messages if m["sender_id"] == self.bot.settings.bot_id]
