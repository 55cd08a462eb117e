"""Staff corrections to a case after it was opened: `/edit` a detail, `/note` an internal
remark, `/merge` a duplicate the bot did not link.

Each change and its audit event commit together. `/edit` records the old and the new value
(a phone masked: the event is shown in `/case`); a note is a case event that only staff see,
by private message; a merged case closes as `CaseStatus.MERGED`, which leaves it out of
every figure (`storage.report_queries`), and its events move to the case it joins.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from mediation import templates
from mediation.case_numbers import CASE_NUMBER_PATTERN, find_case_numbers
from mediation.cases import Actor, CaseStatus, EventKind
from mediation.lifecycle import CaseAction
from mediation.parsing.categories import GOODS, SERVICES, category_group
from mediation.privacy import mask_phone, normalise_digits
from storage import cases, members
from storage import merchants as merchant_registry
from storage.models import Case

from . import group_commands  # noqa: F401  declared first: /help lists /case … before these
from .case_actions import act, notify_merchant
from .context import DIRECT_ROOM_PREFIX, HandlerContext
from .permissions import may_see_case
from .registry import STAFF, CommandCall, UsageError, on_command

# TIAOJIE_MAX_AMOUNT does not exist yet: the largest amount a case may name, in yuan
MAX_AMOUNT = Decimal("10000000")
AMOUNT_PATTERN = re.compile(r"^[¥￥]?(\d{1,9}(?:\.\d{1,2})?)元?$")
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_PATTERN = re.compile(r"^0\d{2,3}\d{7,8}$")
DEMAND_SEPARATORS = re.compile(r"[、,，;；/]+")
MAX_DEMANDS = 5
CATEGORIES = GOODS + SERVICES  # the 12315 categories

FIELDS = {
    "商家": "merchant",
    "merchant": "merchant",
    "金额": "amount",
    "amount": "amount",
    "诉求": "demand",
    "demand": "demand",
    "类别": "category",
    "category": "category",
    "电话": "phone",
    "phone": "phone",
}
FIELD_LABELS = {
    "merchant": "被投诉方",
    "amount": "金额",
    "demand": "诉求",
    "category": "类别",
    "phone": "联系电话",
}


class InvalidValue(Exception):
    """The new value does not fit its field; `message` says what would."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def _case(ctx: HandlerContext, word: str) -> Case | None:
    """The case a staff member names, or None after saying why not (none, or another
    office's)."""
    if not CASE_NUMBER_PATTERN.fullmatch(word):
        raise UsageError
    number = find_case_numbers(word)[0]
    case = await cases.by_number(ctx.session, number)
    if case is None:
        await ctx.reply(templates.unknown_case(number))
        return None
    if not may_see_case(ctx.sender, case):  # staff act on their office's cases
        await ctx.reply(templates.not_your_case(number))
        return None
    return case


def private_room(ctx: HandlerContext) -> str:
    """The sender's private chat with the bot (the message's own room if it is one)."""
    if ctx.message.is_direct or ctx.message.room_id.startswith(DIRECT_ROOM_PREFIX):
        return ctx.message.room_id
    return DIRECT_ROOM_PREFIX + ctx.sender.id


@on_command("edit", aliases=("修改",), roles=STAFF, usage=templates.USAGE_EDIT)
async def cmd_edit(ctx: HandlerContext, call: CommandCall) -> None:
    """`/edit 编号 字段 新值`: correct a detail; the audit event keeps old and new."""
    if len(call.args) < 3 or call.args[1].lower() not in FIELDS:
        raise UsageError
    field = FIELDS[call.args[1].lower()]
    value = " ".join(call.args[2:]).strip()
    case = await _case(ctx, call.args[0])
    if case is None:
        return
    try:
        old, new = await _apply_edit(ctx, case, field, value)
    except InvalidValue as invalid:
        await ctx.reply(invalid.message)
        return
    ctx.record_event(case, EventKind.EDITED, Actor.STAFF, {"field": field, "old": old, "new": new})
    await ctx.reply(templates.case_edited(case.number, FIELD_LABELS[field], old, new), case=case)
    if field == "merchant" and case.status == CaseStatus.MEDIATING.value:
        merchant_ids = await members.merchant_member_ids(ctx.session, case.merchant_id)
        if merchant_ids:  # the case now names a bound merchant: told as acceptance would
            await notify_merchant(ctx, case, merchant_ids)


