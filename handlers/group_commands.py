"""The commands of a mediation in the group (`/case CY-…`, `/bind @成员 商家`, …).

Each is one small async function declared with `on_command` (name, Chinese aliases, who may
run it, usage line: see `handlers/registry.py`). A wrong argument raises UsageError and
gets the usage line, an unknown case number says so; nothing here raises into the router.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from mediation import templates
from mediation import templates as say
from mediation.case_numbers import CASE_NUMBER_PATTERN, find_case_numbers
from mediation.cases import EVENT_LABELS, Actor, CaseStatus, EventKind, ready_for_mediation
from mediation.lifecycle import CaseAction
from mediation.money import in_range
from mediation.privacy import mask_text
from mediation.roles import ROLE_BY_LABEL, Role
from storage import calendar as calendar_store
from storage import case_queries, cases, members, offices, outbox
from storage import merchants as merchant_store
from storage.calendar_facts import refresh_calendar_facts_around
from storage.models import Case, Member, Merchant

from .case_actions import accept_and_notify, act, notify_merchant
from .case_merchant import merchant_set
from .context import HandlerContext
from .merchants import save_merchant
from .permissions import may_see_case
from .registry import ADMIN_ONLY, ANYONE, STAFF, CommandCall, UsageError, on_command
from .thread import actor_of

LICENCE_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
AMOUNT_PATTERN = re.compile(r"^[¥￥]?(\d+(?:\.\d{1,2})?)元?$")


async def _case_arg(ctx: HandlerContext, call: CommandCall, *, shown: bool = False) -> Case | None:
    """The case named by the first argument, or None after telling the sender why.

    `shown`: the command shows the case's details, which happens only in its own group
    (staff anywhere by private message); staff may act on any case from anywhere."""
    if not call.args or not CASE_NUMBER_PATTERN.fullmatch(call.args[0]):
        raise UsageError
    number = find_case_numbers(call.args[0])[0]
    case = await cases.by_number(ctx.session, number)
    if case is None:
        await ctx.reply(templates.unknown_case(number))
        return None
    here = ctx.message.room_id if shown or not ctx.role.is_staff else None
    if not may_see_case(ctx.sender, case, here):
        if ctx.role.is_staff and may_see_case(ctx.sender, case):  # theirs, but not shown here
            await ctx.reply(templates.case_of_another_group(number))
        else:
            await ctx.reply(templates.not_your_case(number))
        return None
    return case


@on_command("case", aliases=("案件",), roles=ANYONE, usage=templates.USAGE_CASE)  # see may_see_case
async def cmd_case(ctx: HandlerContext, call: CommandCall) -> None:
    case = await _case_arg(ctx, call, shown=True)
    if case is None:
        return
    # the group (merchants included) sees the bot's summary; staff by private message, the
    # text and the internal notes
    full_text = ctx.role.is_staff and ctx.message.room_id.startswith("dm:")
    events = [
        event
        for event in await cases.timeline(ctx.session, case.id)
        if full_text or event.kind != EventKind.NOTE
    ]
    names = await members.display_names(ctx.session, {e.actor_id for e in events if e.actor_id})
    tz = ctx.config.timezone
    entries = [
        (
            event.at.astimezone(tz),
            templates.note_entry(str(event.data.get("text", "")))
            if event.kind == EventKind.NOTE
            else EVENT_LABELS.get(EventKind(event.kind), event.kind),
            names.get(event.actor_id or "", ""),
        )
        for event in events
    ]
    summary = templates.complaint_summary(case.merchant_name, case.category, case.problem)
    await ctx.reply(
        templates.case_timeline(
            case.number,
            CaseStatus(case.status).label,
            case.merchant_name,
            case.amount,
            tuple(case.demands),
            case.raw_text if full_text else summary,
            entries,
            full_text=full_text,
        ),
        case=case,
        unmasked_in_private=full_text,
    )


@on_command("withdraw", aliases=("撤回",), roles=ANYONE, usage=templates.USAGE_WITHDRAW)
async def cmd_withdraw(ctx: HandlerContext, call: CommandCall) -> None:
    case = await _case_arg(ctx, call)
    if case is None:
        return
    act(ctx, case, CaseAction.WITHDRAW, actor_of(ctx, case))
    await ctx.reply(templates.case_withdrawn(case.number), case=case)


@on_command("accept", aliases=("受理",), roles=STAFF, usage=templates.USAGE_ACCEPT)
async def cmd_accept(ctx: HandlerContext, call: CommandCall) -> None:
    case = await _case_arg(ctx, call)
    if case is None:
        return
    merchant_ids = await members.merchant_member_ids(ctx.session, case.merchant_id)
    if not merchant_ids:
        act(ctx, case, CaseAction.ACCEPT, Actor.STAFF)
        await ctx.reply(
            templates.case_accepted(case.number)
            + "\n"
            + templates.merchant_not_in_group(case.number, case.merchant_name),
            case=case,
        )
        return
    await accept_and_notify(ctx, case, actor=Actor.STAFF, merchant_ids=merchant_ids)


@on_command("refuse", aliases=("不予受理",), roles=STAFF, usage=templates.USAGE_REFUSE)
async def cmd_refuse(ctx: HandlerContext, call: CommandCall) -> None:
    if len(call.args) < 2:
        raise UsageError
    case = await _case_arg(ctx, call)
    if case is None:
        return
    reason = " ".join(call.args[1:])[:200]
    act(ctx, case, CaseAction.REFUSE, Actor.STAFF, data={"reason": reason})
    await ctx.reply(templates.case_refused(case.number, reason), case=case)


CLOSE_OUTCOMES = {
    "成功": CaseAction.CLOSE_RESOLVED,
    "调解成功": CaseAction.CLOSE_RESOLVED,
    "失败": CaseAction.CLOSE_FAILED,
    "调解失败": CaseAction.CLOSE_FAILED,
}


@on_command("close", aliases=("结案",), roles=STAFF, usage=templates.USAGE_CLOSE)
async def cmd_close(ctx: HandlerContext, call: CommandCall) -> None:
    if len(call.args) < 2 or call.args[1] not in CLOSE_OUTCOMES or len(call.args) > 3:
        raise UsageError
    amount = _amount(call.args[2]) if len(call.args) == 3 else None
    case = await _case_arg(ctx, call)
    if case is None:
        return
    if amount is not None and not in_range(amount, ctx.config.max_amount):
        await ctx.reply(templates.amount_out_of_range(amount, ctx.config.max_amount), case=case)
        return
    act(
        ctx,
        case,
        CLOSE_OUTCOMES[call.args[1]],
        Actor.STAFF,
        data={"money_returned": str(amount) if amount is not None else None},
        money_returned=amount,
    )
    status = CaseStatus(case.status)
    text = templates.case_closed(case.number, status.label, case.money_returned)
    if status is CaseStatus.RESOLVED:  # success is rated, however it was reached
        text += "\n" + templates.ask_for_rating(case.number, case.relayed)
        await ctx.reply(text, mention_ids=[case.reporter_id], case=case)
        return
    await ctx.reply(text, case=case)


def _amount(word: str) -> Decimal:
    match = AMOUNT_PATTERN.fullmatch(word)
    if match is None:
        raise UsageError
    try:
        return Decimal(match.group(1))
    except InvalidOperation as error:
        raise UsageError from error


@on_command("reopen", aliases=("重开",), roles=STAFF, usage=templates.USAGE_REOPEN)
async def cmd_reopen(ctx: HandlerContext, call: CommandCall) -> None:
    case = await _case_arg(ctx, call)
    if case is None:
        return
    act(ctx, case, CaseAction.REOPEN, Actor.STAFF)
    await ctx.reply(templates.case_reopened(case.number), case=case)


@on_command("assign", aliases=("指派",), roles=STAFF, usage=templates.USAGE_ASSIGN)
async def cmd_assign(ctx: HandlerContext, call: CommandCall) -> None:
    if not call.mention_ids:
        raise UsageError
    case = await _case_arg(ctx, call)
    if case is None:
        return
    assignee = await mentioned_member(ctx, call)
    case.assignee_id = assignee.id
    ctx.record_event(case, EventKind.ASSIGNED, Actor.STAFF, {"assignee_id": assignee.id})
    await ctx.reply(
        templates.case_assigned(case.number, member_name(assignee)),
        mention_ids=[assignee.id],
        case=case,
    )


@on_command("role", aliases=("身份",), roles=ADMIN_ONLY, usage=templates.USAGE_ROLE)
async def cmd_role(ctx: HandlerContext, call: CommandCall) -> None:
    if not call.mention_ids or len(call.args) not in (1, 2) or call.args[0] not in ROLE_BY_LABEL:
        raise UsageError
    role = ROLE_BY_LABEL[call.args[0]]
    if role is Role.ADMIN:
        raise UsageError  # admins come from the settings only
    office = None
    if len(call.args) == 2:  # `/role @某 工作人员 湖西所`: staff of an office
        if role is not Role.STAFF:
            raise UsageError
        office = await offices.by_name(ctx.session, call.args[1])
        if office is None:
            names = [known.name for known in await offices.all_offices(ctx.session)]
            await ctx.reply(say.unknown_office(call.args[1][:50], names))
            return
    member = await mentioned_member(ctx, call)
    member.role = role
    if role is not Role.MERCHANT:
        member.merchant_id = None
    if office is not None:
        member.office_id = office.id
        await ctx.reply(say.office_staff_granted(member_name(member), role.label, office.name))
        return
    await ctx.reply(templates.role_granted(member_name(member), role.label))


@on_command("bind", aliases=("绑定",), roles=STAFF, usage=templates.USAGE_BIND)
async def cmd_bind(ctx: HandlerContext, call: CommandCall) -> None:
    if not call.mention_ids or not call.args:
        raise UsageError
    fields = merchant_fields(call.args)
    # the registry's merchant of exactly this name or alias; otherwise a new one: 张记 is
    # neither 张记饺子馆 nor 张记烤鸭店
    known = await merchant_store.by_name_or_alias(ctx.session, str(fields["name"]))
    if known is not None:
        fields["name"] = known.name
    merchant, created = await save_merchant(ctx.session, fields, now=ctx.now)
    member = await mentioned_member(ctx, call)
    # @-mentioned here by staff: the merchant is in this group
    await members.record_room_member(ctx.session, ctx.message.room_id, member.id, ctx.now)
    member.role = Role.MERCHANT
    member.merchant_id = merchant.id
    ctx.reload.add("merchants")  # this process reloads; the others see the version raised
    await ctx.reply(templates.merchant_bound(member_name(member), merchant.name, created))
    await _notify_waiting_cases(ctx, merchant)


async def _notify_waiting_cases(ctx: HandlerContext, merchant: Merchant) -> None:
    """Every open case of this merchant, in any group, now reaches it: a complete pending
    case is accepted and notified, an accepted one the merchant was never told about (staff
    accepted it before the binding) is notified. Its answers then work as usual."""
    open_cases = await case_queries.open_for_merchant(
        ctx.session, merchant.id, [merchant.name, *merchant.aliases]
    )
    merchant_ids = await members.merchant_member_ids(ctx.session, merchant.id)
    notified = await case_queries.notified_case_ids(ctx.session, [c.id for c in open_cases])
    for case in open_cases:
        never_told = case.id not in notified or case.merchant_id is None
        if case.status == CaseStatus.PENDING and not ready_for_mediation(case.missing):
            continue
        if case.merchant_id != merchant.id:
            case.merchant_id = merchant.id
            await merchant_set(ctx, case)
        if case.status == CaseStatus.PENDING:
            await accept_and_notify(ctx, case, actor=Actor.SYSTEM, merchant_ids=merchant_ids)
        elif never_told:
            await notify_merchant(ctx, case, merchant_ids)


CALENDAR_KINDS = {"上班": True, "工作日": True, "补班": True, "放假": False, "休息": False}


@on_command("calendar", aliases=("日历",), roles=STAFF, usage=templates.USAGE_CALENDAR)
async def cmd_calendar(ctx: HandlerContext, call: CommandCall) -> None:
    """Apply the State Council's holiday notice: mark a day as a working day or a holiday."""
    if len(call.args) <= 1:
        year = ctx.local_now.year + (1 if ctx.local_now.month == 12 else 0)
        if call.args:
            if not re.fullmatch(r"20\d\d", call.args[0]):
                raise UsageError
            year = int(call.args[0])
        rows = await calendar_store.list_overrides(ctx.session, year)
        entries = [(row.day, row.is_working_day, row.note) for row in rows]
        known = ctx.calendar.make_up_days_known(year)
        await ctx.reply(templates.calendar_overrides(year, entries, known))
        return
    if len(call.args) < 2 or call.args[1] not in CALENDAR_KINDS:
        raise UsageError
    try:
        day = date.fromisoformat(call.args[0])
    except ValueError as error:
        raise UsageError from error
    is_working = CALENDAR_KINDS[call.args[1]]
    note = " ".join(call.args[2:])[:200]
    await calendar_store.set_override(ctx.session, day, is_working, note)
    await refresh_calendar_facts_around(
        ctx.session, day, ctx.config.deadline_policy, ctx.config.timezone
    )
    ctx.reload.add("calendar")
    await ctx.reply(templates.calendar_override_set(day, is_working))


