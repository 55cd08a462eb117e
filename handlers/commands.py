"""Commands typed into the group (`/case CY-…`, `/bind @成员 商家`, …).

Each command is a small async function; `COMMANDS` maps names and Chinese aliases to them,
and `permissions.COMMAND_ROLES` decides who may run which. A wrong argument gets the usage
line, an unknown case number says so; nothing here raises into the router.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select

from mediation import templates
from mediation.case_numbers import CASE_NUMBER_PATTERN, find_case_numbers
from mediation.cases import EVENT_LABELS, Actor, CaseStatus, EventKind
from mediation.lifecycle import CaseAction, IllegalTransition
from mediation.privacy import mask_text
from mediation.roles import ROLE_BY_LABEL, Role
from storage import calendar as calendar_store
from storage import cases, members, outbox, reports
from storage.models import Case, Member, Merchant

from . import staff_commands
from .case_actions import accept_and_notify, act, merchant_member_ids
from .context import HandlerContext
from .permissions import COMMAND_ROLES, may_run, may_see_case

log = logging.getLogger(__name__)

LICENCE_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
AMOUNT_PATTERN = re.compile(r"^[¥￥]?(\d+(?:\.\d{1,2})?)元?$")


@dataclass(frozen=True)
class CommandCall:
    name: str
    args: list[str]  # words after the command, @mentions removed
    mention_ids: list[str]


class UsageError(Exception):
    """The arguments do not fit; the bot answers with the usage line."""


Handler = Callable[[HandlerContext, CommandCall], Awaitable[None]]


def parse_command(text: str, mention_ids: list[str]) -> CommandCall:
    words = text.strip().lstrip("/／").split()
    name = words[0].lower() if words else ""
    args = [word for word in words[1:] if not word.startswith(("@", "＠"))]
    return CommandCall(name=ALIASES.get(name, name), args=args, mention_ids=mention_ids)


async def handle_command(ctx: HandlerContext) -> None:
    call = parse_command(ctx.message.text, list(ctx.message.mention_ids))
    handler = COMMANDS.get(call.name)
    if handler is None:
        await ctx.reply(templates.unknown_command("/" + call.name[:20]))
        return
    if not may_run(ctx.role, call.name):
        log.info("denied /%s to %s (%s)", call.name, ctx.sender.id, ctx.role.value)
        await ctx.reply(templates.permission_denied(call.name))
        return
    try:
        await handler(ctx, call)
    except UsageError:
        await ctx.reply(templates.usage(templates.COMMAND_USAGE[call.name]))
    except IllegalTransition as refusal:
        await ctx.reply(refusal.message)


async def _case_arg(ctx: HandlerContext, call: CommandCall) -> Case | None:
    """The case named by the first argument, or None after telling the sender why."""
    if not call.args or not CASE_NUMBER_PATTERN.fullmatch(call.args[0]):
        raise UsageError
    number = find_case_numbers(call.args[0])[0]
    case = await cases.by_number(ctx.session, number)
    if case is None:
        await ctx.reply(templates.unknown_case(number))
        return None
    if not may_see_case(ctx.sender, case):
        await ctx.reply(templates.not_your_case(number))
        return None
    return case


def _actor(ctx: HandlerContext, case: Case) -> Actor:
    if ctx.role.is_staff:
        return Actor.STAFF
    if case.reporter_id == ctx.sender.id:
        return Actor.REPORTER
    return Actor.MERCHANT


async def cmd_help(ctx: HandlerContext, call: CommandCall) -> None:
    usable = [name for name in COMMAND_ROLES if may_run(ctx.role, name)]
    await ctx.reply(templates.help_text(usable))


async def cmd_case(ctx: HandlerContext, call: CommandCall) -> None:
    case = await _case_arg(ctx, call)
    if case is None:
        return
    events = await cases.timeline(ctx.session, case.id)
    actor_ids = {e.actor_id for e in events if e.actor_id}
    names = {}
    if actor_ids:
        rows = await ctx.session.execute(
            select(Member.id, Member.display_name).where(Member.id.in_(actor_ids))
        )
        names = {member_id: name for member_id, name in rows.all()}
    tz = ctx.config.timezone
    entries = [
        (
            event.at.astimezone(tz),
            EVENT_LABELS.get(EventKind(event.kind), event.kind),
            names.get(event.actor_id or "", ""),
        )
        for event in events
    ]
    full_text = ctx.role.is_staff and ctx.message.room_id.startswith("dm:")  # issue 17.3
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


async def cmd_withdraw(ctx: HandlerContext, call: CommandCall) -> None:
    case = await _case_arg(ctx, call)
    if case is None:
        return
    act(ctx, case, CaseAction.WITHDRAW, _actor(ctx, case))
    await ctx.reply(templates.case_withdrawn(case.number), case=case)


async def cmd_accept(ctx: HandlerContext, call: CommandCall) -> None:
    case = await _case_arg(ctx, call)
    if case is None:
        return
    merchant_ids = await merchant_member_ids(ctx.session, case.merchant_id)
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


async def cmd_close(ctx: HandlerContext, call: CommandCall) -> None:
    if len(call.args) < 2 or call.args[1] not in CLOSE_OUTCOMES or len(call.args) > 3:
        raise UsageError
    amount = _amount(call.args[2]) if len(call.args) == 3 else None
    case = await _case_arg(ctx, call)
    if case is None:
        return
    action = CLOSE_OUTCOMES[call.args[1]]
    act(
        ctx,
        case,
        action,
        Actor.STAFF,
        data={"money_returned": str(amount) if amount is not None else None},
    )
    if action is CaseAction.CLOSE_RESOLVED:
        case.money_returned = amount if amount is not None else case.offer_amount
    status = CaseStatus(case.status)
    await ctx.reply(
        templates.case_closed(case.number, status.label, case.money_returned), case=case
    )


def _amount(word: str) -> Decimal:
    match = AMOUNT_PATTERN.fullmatch(word)
    if match is None:
        raise UsageError
    try:
        return Decimal(match.group(1))
    except InvalidOperation as error:
        raise UsageError from error


async def cmd_reopen(ctx: HandlerContext, call: CommandCall) -> None:
    case = await _case_arg(ctx, call)
    if case is None:
        return
    act(ctx, case, CaseAction.REOPEN, Actor.STAFF)
    await ctx.reply(templates.case_reopened(case.number), case=case)


async def cmd_assign(ctx: HandlerContext, call: CommandCall) -> None:
    if not call.mention_ids:
        raise UsageError
    case = await _case_arg(ctx, call)
    if case is None:
        return
    assignee = await members.ensure_member(ctx.session, call.mention_ids[0], "", ctx.now)
    case.assignee_id = assignee.id
    cases.record_event(
        ctx.session,
        case,
        EventKind.ASSIGNED,
        actor=Actor.STAFF,
        actor_id=ctx.sender.id,
        at=ctx.now,
        data={"assignee_id": assignee.id},
    )
    await ctx.reply(
        templates.case_assigned(case.number, assignee.display_name or assignee.id),
        mention_ids=[assignee.id],
        case=case,
    )


async def cmd_role(ctx: HandlerContext, call: CommandCall) -> None:
    if not call.mention_ids or len(call.args) != 1 or call.args[0] not in ROLE_BY_LABEL:
        raise UsageError
    role = ROLE_BY_LABEL[call.args[0]]
    if role is Role.ADMIN:
        raise UsageError  # admins come from the settings only
    member = await members.ensure_member(ctx.session, call.mention_ids[0], "", ctx.now)
    member.role = role
    if role is not Role.MERCHANT:
        member.merchant_id = None
    await ctx.reply(templates.role_granted(member.display_name or member.id, role.label))


async def cmd_bind(ctx: HandlerContext, call: CommandCall) -> None:
    if not call.mention_ids or not call.args:
        raise UsageError
    name, licence, grid = call.args[0][:100], None, None
    for word in call.args[1:]:
        if LICENCE_PATTERN.fullmatch(word.upper()):
            licence = word.upper()
        else:
            grid = word[:100]
    merchant = await ctx.session.scalar(select(Merchant).where(Merchant.name == name))
    created = merchant is None
    if merchant is None:
        merchant = Merchant(
            name=name, aliases=[], licence_no=licence, grid=grid, created_at=ctx.now
        )
        ctx.session.add(merchant)
        await ctx.session.flush()
    else:
        merchant.licence_no = licence or merchant.licence_no
        merchant.grid = grid or merchant.grid
    member = await members.ensure_member(ctx.session, call.mention_ids[0], "", ctx.now)
    member.role = Role.MERCHANT
    member.merchant_id = merchant.id
    ctx.reload.add("merchants")
    await ctx.reply(
        templates.merchant_bound(member.display_name or member.id, merchant.name, created)
    )
    await _notify_waiting_cases(ctx, merchant)


async def _notify_waiting_cases(ctx: HandlerContext, merchant: Merchant) -> None:
    """Cases that waited for this merchant to be bound now go to mediation."""
    names = [merchant.name, *merchant.aliases]
    rows = await ctx.session.scalars(
        select(Case)
        .where(Case.room_id == ctx.message.room_id, Case.status == CaseStatus.PENDING)
        .where(
            or_(
                Case.merchant_id == merchant.id,
                *(Case.merchant_name.contains(n) for n in names if len(n) >= 2),
            )
        )
        .order_by(Case.id)
    )
    merchant_ids = await merchant_member_ids(ctx.session, merchant.id)
    for case in rows:
        if any(item in case.missing for item in ("merchant", "facts", "demand")):
            continue
        case.merchant_id = merchant.id
        await accept_and_notify(ctx, case, actor=Actor.SYSTEM, merchant_ids=merchant_ids)


CALENDAR_KINDS = {"上班": True, "工作日": True, "补班": True, "放假": False, "休息": False}


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
    await reports.refresh_calendar_facts_around(
        ctx.session, day, ctx.config.deadline_policy, ctx.config.timezone
    )
    ctx.reload.add("calendar")
    await ctx.reply(templates.calendar_override_set(day, is_working))


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


COMMANDS: dict[str, Handler] = {
    "help": cmd_help,
    "case": cmd_case,
    "withdraw": cmd_withdraw,
    "bind": cmd_bind,
    "accept": cmd_accept,
    "assign": cmd_assign,
    "refuse": cmd_refuse,
    "close": cmd_close,
    "reopen": cmd_reopen,
    "role": cmd_role,
    "calendar": cmd_calendar,
    "outbox": cmd_outbox,
    "stats": staff_commands.cmd_stats,
    "cases": staff_commands.cmd_cases,
    "export": staff_commands.cmd_export,
    "merchant": staff_commands.cmd_merchant,
}

ALIASES = {
    "帮助": "help",
    "案件": "case",
    "撤回": "withdraw",
    "绑定": "bind",
    "受理": "accept",
    "指派": "assign",
    "不予受理": "refuse",
    "结案": "close",
    "重开": "reopen",
    "身份": "role",
    "日历": "calendar",
    "发送队列": "outbox",
    "统计": "stats",
    "案件列表": "cases",
    "导出": "export",
    "商家": "merchant",
}