async def _apply_edit(ctx: HandlerContext, case: Case, field: str, value: str) -> tuple[str, str]:
    """Write the new value on the case; (old, new) as shown and recorded (phones masked)."""
    if field == "merchant":
        if not value or len(value) > 100:
            raise InvalidValue(templates.EDIT_BAD_MERCHANT)
        old = case.merchant_name or "待补充"
        merchant = await merchant_registry.by_name_or_alias(ctx.session, value)
        case.merchant_id = merchant.id if merchant else None
        case.merchant_name = merchant.name if merchant else value
        _filled(case, "merchant")
        return old, case.merchant_name
    if field == "amount":
        old = templates.yuan(case.amount)
        case.amount = parse_amount(value)
        return old, templates.yuan(case.amount)
    if field == "demand":
        demands = [word.strip() for word in DEMAND_SEPARATORS.split(value) if word.strip()]
        if not demands or len(demands) > MAX_DEMANDS or any(len(d) > 20 for d in demands):
            raise InvalidValue(templates.EDIT_BAD_DEMANDS)
        old = "、".join(case.demands) or "未注明"
        case.demands = demands
        _filled(case, "demand")
        return old, "、".join(demands)
    if field == "category":
        if value not in CATEGORIES:
            raise InvalidValue(templates.edit_bad_category(CATEGORIES))
        old = case.category or "未分类"
        case.category = value
        case.category_group = category_group(value)
        return old, value
    digits = parse_phone(value)
    old = "、".join(mask_phone(number) for number in case.contacts) or "未登记"
    case.contacts = [digits]
    _filled(case, "contact")
    return old, mask_phone(digits)


def parse_amount(text: str) -> Decimal:
    """An amount in yuan, 0.01 to MAX_AMOUNT with at most two decimals, or InvalidValue."""
    match = AMOUNT_PATTERN.fullmatch(normalise_digits(text).replace(",", ""))
    try:
        amount = Decimal(match.group(1)) if match else None
    except InvalidOperation:
        amount = None
    if amount is None or not Decimal("0.01") <= amount <= MAX_AMOUNT:
        raise InvalidValue(templates.edit_bad_amount(f"{MAX_AMOUNT:,.0f}"))
    return amount


def parse_phone(text: str) -> str:
    """A mobile or landline number as digits, or InvalidValue."""
    digits = re.sub(r"[\s\-－—()（）]", "", normalise_digits(text))
    if digits.startswith("+86"):
        digits = digits[3:]
    if not (MOBILE_PATTERN.fullmatch(digits) or LANDLINE_PATTERN.fullmatch(digits)):
        raise InvalidValue(templates.EDIT_BAD_PHONE)
    return digits


def _filled(case: Case, item: str) -> None:
    case.missing = [missing for missing in case.missing if missing != item]


@on_command("note", aliases=("备注",), roles=STAFF, usage=templates.USAGE_NOTE)
async def cmd_note(ctx: HandlerContext, call: CommandCall) -> None:
    """`/note 编号 文字`: an internal note; the answer goes to the staff member privately."""
    if len(call.args) < 2:
        raise UsageError
    case = await _case(ctx, call.args[0])
    if case is None:
        return
    ctx.record_event(case, EventKind.NOTE, Actor.STAFF, {"text": " ".join(call.args[1:])[:500]})
    await ctx.reply(templates.note_recorded(case.number), room_id=private_room(ctx))


@on_command("merge", aliases=("合并",), roles=STAFF, usage=templates.USAGE_MERGE)
async def cmd_merge(ctx: HandlerContext, call: CommandCall) -> None:
    """`/merge 编号 重复编号`: the second case joins the first and leaves every count."""
    if len(call.args) != 2:
        raise UsageError
    kept = await _case(ctx, call.args[0])
    duplicate = await _case(ctx, call.args[1]) if kept is not None else None
    if kept is None or duplicate is None:
        return
    if kept.id == duplicate.id:
        await ctx.reply(templates.MERGE_SAME_CASE)
        return
    if kept.status == CaseStatus.MERGED.value:
        await ctx.reply(templates.merge_into_merged(kept.number))
        return
    # raises IllegalTransition (answered by the registry) before anything moves
    act(ctx, duplicate, CaseAction.MERGE, Actor.STAFF, data={"into": kept.number})
    await _move_events(ctx, duplicate, kept)
    ctx.record_event(kept, EventKind.MERGED, Actor.STAFF, {"from": duplicate.number})
    await ctx.reply(
        templates.merged_for_reporter(duplicate.number, kept.number),
        mention_ids=[duplicate.reporter_id],
        case=duplicate,
        room_id=duplicate.room_id,
    )
    if duplicate.room_id != ctx.message.room_id:
        await ctx.reply(templates.case_merged(duplicate.number, kept.number), case=kept)


async def _move_events(ctx: HandlerContext, duplicate: Case, kept: Case) -> None:
    """The duplicate's history joins the kept case's timeline, except the event that says
    where it went. Once-only keys are prefixed so they cannot meet the kept case's own."""
    await ctx.session.flush()  # the merge event gets its id: it stays with the duplicate
    for event in await cases.timeline(ctx.session, duplicate.id):
        if event.kind == EventKind.MERGED_INTO:
            continue
        event.case_id = kept.id
        if event.dedupe_key is not None:
            event.dedupe_key = f"{duplicate.number}:{event.dedupe_key}"[:64]
