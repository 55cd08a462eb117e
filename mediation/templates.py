"""Every sentence the bot says, in one place, so staff can review the bot's voice.

Functions take plain values and return text; callers mask personal data before passing it.
"""

from __future__ import annotations

from decimal import Decimal

MISSING_ITEM_NAMES = {
    "merchant": "被投诉商家名称",
    "facts": "事情经过",
    "demand": "诉求（如退款、赔偿）",
    "contact": "消费者联系电话",
}


def yuan(amount: Decimal | None) -> str:
    if amount is None:
        return "未注明"
    text = f"{amount:,.2f}".rstrip("0").rstrip(".")
    return f"{text}元"


def case_opened(
    number: str,
    merchant: str | None,
    amount: Decimal | None,
    demands: tuple[str, ...] = (),
    contacts: tuple[str, ...] = (),
) -> str:
    lines = [f"已登记投诉，编号 {number}。"]
    lines.append(f"被投诉方：{merchant or '待补充'}")
    if amount is not None:
        lines.append(f"涉及金额：{yuan(amount)}")
    if demands:
        lines.append(f"诉求：{'、'.join(demands)}")
    if contacts:
        lines.append(f"联系电话：{'、'.join(contacts)}")
    return "\n".join(lines)


def ask_for_missing(number: str, missing: tuple[str, ...]) -> str:
    items = "、".join(MISSING_ITEM_NAMES.get(item, item) for item in missing)
    return f"投诉 {number} 还缺少：{items}。请直接在群里回复补充。"


def message_too_long(limit: int) -> str:
    return f"消息过长，已截取前 {limit} 字登记。"


def unknown_command(command: str) -> str:
    return f"未识别的指令 {command}，发送 /help 查看可用指令。"
