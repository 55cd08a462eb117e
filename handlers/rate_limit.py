"""Flood control for incoming messages: a sender who posts too fast is told once, then
ignored until the window has passed. Messages over the limit are still stored in the inbox
(route `rate_limited`), so nothing is lost for staff; they just do not open cases."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from enum import StrEnum

MAX_TRACKED_SENDERS = 10_000


class Verdict(StrEnum):
    ALLOWED = "allowed"
    FIRST_EXCESS = "first_excess"  # answer once, politely
    EXCESS = "excess"  # stay silent


class SenderRateLimiter:
    def __init__(self, max_messages: int, per: timedelta = timedelta(minutes=1)) -> None:
        self.max_messages = max_messages
        self.per = per
        self._seen: dict[tuple[str, str], deque[datetime]] = {}
        self._warned: dict[tuple[str, str], datetime] = {}

    def check(self, room_id: str, sender_id: str, at: datetime) -> Verdict:
        if self.max_messages <= 0:
            return Verdict.ALLOWED
        key = (room_id, sender_id)
        if len(self._seen) > MAX_TRACKED_SENDERS:
            self.forget_idle(at)
        window = self._seen.setdefault(key, deque())
        while window and at - window[0] >= self.per:
            window.popleft()
        if len(window) < self.max_messages:
            window.append(at)
            self._warned.pop(key, None)
            return Verdict.ALLOWED
        warned_at = self._warned.get(key)
        if warned_at is not None and at - warned_at < self.per:
            return Verdict.EXCESS
        self._warned[key] = at
        return Verdict.FIRST_EXCESS

    def forget_idle(self, now: datetime) -> None:
        """Drop senders with no recent messages so memory stays flat."""
        for key in [k for k, w in self._seen.items() if not w or now - w[-1] >= self.per]:
            self._seen.pop(key, None)
            self._warned.pop(key, None)


class RepeatedAnswers:
    """Answers that need saying only once a minute to the same sender in the same room:
    /help, a refusal. Ten members each sending /help ten times get ten answers, not a
    hundred, so the room's reply budget stays for real work."""

    def __init__(self, per: timedelta = timedelta(minutes=1)) -> None:
        self.per = per
        self._answered: dict[tuple[str, str, str], datetime] = {}

    def first(self, room_id: str, sender_id: str, kind: str, at: datetime) -> bool:
        """True (and remembered) when this kind of answer was not given within the minute."""
        if len(self._answered) > MAX_TRACKED_SENDERS:
            self._answered = {k: t for k, t in self._answered.items() if at - t < self.per}
        key = (room_id, sender_id, kind)
        last = self._answered.get(key)
        if last is not None and at - last < self.per:
            return False
        self._answered[key] = at
        return True
