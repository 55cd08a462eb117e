"""Learning from the group's cases (经验共享): typical cases and asking the group's memory.

`/典型 编号 [标题]` drafts a typical case (典型案例) from a closed case and its timeline with
`mediation.typical` (every personal detail removed; the merchant anonymised by its trade
unless `typical_name_merchants`), `/典型 编号 修改 正文…` replaces the text (scrubbed
again), `发布` publishes it to the board (`/board/cases`, `/api/public/cases`) and the next
monthly summary, `撤下` takes it back. `/案例 关键词` answers with the three most similar
published typical cases and closed cases of the asker's office (`mediation.similar`).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from mediation import templates
from mediation import templates as say
from mediation.cases import CaseStatus, EventKind
from mediation.roles import Role
from mediation.similar import SearchDocument, answer_lines, most_similar
from mediation.typical import (
    TimelineEvent,
    TypicalCaseFacts,
    anonymised_merchant,
    draft_typical_case,
    scrub,
)
from storage import learning_queries
from storage import typical_cases as typical_store
from storage.cases import by_number, timeline
from storage.models import Case, CaseEvent, Merchant, TypicalCase

from .context import HandlerContext
from .registry import STAFF, CommandCall, UsageError, on_command

SIMILAR_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER})
TITLE_LIMIT = 60
TEXT_LIMIT = 4000
QUERY_LIMIT = 100


@on_command("typical", aliases=("典型",), roles=STAFF, usage=say.USAGE_TYPICAL)
async def cmd_typical(ctx: HandlerContext, call: CommandCall) -> None:
    """`/典型 编号 [标题] | 编号 修改 正文… | 编号 发布 | 编号 撤下`."""
    if not call.args:
        raise UsageError
    number = call.args[0].upper()[:32]
    case = await by_number(ctx.session, number)
    if case is None:
        await ctx.reply(templates.unknown_case(number))
        return
    if ctx.role is not Role.ADMIN and ctx.sender.office_id != case.office_id:
        await ctx.reply(say.case_of_other_office(case.number))
        return
    action = call.args[1] if len(call.args) > 1 else None
    if action in say.TYPICAL_EDIT_WORDS:
        await _edit(ctx, case, _text_after(ctx.message.text, action))
    elif action in say.TYPICAL_PUBLISH_WORDS and len(call.args) == 2:
        await _publish(ctx, case)
    elif action in say.TYPICAL_WITHDRAW_WORDS and len(call.args) == 2:
        await _withdraw(ctx, case)
    else:
        await _draft(ctx, case, " ".join(call.args[1:])[:TITLE_LIMIT] or None)


async def _draft(ctx: HandlerContext, case: Case, title: str | None) -> None:
    if not CaseStatus(case.status).is_closed:
        await ctx.reply(say.typical_needs_closed_case(case.number))
        return
    existing = await typical_store.of_case(ctx.session, case.id)
    if existing is not None and existing.state == typical_store.PUBLISHED:
        await ctx.reply(say.typical_is_published(case.number))
        return
    facts = await _facts(ctx, case)
    events = [_timeline_event(event) for event in await timeline(ctx.session, case.id)]
    draft = draft_typical_case(
        facts,
        [event for event in events if event is not None],
        name_merchant=ctx.config.typical_name_merchants,
        title=title,
        tz=ctx.config.timezone,
    )
    if existing is None:
        existing = TypicalCase(
            case_id=case.id,
            number=case.number,
            office_id=case.office_id,
            created_at=ctx.now,
        )
        ctx.session.add(existing)
    existing.state = typical_store.DRAFT
    existing.title = draft.title[:200]
    existing.text = draft.text
    existing.author_id = ctx.sender.id
    existing.updated_at = ctx.now
    await ctx.reply(say.typical_drafted(case.number, draft.text))


async def _edit(ctx: HandlerContext, case: Case, body: str) -> None:
    typical = await typical_store.of_case(ctx.session, case.id)
    if typical is None:
        await ctx.reply(say.typical_missing(case.number))
        return
    if typical.state == typical_store.PUBLISHED:
        await ctx.reply(say.typical_is_published(case.number))
        return
    facts = await _facts(ctx, case)

    def clean(text: str) -> str:
        return scrub(
            text,
            personal_names=facts.personal_names,
            merchant_names=(facts.merchant_name or "", *facts.merchant_aliases),
            merchant_display=None
            if ctx.config.typical_name_merchants
            else anonymised_merchant(facts.merchant_name, facts.category),
        )

    title, body = _split_title(body[:TEXT_LIMIT])
    title = clean(title)[:200] if title else typical.title
    lines = [clean(line) for line in body.splitlines()]
    text = "\n".join(line for line in lines if line)
    if not text:
        await ctx.reply(say.typical_edit_empty(case.number))
        return
    typical.title = title
    typical.text = say.typical_heading(title) + "\n" + text
    typical.state = typical_store.DRAFT
    typical.updated_at = ctx.now
    await ctx.reply(say.typical_edited(case.number, typical.text))


async def _publish(ctx: HandlerContext, case: Case) -> None:
    typical = await typical_store.of_case(ctx.session, case.id)
    if typical is None:
        await ctx.reply(say.typical_missing(case.number))
        return
    typical.state = typical_store.PUBLISHED
    typical.published_at = typical.published_at or ctx.now  # the first publication counts
    typical.withdrawn_at = None
    typical.updated_at = ctx.now
    await ctx.reply(say.typical_published(case.number, typical.title))


async def _withdraw(ctx: HandlerContext, case: Case) -> None:
    typical = await typical_store.of_case(ctx.session, case.id)
    if typical is None:
        await ctx.reply(say.typical_missing(case.number))
        return
    typical.state = typical_store.WITHDRAWN
    typical.withdrawn_at = ctx.now
    typical.updated_at = ctx.now
    await ctx.reply(say.typical_withdrawn(case.number))


def _text_after(message: str, word: str) -> str:
    """What follows `word` in the message as typed (line breaks kept)."""
    _, _, rest = message.partition(word)
    return rest.strip()


def _split_title(text: str) -> tuple[str | None, str]:
    """(title, body) of an edited text whose first line is 【典型案例】title; else no title."""
    first, _, rest = text.strip().partition("\n")
    heading = say.typical_heading("")
    if first.startswith(heading) and first[len(heading) :].strip():
        return first[len(heading) :].strip(), rest
    return None, text


async def _facts(ctx: HandlerContext, case: Case) -> TypicalCaseFacts:
    merchant = (
        await ctx.session.get(Merchant, case.merchant_id) if case.merchant_id is not None else None
    )
    names = {case.merchant_name or ""} | ({merchant.name} if merchant else set())
    return TypicalCaseFacts(
        number=case.number,
        merchant_name=merchant.name if merchant else case.merchant_name,
        merchant_aliases=tuple(sorted({*(merchant.aliases if merchant else ()), *names} - {""})),
        category=case.category,
        problem=case.problem,
        masked_text=case.masked_text,
        demands=tuple(case.demands),
        amount=case.amount,
        status=CaseStatus(case.status),
        remedy=case.offer_remedy,
        money_returned=case.money_returned,
        received_at=case.received_at,
        working_days_to_close=case.working_days_to_close,
        personal_names=tuple(name for name in (case.reporter_name,) if name),
    )


def _timeline_event(event: CaseEvent) -> TimelineEvent | None:
    try:
        kind = EventKind(event.kind)
    except ValueError:
        return None
    note = None
    if kind is EventKind.MERCHANT_REPLIED:
        remedy, amount = event.data.get("remedy"), event.data.get("amount")
        if remedy or amount:
            money = f"{Decimal(str(amount)).normalize():f}元" if amount else ""
            note = f"同意{remedy or ''}{money}"
    return TimelineEvent(kind, event.at, note)


@on_command("similar", aliases=("案例",), roles=SIMILAR_ROLES, usage=say.USAGE_SIMILAR)
async def cmd_similar(ctx: HandlerContext, call: CommandCall) -> None:
    """`/案例 关键词…`: the three most similar typical and closed cases of the office."""
    query = " ".join(call.args)[:QUERY_LIMIT].strip()
    if not query:
        await ctx.reply(say.SIMILAR_EMPTY_QUERY)
        return
    office = None if ctx.role is Role.ADMIN else ctx.sender.office_id
    typical = [
        SearchDocument(
            row.number,
            row.title,
            say.case_outcome(case.status, _money(case)),
            typical=True,
            text=row.text,
        )
        for row, case in await learning_queries.published_with_cases(ctx.session, office)
    ]
    told = {document.number for document in typical}  # a typical case stands for its case
    documents = typical + [
        _closed_document(case)
        for case in await learning_queries.closed_cases(ctx.session, office)
        if case.number not in told
    ]
    hits = await asyncio.to_thread(most_similar, query, documents)  # jieba: off the loop
    await ctx.reply(say.similar_cases(query, answer_lines(hits)))


def _closed_document(case: Case) -> SearchDocument:
    summary = scrub(
        case.masked_text,
        personal_names=(case.reporter_name,),
        merchant_names=(case.merchant_name or "",),
        merchant_display=anonymised_merchant(case.merchant_name, case.category),
    )
    return SearchDocument(
        case.number,
        templates.shorten(summary.replace("\n", " "), 40),
        say.case_outcome(case.status, _money(case)),
        typical=False,
        text=summary,
    )


def _money(case: Case) -> str | None:
    return templates.yuan(case.money_returned) if case.money_returned else None
