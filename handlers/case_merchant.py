"""What a case takes from its registered merchant, once the case's merchant is known.

Wherever a case's merchant is set (intake, a follow-up naming it, `/bind` of a waiting
case) `merchant_set` is called: the case takes the merchant's street, community and grid
(statistics split by where the complaint happened, as the survey had it then), and a
complaint against a merchant the survey lists as not trading (歇业/注销/吊销/迁出) or
whose licence has expired is a lead for staff (possible unlicensed trading, a 查处 lead):
each staff member of the case's office and each admin is told privately (`dm:<member id>`,
as `/export` is sent), once per case (the outbox dedupe key holds the case number).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mediation import templates as say
from mediation.registry import trading_concerns
from storage import members, outbox
from storage.models import Case, Merchant

from .context import HandlerContext
from .registry_import import entry_of

DIRECT_ROOM_PREFIX = "dm:"


async def merchant_set(ctx: HandlerContext, case: Case) -> None:
    """Copy the registered merchant's area onto the case and alert staff to a trading lead."""
    if case.merchant_id is None:
        return
    with ctx.session.no_autoflush:  # a batch's new cases are inserted together, later
        merchant = await ctx.session.get(Merchant, case.merchant_id)
    if merchant is None:
        return
    case.street, case.community, case.grid = merchant.street, merchant.community, merchant.grid
    concerns = trading_concerns(entry_of(merchant), ctx.local_now.date())
    if concerns:
        text = say.trading_lead_alert(case.number, merchant.name, list(concerns))
        await tell_staff_privately(
            ctx.session,
            text,
            admins=ctx.config.admins,
            now=ctx.now,
            dedupe_key=f"trading-lead:{case.number}",
            office_id=case.office_id,
        )


async def tell_staff_privately(
    session: AsyncSession,
    text: str,
    *,
    admins: frozenset[str],
    now: datetime,
    dedupe_key: str,
    office_id: int | None = None,
) -> int:
    """Queue `text` to every staff member's private chat (with `office_id`: that office's
    staff and the admins), once per key; how many queued."""
    queued = 0
    with session.no_autoflush:
        staff = await members.staff_ids(session, office_id)
    for member_id in sorted({*staff, *admins}):
        outbox_id = await outbox.enqueue(
            session,
            room_id=DIRECT_ROOM_PREFIX + member_id,
            text=text,
            now=now,
            dedupe_key=f"{dedupe_key}:{member_id}"[:128],
        )
        queued += outbox_id is not None
    return queued
