"""Bearer tokens for the staff admin API.

A token is shown once, when it is created, and never stored: the table keeps its SHA-256.
A plain (unsalted, fast) hash is enough here because the tokens are 256-bit random strings
from `secrets`, not passwords a person chose, so there is nothing to guess or look up in a
table. The hash found by the index lookup is compared again with `hmac.compare_digest`, so
the final yes/no does not depend on how many characters matched.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from .models import ApiToken

log = logging.getLogger(__name__)

TOKEN_PREFIX = "tj_"  # makes a leaked token easy to recognise in logs and secret scanners
TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 200
# Recording every use would make each API read a database write; once a minute is enough
# to tell staff which tokens are still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    id: int
    name: str
    token: str  # the only time the raw token exists outside the caller's hands


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(session: AsyncSession, name: str, now: datetime) -> IssuedToken:
    name = name.strip()
    if not name:
        raise ValueError("a token needs a name")
    token = generate_token()
    row = ApiToken(name=name[:100], token_hash=hash_token(token), created_at=now)
    session.add(row)
    await session.flush()
    return IssuedToken(id=row.id, name=row.name, token=token)


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    return list(await session.scalars(select(ApiToken).order_by(ApiToken.id)))


async def revoke_tokens(session: AsyncSession, id_or_name: str, now: datetime) -> list[ApiToken]:
    """Revoke the token with this id, or every active token with this name."""
    query = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    if id_or_name.isdigit():
        query = query.where(ApiToken.id == int(id_or_name))
    else:
        query = query.where(ApiToken.name == id_or_name.strip())
    rows = list(await session.scalars(query))
    for row in rows:
        row.revoked_at = now
    await session.flush()
    return rows


def describe(row: ApiToken, tz: ZoneInfo) -> str:
    """One line for `tiaojie token list`: never the token, which is not stored."""

    def local(instant: datetime | None) -> str:
        return "—" if instant is None else f"{instant.astimezone(tz):%Y-%m-%d %H:%M}"

    state = "有效" if row.revoked_at is None else f"已吊销（{local(row.revoked_at)}）"
    return (
        f"#{row.id}\t{row.name}\t创建 {local(row.created_at)}\t"
        f"最近使用 {local(row.last_used_at)}\t{state}"
    )


async def authenticate(session: AsyncSession, token: str, now: datetime) -> ApiToken | None:
    """The active token row for a presented token, or None; records when it was last used."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    presented = hash_token(token)
    row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == presented))
    if row is None or not hmac.compare_digest(row.token_hash, presented):
        return None
    if row.revoked_at is not None:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        try:
            await session.commit()
        except SQLAlchemyError:
            # bookkeeping only: a busy database must not turn a valid token away
            await session.rollback()
            log.warning("could not record the use of API token #%s", row.id, exc_info=True)
    return row