@on_command("outbox", aliases=("发送队列",), roles=STAFF, usage=templates.USAGE_OUTBOX)
async def cmd_outbox(ctx: HandlerContext, call: CommandCall) -> None:
    """Replies the platform would not take: how many, which, and try them again."""
    if call.args and call.args != ["retry"] and call.args != ["重发"]:
        raise UsageError
    if call.args:
        count = await outbox.retry_failed(ctx.session, ctx.now)
        await ctx.reply(templates.outbox_retried(count))
        return
    counts = await outbox.delivery_counts(ctx.session)
    recent = [
        (row.room_id, mask_text(row.text), row.last_error or "")
        for row in await outbox.failed(ctx.session)
    ]
    await ctx.reply(
        templates.outbox_status(counts.get("pending", 0), counts.get("failed", 0), recent)
    )


MENTION_NAME = re.compile(r"[@＠]([^\s\u2005@＠]+)")


async def mentioned_member(ctx: HandlerContext, call: CommandCall) -> Member:
    """The first member the command @-mentions, with the name the group shows when the
    bot has not seen them post yet (the text carries 「@张记饺子馆老板」)."""
    names = MENTION_NAME.findall(ctx.message.text)
    shown = names[0][:200] if len(names) == len(call.mention_ids) else ""
    member = await members.ensure_member(ctx.session, call.mention_ids[0], "", ctx.now)
    if not member.display_name and shown:
        member.display_name = shown
    return member


def member_name(member: Member) -> str:
    """How the group knows a member: the display name, never the raw contact id."""
    return member.display_name or templates.UNNAMED_MEMBER


def merchant_fields(args: list[str]) -> dict[str, object]:
    """`名称 [统一社会信用代码] [网格]` as registry fields; only the ones given."""
    fields: dict[str, object] = {"name": args[0][:100]}
    for word in args[1:]:
        if LICENCE_PATTERN.fullmatch(word.upper()):
            fields["licence_no"] = word.upper()
        else:
            fields["grid"] = word[:100]
    return fields
