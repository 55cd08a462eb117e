"""Reference data versions: how a process learns that another changed merchants or the
calendar. The process that changes them raises the counter in the same transaction; every
process compares the counters with the ones it loaded before it handles messages."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import ReferenceVersion
from .upsert import count_up

_CURRENT = select(ReferenceVersion.name, ReferenceVersion.version)  # built once


async def current(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(_CURRENT)
    return {name: version for name, version in rows.all()}


async def bump(session: AsyncSession, names: Collection[str]) -> None:
    """Raise the counters of `names` in the caller's transaction."""
    for name in sorted(names):
        await count_up(session, ReferenceVersion, {"name": name}, "version")


def changed(seen: dict[str, int], now: dict[str, int]) -> frozenset[str]:
    """The kinds whose counter moved since `seen` was read."""
    return frozenset(name for name, version in now.items() if seen.get(name) != version)
