"""Spike alerts (投诉预警): staff hear at once when complaints burst.

After each new case, its office's recent complaints of the same merchant or category (all
a spike it belongs to is made of) are counted (`mediation.hot_issues`):
one merchant with `spike_merchant_count` complaints within `spike_merchant_days` days, or a
category whose last 7 days hold at least `spike_category_min` complaints and twice the 7
days before (a gym closing its doors). Only a spike the new case belongs to is told, to the
office's staff and the admins privately, or to the staff room when one is set; each spike
once, by the outbox dedupe key made of the spike's `key` (a burst is named by its first
complaint, a category's by its ISO week).
"""

from __future__ import annotations

from datetime import timedelta

from mediation.hot_issues import HotIssueCase, category_spikes, merchant_spikes
from storage import learning_queries, outbox
from storage.models import Case

from .case_merchant import tell_staff_privately
from .context import HandlerContext

CATEGORY_WINDOW_DAYS = 14  # the last 7 days and the 7 before


async def alert_spikes(ctx: HandlerContext, case: Case) -> int:
    """Tell staff of every spike the new `case` is part of, once each; how many queued."""
    config = ctx.config
    since = ctx.now - timedelta(days=max(config.spike_merchant_days, CATEGORY_WINDOW_DAYS))
    with ctx.session.no_autoflush:  # the new case is not inserted yet: it is added below
        recent = await learning_queries.hot_issue_cases(
            ctx.session, since, office_id=case.office_id, alike=case
        )
    current = HotIssueCase(
        case.number,
        ctx.now,
        case.category,
        case.problem,
        case.merchant_id,
        case.merchant_name,
        case.masked_text,
    )
    cases = [*(other for other in recent if other.number != case.number), current]
    texts = [
        (spike.key, spike.text)
        for spike in merchant_spikes(
            cases,
            ctx.now,
            days=config.spike_merchant_days,
            threshold=config.spike_merchant_count,
        )
        if case.number in spike.numbers
    ]
    texts += [
        (spike.key, spike.text)
        for spike in category_spikes(
            cases, ctx.now, min_count=config.spike_category_min, tz=config.timezone
        )
        if spike.category == case.category
    ]
    queued = 0
    for key, text in texts:
        queued += await _tell_staff(ctx, text, key, case.office_id)
    return queued


async def _tell_staff(ctx: HandlerContext, text: str, key: str, office_id: int) -> int:
    room = ctx.config.staff_room
    if room:
        queued = await outbox.enqueue(
            ctx.session, room_id=room, text=text, now=ctx.now, dedupe_key=key[:128]
        )
        return int(queued is not None)
    return await tell_staff_privately(
        ctx.session,
        text,
        admins=ctx.config.admins,
        now=ctx.now,
        dedupe_key=key,
        office_id=office_id,
    )
