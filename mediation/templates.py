"""Every sentence the bot says, in one place, so staff can review the bot's voice.

Functions take plain values and return text; callers mask personal data before passing it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mediation.reports import MonthlyReport

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
    consumer: str | None = None,
) -> str:
    """`consumer`: a relayed complaint's consumer, as the group may see them (masked)."""
    lines = [f"已登记投诉，编号 {number}。"]
    if consumer is not None:
        lines.append(f"消费者：{consumer or '未注明'}（转述投诉）")
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


def slow_down() -> str:
    return "您发消息太快了，请稍候一分钟再发。刚才的消息已记录，工作人员可以查看。"


def unknown_command(command: str) -> str:
    return f"未识别的指令 {command}，发送 /help 查看可用指令。"


WEEKDAYS = "一二三四五六日"


def local_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


def deadline_day(day: date) -> str:
    """「12月7日（周一）」: with a deadline, the weekday saves the reader a look at the calendar."""
    return f"{local_day(day)}（周{WEEKDAYS[day.weekday()]}）"


# --- intake


def duplicate_linked(number: str) -> str:
    return f"这条投诉与 {number} 是同一件事，已并入该案件，不再重复登记。"


def details_added(number: str, still_missing: tuple[str, ...]) -> str:
    if still_missing:
        return "已补充。" + ask_for_missing(number, still_missing)
    return f"投诉 {number} 信息已补充完整。"


def merchant_not_in_group(number: str, merchant: str | None) -> str:
    name = f"「{merchant}」" if merchant else "被投诉商家"
    return (
        f"投诉 {number}：{name}尚未在群内绑定。请工作人员邀请商家入群，"
        f"并发送 /bind @商家 {merchant or '商家名称'} 完成绑定。"
    )


def nuisance_report() -> str:
    return "这条反映的是噪音、油烟等环境或扰民问题，不属于消费纠纷，请转 12345 热线或相关部门处理。"


# --- the detector's "not sure" and its corrections (issue 16)


def ask_if_complaint() -> str:
    """Sent with an @-mention of the sender (the gateway writes 「@某某」 in front)."""
    return "这条是否需要登记为消费投诉？回复「登记」即可，不是请忽略。"


def nothing_to_register() -> str:
    return "最近 24 小时内没有待登记的消息。请发送 /登记 加投诉内容，或引用要登记的消息。"


def case_voided(number: str) -> str:
    return f"投诉 {number} 已作废（误登记），不计入统计。"


def case_voided_for_merchant(number: str) -> str:
    return f"投诉 {number} 系误登记，已作废，无需处理。"


def void_refused(number: str) -> str:
    return f"只有工作人员，或投诉人在登记后 10 分钟内，可以作废投诉 {number}。"


# --- mediation thread


def complaint_summary(merchant: str | None, category: str | None, problem: str | None) -> str:
    """What happened, in one sentence the bot writes from the case's fields.

    Never a quote of the complaint: the group holds merchants, and a quote carries whatever
    personal details the reporter typed (names, addresses, numbers the masker cannot know).
    """
    where = f"在{merchant}" if merchant else ""
    what = f"{category}消费" if category else "消费"
    issue = f"遇到{problem}方面的问题" if problem and problem != "其他" else "发生纠纷"
    return f"消费者反映{where}{what}时{issue}。"


def answer_examples(amount: Decimal | None) -> str:
    """How a merchant may answer, with the case's own amount (never a made-up one)."""
    agree = f"「同意退还{yuan(amount)}」" if amount is not None else "「同意退款」"
    return f"{agree}「同意换货」或「不同意，理由…」"


def merchant_notice(
    number: str,
    merchant: str | None,
    summary: str,
    demands: tuple[str, ...],
    amount: Decimal | None,
    reply_by: date,
) -> str:
    """The group notice to the bound merchant: a summary the bot wrote, never the raw text."""
    demand_text = "、".join(demands) if demands else "未注明"
    lines = [
        f"您好，收到一件关于{merchant or '贵店'}的消费投诉，编号 {number}。",
        f"情况：{summary}",
        f"涉及金额：{yuan(amount)}",
        f"消费者诉求：{demand_text}",
        f"请于{deadline_day(reply_by)}前在群里答复，例如{answer_examples(amount)}。",
        "投诉详情由工作人员私下告知，群里不公开消费者的个人信息。",
    ]
    return "\n".join(lines)


def merchant_answer_recorded(number: str, summary: str, relayed: bool = False) -> str:
    if relayed:
        return (
            f"{number} 商家答复：{summary}。"
            "请向消费者确认后回复「确认」接受，或「不接受」并说明诉求。"
        )
    return f"{number} 商家答复：{summary}。请投诉人回复「确认」接受，或「不接受」并说明诉求。"


def merchant_refused(number: str, reason: str | None) -> str:
    because = f"，理由：{shorten(reason, 80)}" if reason else ""
    return f"{number} 商家不同意消费者诉求{because}。请工作人员跟进调解。"


def reporter_rejected(number: str) -> str:
    return f"{number} 投诉人不接受商家的答复，请商家重新答复或提出新的方案。"


def case_resolved(number: str, money_returned: Decimal | None, non_cash: str | None = None) -> str:
    money = f"，为消费者挽回经济损失{yuan(money_returned)}" if money_returned else ""
    other = f"，商家提供{non_cash}（非现金补偿）" if non_cash else ""
    return f"{number} 调解成功{money}{other}。"


def offer_summary(
    agrees: bool,
    remedy: str | None,
    amount: Decimal | None,
    *,
    amount_is_claim: bool = False,
    non_cash: bool = False,
) -> str:
    """What a merchant's answer offers, for the prompt to the complainant: 「同意退款58元」,
    「提出代金券50元（非现金补偿）」."""
    verb = "同意" if agrees else "提出"
    what = remedy or "退款"
    money = f"{yuan(amount)}" if amount is not None else ""
    if amount_is_claim:
        money += "（即消费者诉求的金额）"
    if non_cash:
        return f"{verb}{what}{money}（非现金补偿，不计入挽回经济损失）"
    return f"{verb}{what}{money}"


def merchant_acknowledged(number: str) -> str:
    return f"{number} 商家已回应，正在处理。请商家处理后在群里答复处理结果（如「同意退款」）。"


def confirm_or_not(number: str) -> str:
    return f"{number} 商家已答复：请回复「确认」接受，或「不接受」并说明诉求。"


def ask_for_rating(number: str, relayed: bool = False) -> str:
    if relayed:
        return (
            f"请向消费者确认后回复 {number} 的满意度：1～5 分（5 分为非常满意），将记录为转述评价。"
        )
    return f"请投诉人为 {number} 的处理结果打分：回复 1～5 分（5 分为非常满意）。"


def rating_thanks(number: str, rating: int) -> str:
    return f"已记录 {number} 满意度 {rating} 分，谢谢！"


def which_case(numbers: list[str]) -> str:
    return f"您有多件进行中的案件（{'、'.join(numbers)}），请在回复中注明案件编号。"


def cannot_confirm_refusal(number: str) -> str:
    return (
        f"{number} 商家未同意诉求，暂不能确认调解成功。"
        "如不再投诉请回复「撤回投诉」，工作人员会继续跟进。"
    )


def case_withdrawn(number: str) -> str:
    return f"{number} 已撤回。"


def case_refused(number: str, reason: str) -> str:
    return f"{number} 不予受理，理由：{reason}。"


def case_closed(number: str, outcome_label: str, money_returned: Decimal | None) -> str:
    money = f"，挽回经济损失{yuan(money_returned)}" if money_returned else ""
    return f"{number} 已结案：{outcome_label}{money}。"


def case_reopened(number: str) -> str:
    return f"{number} 已重新开启调解。"


def case_accepted(number: str) -> str:
    return f"{number} 已受理。"


def unknown_case(number: str) -> str:
    return f"没有找到案件 {number}，请核对编号（格式如 CY-202606-0007）。"


def not_your_case(number: str) -> str:
    return f"您无权查看或处理案件 {number}。"


# --- commands


# usage lines, one per command: `/help` lists them, a malformed command gets its own
# (declared with the command in handlers/, see handlers/registry.py)
USAGE_HELP = "/help —— 查看可用指令"
USAGE_CASE = "/case 编号 —— 查看案件进展，如 /case CY-202606-0007"
USAGE_WITHDRAW = "/withdraw 编号 —— 撤回投诉"
USAGE_REGISTER = "/登记 [投诉内容] —— 把消息登记为投诉（不写内容：登记最近一条疑似投诉）"
USAGE_VOID = "/不是投诉 编号 —— 作废误登记的投诉"
USAGE_BIND = "/bind @成员 商家名称 [统一社会信用代码] [网格] —— 绑定商家"
USAGE_ACCEPT = "/accept 编号 —— 受理案件"
USAGE_ASSIGN = "/assign 编号 @工作人员 —— 指派承办人"
USAGE_REFUSE = "/refuse 编号 理由 —— 不予受理"
USAGE_CLOSE = "/close 编号 成功|失败 [挽回金额] —— 结案"
USAGE_REOPEN = "/reopen 编号 —— 重新开启调解"
USAGE_ROLE = "/role @成员 工作人员|网格员|商家 [监管所] —— 设置成员身份"
USAGE_OUTBOX = "/outbox [retry] —— 查看发送失败的消息，或全部重发"
USAGE_CALENDAR = "/calendar [年份] 或 /calendar 日期 上班|放假 [说明] —— 查看或录入放假调休安排"
USAGE_STATS = (
    "/stats [YYYY-MM|本月|上月] [社区/网格|监管所|全区] —— 月度投诉统计，如 /stats 2026-06"
)
USAGE_CASES = "/cases [进行中|超期|我的] —— 案件列表"
USAGE_EXPORT = (
    "/export [联席会议] [YYYY-MM|本月|上月] —— 导出月度案件统计表（Excel）或联席会议材料，私信发送"
)
USAGE_MERCHANT = "/merchant add 名称 [信用代码] [网格] | list [网格] | [info] 名称 —— 商家档案"


def help_text(usage_lines: list[str]) -> str:
    return "\n".join(["您可以使用以下指令：", *usage_lines])


def case_assigned(number: str, assignee_name: str) -> str:
    return f"{number} 已指派给 {assignee_name} 承办。"


def role_granted(member_name: str, role_label: str) -> str:
    return f"已将 {member_name} 设为{role_label}。"


def case_timeline(
    number: str,
    status_label: str,
    merchant: str | None,
    amount: Decimal | None,
    demands: tuple[str, ...],
    facts: str,
    entries: list[tuple[datetime, str, str]],
    *,
    full_text: bool = False,
) -> str:
    """`/case`. `facts` is the bot's summary, or (`full_text`, staff by private message) the
    complaint as the reporter wrote it."""
    lines = [
        f"{number}【{status_label}】",
        f"被投诉方：{merchant or '待补充'}；金额：{yuan(amount)}；"
        f"诉求：{'、'.join(demands) or '未注明'}",
        f"原文：{facts}" if full_text else f"情况：{shorten(facts, 100)}",
        "进展：",
    ]
    for at, label, who in entries:
        lines.append(f"{at:%m-%d %H:%M} {label}" + (f"（{who}）" if who else ""))
    return "\n".join(lines)


def calendar_override_set(day: date, is_working_day: bool) -> str:
    kind = "工作日（调休上班）" if is_working_day else "放假"
    return f"已将 {day.isoformat()} 设为{kind}，期限计算随即更新。"


def calendar_overrides(
    year: int, entries: list[tuple[date, bool, str]], make_up_days_known: bool
) -> str:
    lines = [f"{year}年已录入的放假调休安排："]
    lines += [
        f"{day.isoformat()} {'上班' if working else '放假'} {note}".rstrip()
        for day, working, note in entries
    ] or ["（无）"]
    if not make_up_days_known:
        lines.append(f"注意：尚无{year}年调休上班日数据，请在国务院公布后用 /calendar 录入。")
    return "\n".join(lines)


def outbox_status(pending: int, failed: int, recent: list[tuple[str, str, str]]) -> str:
    lines = [f"待发送 {pending} 条，发送失败 {failed} 条。"]
    for room_id, text, error in recent:
        lines.append(f"· [{room_id}] {shorten(text, 30)}（{shorten(error, 40)}）")
    if failed:
        lines.append("发送 /outbox retry 全部重发。")
    return "\n".join(lines)


def outbox_retried(count: int) -> str:
    return f"已将 {count} 条发送失败的消息重新排队。"


def permission_denied(command: str) -> str:
    return f"抱歉，您没有使用 /{command} 的权限。如需开通请联系监管所工作人员。"


def usage(line: str) -> str:
    return f"用法：{line}"


def merchant_bound(member_name: str, merchant: str, created: bool) -> str:
    note = "（已新建商家档案）" if created else ""
    return f"已将 {member_name} 绑定为商家「{merchant}」{note}。"


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- case life cycle and deadlines


def _case_subject(number: str | None) -> str:
    return f"{number} " if number else "案件"


def action_not_permitted(action: str, allowed: tuple[str, ...]) -> str:
    if not allowed:
        return f"在群里不能{action}。"
    return f"只有{'或'.join(allowed)}可以{action}。"


def case_already_closed(action: str, status: str, number: str | None = None) -> str:
    return f"{_case_subject(number)}已结案（{status}），不能再{action}。"


def case_not_yet_accepted(action: str, number: str | None = None) -> str:
    return f"{_case_subject(number)}尚未受理，暂不能{action}。"


def case_already_accepted(status: str, number: str | None = None) -> str:
    return f"{_case_subject(number)}已受理（{status}），无需重复受理。"


def merchant_has_not_replied(action: str, number: str | None = None) -> str:
    return f"{_case_subject(number)}商家尚未答复，暂不能{action}。"


def case_still_open(status: str, number: str | None = None) -> str:
    return f"{_case_subject(number)}仍在办理中（{status}），无需重新开启。"


def rating_only_after_success(status: str, number: str | None = None) -> str:
    return f"{_case_subject(number)}当前为「{status}」，只有调解成功的案件才能评价。"


def action_not_in_state(action: str, status: str, number: str | None = None) -> str:
    return f"{_case_subject(number)}当前为「{status}」，不能{action}。"


def first_answer_reminder(number: str, merchant: str | None, due: date) -> str:
    return (
        f"{merchant or '商家'}您好，投诉 {number} 请于{deadline_day(due)}下班前在群里答复处理意见，"
        f"例如{answer_examples(None)}。"
    )


def settlement_reminder(number: str, merchant: str | None, due: date) -> str:
    return (
        f"{merchant or '商家'}您好，投诉 {number} 的处理期限为{deadline_day(due)}，"
        "请在此前与消费者协商解决，并在群里回复处理结果。"
    )


def first_answer_escalation(number: str, merchant: str | None, due: date) -> str:
    return f"投诉 {number}：{merchant or '被投诉商家'}未在{local_day(due)}前答复，请工作人员跟进。"


def settlement_escalation(number: str, merchant: str | None, due: date) -> str:
    return (
        f"投诉 {number}：{merchant or '被投诉商家'}未在{local_day(due)}前与消费者达成处理结果，"
        "请工作人员跟进。"
    )


def mediation_terminated(number: str, merchant: str | None, due: date, limit_days: int) -> str:
    return (
        f"投诉 {number}（被投诉方：{merchant or '未注明'}）自受理起 {limit_days} 个工作日内"
        f"未达成调解协议，调解期限已于{local_day(due)}届满，现终止调解，按调解失败结案。"
        "消费者可依法通过其他途径解决，如申请仲裁或向人民法院起诉。"
    )


def acceptance_overdue(number: str, merchant: str | None, due: date) -> str:
    against = f"（被投诉方：{merchant}）" if merchant else ""
    return (
        f"投诉 {number}{against}应于{local_day(due)}前作出是否受理的决定，目前仍未处理，"
        "请工作人员尽快受理或决定不予受理。"
    )


def make_up_days_unknown(year: int) -> str:
    return (
        f"日历中还没有 {year} 年的调休上班日，期限可能算错。"
        f"国务院办公厅公布 {year} 年放假安排后，请工作人员补录调休上班日和放假日。"
    )


# --- statistics and summaries


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


def change(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    if ratio == 0:
        return "持平"
    return f"{'+' if ratio > 0 else '-'}{abs(ratio) * 100:.1f}%"


def counted(items: list[tuple[str, int]], unit: str = "件") -> str:
    return "、".join(f"{label} {count}{unit}" for label, count in items) or "无"


def _average(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:.1f}{unit}"


def stats_report(
    report: MonthlyReport, scope: str | None = None, *, show_merchants: bool = True
) -> str:
    """`/stats`. Merchants are named only where `show_merchants` allows: a group has
    merchants in it, and each of them sees only its own cases."""
    where = f"（{scope}）" if scope else ""
    merchants = counted(report.top_merchants) if show_merchants else "群内不公布，请私聊本助手查询"
    return "\n".join(
        [
            f"{report.month.label}消费投诉统计{where}",
            f"收到投诉 {report.received} 件，受理 {report.accepted} 件，办结 {report.closed} 件",
            f"调解成功 {report.resolved} 件，调解失败 {report.failed} 件，"
            f"调解成功率 {percent(report.success_rate)}",
            f"挽回经济损失 {yuan(report.money_returned)}",
            f"超期 {report.overdue} 件；平均办结用时 "
            f"{_average(report.avg_working_days_to_close, ' 个工作日')}",
            f"满意度 {_average(report.avg_rating, ' 分')}（{report.rated} 件评价）",
            f"环比 {change(report.month_on_month)}（上月 {report.previous_received} 件）；"
            f"同比 {change(report.year_on_year)}（去年同月 {report.last_year_received} 件）",
            f"按类别：{counted(report.by_category)}",
            f"按性质：{counted(report.by_problem)}",
            f"被投诉较多的商家：{merchants}",
            f"热点网格：{counted(report.hot_spots)}",
        ]
    )


def monthly_summary(report: MonthlyReport, *, show_merchants: bool = False) -> str:
    """The public 月度消费投诉情况公示: figures only, no personal data."""
    lines = [
        f"【{report.month.label}消费投诉情况公示】",
        f"{report.month.label}共收到消费投诉 {report.received} 件"
        f"（环比 {change(report.month_on_month)}，同比 {change(report.year_on_year)}），"
        f"受理 {report.accepted} 件，办结 {report.closed} 件，"
        f"其中调解成功 {report.resolved} 件，调解成功率 {percent(report.success_rate)}，"
        f"为消费者挽回经济损失 {yuan(report.money_returned)}。",
    ]
    if report.by_category:
        lines.append(f"投诉较多的类别：{counted(report.by_category[:5])}。")
    if report.by_problem:
        lines.append(f"投诉性质：{counted(report.by_problem[:5])}。")
    if show_merchants and report.top_merchants:
        lines.append(f"被投诉较多的商家：{counted(report.top_merchants)}。")
    lines.append(
        f"超期案件 {report.overdue} 件；平均办结用时 "
        f"{_average(report.avg_working_days_to_close, ' 个工作日')}；"
        f"消费者满意度 {_average(report.avg_rating, ' 分')}。"
    )
    if report.typical_cases:
        lines.append(f"典型案例（调解成功）：{'、'.join(report.typical_cases)}。")
    lines.append("感谢各位网格员和经营者的支持，请诚信经营、共护放心消费环境。")
    return "\n".join(lines)


def category_chart_title(month_label: str) -> str:
    return f"{month_label}消费投诉分类"


def case_list_line(
    number: str, status_label: str, merchant: str | None, received: date, overdue: bool
) -> str:
    late = " · 超期" if overdue else ""
    return f"{number}【{status_label}】{merchant or '待补充'} · {local_day(received)}登记{late}"


CASE_LIST_TITLES = {
    "open": "进行中的案件",
    "overdue": "超期案件",
    "mine": "我的案件",
}


def case_list(kind: str, total: int, lines: list[str]) -> str:
    title = CASE_LIST_TITLES.get(kind, kind)
    if total == 0:
        return f"{title}：暂无。"
    more = f"，以下为最早的 {len(lines)} 件" if total > len(lines) else ""
    return "\n".join([f"{title}（共 {total} 件{more}）：", *lines])


def export_sent(month_label: str) -> str:
    return f"{month_label}案件统计表已私信发送。"


def export_caption(month_label: str, cases: int) -> str:
    return (
        f"{month_label}案件统计表（{cases} 件案件）。"
        "表中含消费者联系方式等个人信息，仅供联席会议内部使用，请勿转发到群里。"
    )


def merchant_saved(name: str, created: bool) -> str:
    return f"已新建商家档案「{name}」。" if created else f"已更新商家档案「{name}」。"


def unknown_merchant(name: str) -> str:
    return f"商家档案中没有「{name}」，可用 /merchant add 名称 [统一社会信用代码] [网格] 新建。"


def merchant_list(entries: list[tuple[str, str | None, int]], total: int) -> str:
    if total == 0:
        return "商家档案：暂无。"
    more = f"，以下为前 {len(entries)} 家" if total > len(entries) else ""
    lines = [f"商家档案（共 {total} 家{more}）："]
    for name, grid, open_cases in entries:
        where = f"（{grid}）" if grid else ""
        busy = f" · 进行中 {open_cases} 件" if open_cases else ""
        lines.append(f"{name}{where}{busy}")
    return "\n".join(lines)


def merchant_info(
    name: str,
    aliases: list[str],
    licence_no: str | None,
    address: str | None,
    grid: str | None,
    bound_members: int,
    total_cases: int,
    open_cases: int,
    resolved_cases: int,
    money_returned: Decimal,
) -> str:
    return "\n".join(
        [
            f"商家「{name}」",
            f"别名：{'、'.join(aliases) or '无'}",
            f"统一社会信用代码：{licence_no or '未登记'}",
            f"地址：{address or '未登记'}；网格：{grid or '未登记'}",
            f"群内绑定成员：{bound_members} 人",
            f"投诉：共 {total_cases} 件，进行中 {open_cases} 件，调解成功 {resolved_cases} 件，"
            f"挽回经济损失 {yuan(money_returned)}",
        ]
    )


def amount_out_of_range(amount: Decimal, maximum: Decimal) -> str:
    shown = f"{amount:f}" if len(f"{amount:f}") <= 24 else f"{amount:f}"[:23] + "…"
    return (
        f"金额「{shown}」不在可登记的范围内（大于0、最多两位小数、不超过{yuan(maximum)}），"
        "未予记录。请核实后重新发送。"
    )


def offer_above_claim(number: str, offered: Decimal, claimed: Decimal) -> str:
    return (
        f"{number} 商家答复的金额{yuan(offered)}高于消费者诉求的{yuan(claimed)}，请确认："
        "如金额有误请重新答复；如确需高于诉求，请工作人员核实后用 /close 结案。"
        "本次答复未记录。"
    )


UNNAMED_MEMBER = "该成员"  # a member whose group name the bot has not seen


def case_of_another_group(number: str) -> str:
    return f"{number} 不属于本群，案件详情请私信机器人发送 /case {number} 查看。"


def merchant_told_elsewhere(number: str) -> str:
    return f"{number} 已在被投诉商家所在的群里通知商家，商家答复后会在本群告知投诉人。"


def merchant_in_no_known_group(number: str, merchant: str | None) -> str:
    name = f"「{merchant}」" if merchant else "被投诉商家"
    return (
        f"{number}：{name}已绑定，但机器人所在的群里都没有见到该商家发言，通知可能送不到。"
        "请工作人员确认商家在哪个群，或电话告知商家。"
    )


def answer_forwarded(number: str) -> str:
    return f"已收到 {number} 的答复，已转告投诉人所在的群。"

# --- staff corrections: /edit, /note, /merge (issue 19.3)

USAGE_EDIT = "/edit 编号 商家|金额|诉求|类别|电话 新值 —— 修改案件信息，如 /edit 编号 金额 58"
USAGE_NOTE = "/note 编号 文字 —— 添加内部备注（仅工作人员可见，不在群内显示）"
USAGE_MERGE = "/merge 编号 重复编号 —— 把重复投诉并入前一个案件（后者不再单独统计）"


def case_edited(number: str, field_label: str, old: str, new: str) -> str:
    return f"已修改 {number} 的{field_label}：{old} → {new}。"


def edit_bad_amount(max_amount: str) -> str:
    return f"金额应为 0.01 元至 {max_amount} 元之间、最多两位小数的数字，如 58 或 58.5。"


def edit_bad_category(categories: tuple[str, ...]) -> str:
    return "类别应为以下之一：" + "、".join(categories) + "。"


EDIT_BAD_PHONE = "电话格式不正确：请填写 11 位手机号，或带区号的固定电话（如 0571-87654321）。"
EDIT_BAD_DEMANDS = "请写明诉求，多项用顿号分隔，如 退款、道歉（最多 5 项）。"
EDIT_BAD_MERCHANT = "请写明商家名称（不超过 100 字）。"


def note_recorded(number: str) -> str:
    return f"已记录内部备注（{number}），仅工作人员可见。"


def note_entry(text: str) -> str:
    """A note in `/case`, for staff by private message only."""
    return f"内部备注：{text}"


def case_merged(duplicate: str, kept: str) -> str:
    return f"已将 {duplicate} 并入 {kept}，{duplicate} 不再单独办理和统计。"


def merged_for_reporter(duplicate: str, kept: str) -> str:
    return (
        f"您反映的投诉 {duplicate} 与 {kept} 为同一事项，已合并办理，"
        f"后续进展请发送 /case {kept} 查看。"
    )


MERGE_SAME_CASE = "两个编号相同，无需合并。"


def merge_into_merged(number: str) -> str:
    return f"案件 {number} 已并入其他案件，请并入原案件。"


# --- the daily staff digest (issue 19.4)

DIGEST_NUMBERS_SHOWN = 3


def staff_digest(
    day: date,
    *,
    pending: int,
    unanswered: int,
    due_soon: list[str],
    unsure: int,
) -> str:
    """One message, counts first, then where to look (at most ten lines)."""
    due = f"两个工作日内到期 {len(due_soon)} 件"
    if due_soon:
        shown = "、".join(due_soon[:DIGEST_NUMBERS_SHOWN])
        due += f"：{shown}" + ("等" if len(due_soon) > DIGEST_NUMBERS_SHOWN else "")
    lines = [
        f"每日待办提醒 · {deadline_day(day)}",
        f"待受理 {pending} 件",
        f"商家逾期未答复 {unanswered} 件",
        due,
        f"疑似投诉未登记 {unsure} 条（上个工作日以来）",
        "发送 /cases 查看全部在办案件，/cases 超期 查看已超期案件。",
    ]
    if unsure:
        lines.append("疑似投诉请到群里向发送人核实，需要登记的请其补充后重新发送。")
    return "\n".join(lines)


# --- the sandbox page (issue 19.9); filled into web/static/sandbox.html

SANDBOX_STAFF_IS_ADMIN = (
    "沙盒说明：身份「监管所王科长」默认是管理员，可以使用全部工作人员指令（/accept、/stats、"
    "/export 等），无需另行设置 TIAOJIE_ADMINS。"
)
SANDBOX_PRIVATE_HINT = (
    "还没有私聊消息。导出的统计表、私聊查询的统计和内部备注回执会显示在这里；"
    "也可以在下面直接私聊调解助手。"
)
SANDBOX_EXPORT_LINK = "下载统计表"


# --- `tiaojie model train / rollback` (issue 16): printed to the operator


def model_train_needs_sklearn() -> str:
    return (
        "重新训练需要 scikit-learn（train 附加依赖），运行时不需要。请先安装："
        'pip install -e ".[train]"（或 make model 所用的环境），再运行 tiaojie model train。'
    )


def model_trained(corrections: int, skipped: int, path: str, previous: str) -> str:
    return (
        f"已用出厂训练集和本地 {corrections} 条纠正样本重新训练"
        f"（另有 {skipped} 条由规则直接判定，未计入），新模型：{path}；"
        f"原模型已保存为 {previous}，可用 tiaojie model rollback 恢复。重启机器人后生效。"
    )


def model_figures(name: str, before: str, after: str) -> str:
    return f"{name}\n  训练前：{before}\n  训练后：{after}"


def model_rolled_back(path: str) -> str:
    return f"已恢复上一版模型：{path}。重启机器人后生效。"


def model_nothing_to_roll_back() -> str:
    return "没有可恢复的上一版模型（尚未用 tiaojie model train 训练过）。"


# --- the merchant programme: registry, disclosure, typical cases, hot issues (issues 20, 21)

# --- registry import (issue 20): why a row is rejected


def missing_column(column: str) -> str:
    return f"表头缺少「{column}」列，无法导入。"


def repeated_column(column: str) -> str:
    return f"表头中「{column}」列出现了不止一次，无法导入。"


def missing_name() -> str:
    return "缺少名称"


def credit_code_length(length: int) -> str:
    return f"统一社会信用代码应为18位，这里是{length}位"


def credit_code_characters() -> str:
    return "统一社会信用代码含有不允许的字符（不含 I、O、Z、S、V，第3～8位为数字）"


def credit_code_check_digit() -> str:
    return "统一社会信用代码校验位错误，请核对"


def unknown_status(value: str, allowed: tuple[str, ...]) -> str:
    return f"经营状态「{value}」无法识别，应为{'、'.join(allowed)}之一"


def bad_date(column: str, value: str) -> str:
    return f"{column}「{value}」不是有效日期（例如 2027-03-31、2027/3/31、2027年3月31日）"


def bad_yes_no(column: str, value: str) -> str:
    return f"{column}「{value}」应填「是」或「否」"


def duplicate_row(first_row: int, by_credit_code: bool) -> str:
    key = "统一社会信用代码" if by_credit_code else "名称"
    return f"与第{first_row}行重复（{key}相同）"


def same_merchant_as_row(first_row: int) -> str:
    return f"与第{first_row}行对应档案中的同一家商家"


def name_taken(name: str, credit_code: str | None) -> str:
    other = f"统一社会信用代码为 {credit_code} 的" if credit_code else "另一家"
    return f"名称「{name}」已被档案中{other}商家使用"


def row_rejected(row_number: int, reasons: tuple[str, ...]) -> str:
    return f"第{row_number}行：{'；'.join(reasons)}"


def yes_no(value: bool) -> str:
    return "是" if value else "否"


def iso_day(day: date | None) -> str:
    return day.isoformat() if day else ""


# --- registry files


def unsupported_registry_file(suffix: str) -> str:
    shown = suffix or "（无扩展名）"
    return f"不支持 {shown} 文件，请使用 .xlsx 或 .csv。"


def unreadable_registry_file(name: str) -> str:
    return f"无法读取文件「{name}」，请确认它是完好的 .xlsx 或 .csv 文件。"


def undecodable_csv(name: str) -> str:
    return f"文件「{name}」的编码无法识别，请另存为 UTF-8 或 GB18030 编码的 CSV。"


REGISTRY_SHEET_TITLE = "商家档案"


# --- typical cases (issue 21): the write-up's sections and the legal points

TYPICAL_SECTIONS = ("基本案情", "调解过程", "处理结果", "法律要点")
ANONYMOUS_MERCHANT = "某商家"
# a merchant whose name tells no trade, anonymised by the complaint's category
ANONYMOUS_BY_CATEGORY = {
    "食品": "某食品店",
    "服装鞋帽": "某服装店",
    "家用电子电器": "某电器店",
    "通讯产品": "某通讯器材店",
    "医药及医疗用品": "某药店",
    "首饰及文体用品": "某首饰店",
    "烟酒和饮料": "某烟酒店",
    "餐饮住宿": "某餐饮店",
    "美容美发洗浴": "某美容美发店",
    "文化娱乐体育": "某文体娱乐场所",
    "教育培训": "某培训机构",
    "制作保养和修理": "某维修店",
    "房屋装修及物业": "某装修公司",
    "旅游": "某旅行社",
}
CONSUMER = "消费者"

# Each legal point: the title's topic and a short, general statement of the provision.
LEGAL_POINTS: dict[str, tuple[str, str]] = {
    "prepaid": (
        "预付卡退费",
        "《中华人民共和国消费者权益保护法》第五十三条：经营者以预收款方式提供商品或者服务的，"
        "应当按照约定提供；未按照约定提供的，应当按照消费者的要求履行约定或者退回预付款，"
        "并承担预付款的利息和消费者必须支付的合理费用。",
    ),
    "food": (
        "食品安全",
        "《中华人民共和国食品安全法》第一百四十八条：经营明知是不符合食品安全标准的食品的，"
        "消费者除要求赔偿损失外，还可以要求支付价款十倍或者损失三倍的赔偿金；"
        "增加赔偿的金额不足一千元的，为一千元。",
    ),
    "distance_return": (
        "网购退货",
        "《中华人民共和国消费者权益保护法》第二十五条：经营者采用网络、电视、电话、邮购等方式"
        "销售商品，消费者有权自收到商品之日起七日内退货，且无需说明理由（法定除外商品除外）。",
    ),
    "fraud": (
        "欺诈",
        "《中华人民共和国消费者权益保护法》第五十五条：经营者提供商品或者服务有欺诈行为的，"
        "应当按照消费者的要求增加赔偿其受到的损失，增加赔偿的金额为购买商品的价款或者接受服务的"
        "费用的三倍；不足五百元的，为五百元。",
    ),
    "false_advertising": (
        "虚假宣传",
        "《中华人民共和国消费者权益保护法》第二十条：经营者向消费者提供有关商品或者服务的信息，"
        "应当真实、全面，不得作虚假或者引人误解的宣传；构成欺诈的，依照第五十五条承担增加赔偿的责任。",
    ),
    "quality": (
        "商品质量",
        "《中华人民共和国消费者权益保护法》第二十三条、第二十四条：经营者应当保证商品或者服务的质量；"
        "不符合质量要求的，消费者可以依照国家规定、当事人约定退货，或者要求更换、修理；"
        "没有国家规定和当事人约定的，可以自收到商品之日起七日内退货。",
    ),
    "after_sales": (
        "售后服务",
        "《中华人民共和国消费者权益保护法》第二十四条：商品或者服务不符合质量要求的，"
        "消费者可以依照国家规定、当事人约定退货，或者要求经营者履行更换、修理等义务。",
    ),
    "price": (
        "价格",
        "《中华人民共和国价格法》第十三条：经营者应当明码标价，不得在标价之外加价出售商品，"
        "不得收取任何未予标明的费用；《消费者权益保护法》第十条规定消费者有权获得价格合理的公平交易条件。",
    ),
    "measure": (
        "计量",
        "《中华人民共和国消费者权益保护法》第十条：消费者享有公平交易的权利，"
        "有权获得质量保障、价格合理、计量正确等公平交易条件。",
    ),
    "safety": (
        "安全",
        "《中华人民共和国消费者权益保护法》第七条、第十八条：消费者享有人身、财产安全不受损害的权利；"
        "经营者应当保证其提供的商品或者服务符合保障人身、财产安全的要求。",
    ),
    "dignity": (
        "人格尊严",
        "《中华人民共和国消费者权益保护法》第十四条、第五十条：消费者的人格尊严应当得到尊重；"
        "经营者侵害消费者人格尊严的，应当停止侵害、恢复名誉、消除影响、赔礼道歉，并赔偿损失。",
    ),
    "contract": (
        "合同",
        "《中华人民共和国消费者权益保护法》第十六条、第二十六条：经营者应当按照与消费者的约定履行义务；"
        "不得以格式条款作出排除或者限制消费者权利、减轻或者免除经营者责任等对消费者不公平、不合理的规定。",
    ),
    "general": (
        "消费",
        "《中华人民共和国消费者权益保护法》第三十九条：消费者和经营者发生消费者权益争议的，"
        "可以通过协商和解、请求消费者协会或者依法成立的其他调解组织调解、向有关行政部门投诉、"
        "仲裁或者向人民法院提起诉讼等途径解决。",
    ),
}

TIMELINE_SENTENCES = {
    "opened": "{day}，网格员在信息共享工作群反映该投诉，登记为 {number}。",
    "accepted": "{day}，监管所受理并通知商家答复。",
    "merchant_replied": "{day}，商家答复{note}。",
    "rejected_by_reporter": "{day}，消费者不接受商家的方案，调解继续。",
    "reminded": "商家未按期答复，助手提醒商家{times}。",
    "escalated": "{day}，工作人员介入跟进{times}。",
    "confirmed": "{day}，消费者确认接受处理方案。",
    "reopened": "{day}，案件重新开启。",
    "withdrawn": "{day}，消费者撤回投诉。",
    "refused": "{day}，监管所决定不予受理。",
    "terminated": "{day}，调解期限届满仍未达成一致，终止调解。",
    "closed": "{day}，工作人员结案。",
}


def times(count: int) -> str:
    return f"{count}次" if count > 1 else ""


def typical_title(merchant: str, topic: str, outcome: str) -> str:
    return f"{merchant}{topic}纠纷{outcome}"


TITLE_OUTCOMES = {
    "resolved": "调解成功",
    "failed": "调解未果",
    "withdrawn": "撤回",
    "refused": "不予受理",
}


def typical_facts(month: str, facts: str, demand: str | None) -> str:
    wants = f"诉求：{demand}。" if demand else ""
    return f"{month}，消费者反映：{facts}。{wants}"


def typical_result(
    status: str, remedy: str | None, money: str | None, working_days: int | None
) -> str:
    took = f"历时 {working_days} 个工作日办结。" if working_days is not None else ""
    if status == "resolved":
        agreed = f"商家同意{remedy}" if remedy else "商家同意消费者的诉求"
        returned = f"，为消费者挽回经济损失{money}" if money else ""
        return f"经调解，双方达成一致，{agreed}{returned}。{took}"
    if status == "failed":
        return f"经调解双方未能达成一致，已告知消费者可依法申请仲裁或者向人民法院提起诉讼。{took}"
    if status == "withdrawn":
        return f"消费者撤回了投诉。{took}"
    if status == "refused":
        return f"该投诉不符合受理条件，监管所决定不予受理，并告知了消费者其他解决途径。{took}"
    return "案件尚在办理中。"


def typical_heading(title: str) -> str:
    return f"【典型案例】{title}"


def typical_write_up(title: str, sections: tuple[str, str, str, str]) -> str:
    lines = [typical_heading(title)]
    for heading, body in zip(TYPICAL_SECTIONS, sections, strict=True):
        lines.append(f"{heading}：{body}")
    return "\n".join(lines)


# --- asking the group's memory (/案例)


def similar_case_line(number: str, title: str, outcome: str, typical: bool) -> str:
    mark = "【典型】" if typical else ""
    return f"{mark}{title}——{outcome}（{number}）"


def similar_cases(query: str, lines: list[str]) -> str:
    if not lines:
        return f"没有找到与「{query}」相近的案例，可以换个关键词试试。"
    return "\n".join([f"与「{query}」相近的案例：", *lines])


# --- hot issues (issue 21)

OTHER_CATEGORIES = "其余类别"


def trend_item(label: str, count: int, baseline: float, change: float | None) -> str:
    if change is None:
        return f"{label} {count}件（前三个月无）"
    return f"{label} {count}件（前三个月月均{baseline:.1f}件，+{change * 100:.0f}%）"


def rising_issues(categories: list[str], problems: list[str]) -> str:
    lines = []
    if categories:
        lines.append(f"上升较快的类别：{'、'.join(categories)}。")
    if problems:
        lines.append(f"上升较快的投诉性质：{'、'.join(problems)}。")
    return "\n".join(lines) or "本月没有明显上升的投诉类别。"


def category_keywords(category: str, words: list[str]) -> str:
    return f"{category}：{'、'.join(words)}"


def merchant_spike_alert(merchant: str, count: int, days: int, numbers: list[str]) -> str:
    return (
        f"【投诉预警】{merchant}近{days}天被投诉 {count} 件（{'、'.join(numbers)}），"
        "请工作人员关注，必要时上门核查。"
    )


def category_spike_alert(category: str, count: int, previous: int) -> str:
    before = f"前7天 {previous} 件" if previous else "前7天没有"
    return (
        f"【投诉预警】「{category}」类投诉近7天 {count} 件，{before}，增长明显"
        "（如商家关门停业、集中退费等），请工作人员关注。"
    )


# --- the registry at work (issue 20): staff alerts


def merchant_not_trading(status: str) -> str:
    return f"档案中经营状态为「{status}」"


def licence_expired(until: date) -> str:
    return f"许可证已于{until.year}年{until.month}月{until.day}日到期"


def trading_lead_alert(number: str, merchant: str, reasons: list[str]) -> str:
    return (
        f"【线索提示】投诉 {number} 的被投诉方「{merchant}」{'，'.join(reasons)}，"
        "可能存在无照或超期经营，请工作人员核查。"
    )


def licences_expiring(items: list[tuple[str, date]]) -> str:
    lines = [f"{name}：{until.month}月{until.day}日到期" for name, until in items]
    return "\n".join(["30天内许可证到期的商家：", *lines]) if lines else ""


def fangxin_review(merchant: str, month_label: str, complaints: int, numbers: list[str]) -> str:
    return (
        f"【放心消费复核】承诺单位「{merchant}」{month_label}被投诉 {complaints} 件"
        f"（{'、'.join(numbers)}），超过复核标准，请工作人员复核其承诺情况。"
        "是否撤销由工作人员决定，系统不会自动处理。"
    )


# --- the registry import's report (issue 20)


def registry_row_updated(row_number: int, name: str, columns: list[str]) -> str:
    return f"第{row_number}行：{name}（{'、'.join(columns)}）"


def registry_import_report(
    *,
    added: int,
    updated: int,
    unchanged: int,
    rejected: list[str],
    updated_lines: list[str],
    dry_run: bool,
    written: bool,
) -> str:
    if dry_run:
        head = "试导入（--dry-run），未写入任何数据："
    elif written:
        head = "商家档案已导入：" if not rejected else "商家档案已导入（已跳过有问题的行）："
    else:
        head = (
            "有行未通过检查，本次导入未写入任何数据"
            "（可修改后重新导入，或加 --skip-bad 跳过这些行）："
        )
    lines = [
        head,
        f"新增 {added} 家，更新 {updated} 家，未变 {unchanged} 家，退回 {len(rejected)} 行",
    ]
    if updated_lines:
        lines.append("更新：")
        lines.extend(f"  {line}" for line in updated_lines)
    if rejected:
        lines.append("退回：")
        lines.extend(f"  {line}" for line in rejected)
    return "\n".join(lines)


def registry_exported(path: str, count: int) -> str:
    return f"已导出 {count} 家商家到 {path}。"


# --- /merchant 名称: the registry entry (issue 20)


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def merchant_registry_lines(
    *,
    street: str | None,
    community: str | None,
    status: str | None,
    concerns: list[str],
    licences: list[str],
    licence_valid_until: date | None,
    committed: bool,
    committed_on: date | None,
    cases: list[str],
) -> str:
    area = "、".join(part for part in (street, community) if part) or "未登记"
    state = status or "未摸排"
    if concerns:
        state += f"（注意：{'，'.join(concerns)}）"
    until = f"（有效期至{_day(licence_valid_until)}）" if licence_valid_until else ""
    promise = "已承诺" + (f"（{_day(committed_on)}）" if committed_on else "")
    lines = [
        f"街道/社区：{area}",
        f"经营状态：{state}",
        f"证照：{'、'.join(licences) or '未登记'}{until}",
        f"放心消费：{promise if committed else '未承诺'}",
    ]
    if cases:
        lines.append("最近的投诉：")
        lines.extend(cases)
    return "\n".join(lines)


def merchant_case_line(number: str, status_label: str, received: date) -> str:
    return f"{number}【{status_label}】{received.month}月{received.day}日登记"


# --- where complaints came from (/stats and the board; issue 20)


def area_lines(by_street: list[tuple[str, int]], by_community: list[tuple[str, int]]) -> str:
    def counted(pairs: list[tuple[str, int]]) -> str:
        return "、".join(f"{name} {count}件" for name, count in pairs[:8])

    lines = []
    if by_street:
        lines.append(f"按街道：{counted(by_street)}")
    if by_community:
        lines.append(f"按社区：{counted(by_community)}")
    return "\n".join(lines)


# --- offices (issue 20)

USAGE_OFFICE = "/office [监管所名称] —— 查看或设置本群所属的监管所（管理员）"


def office_of_group(name: str, names: list[str]) -> str:
    return f"本群属于{name}。可选：{'、'.join(names)}。"


def office_assigned(name: str, prefix: str) -> str:
    return f"本群已划归{name}，此后登记的投诉编号以 {prefix} 开头。"


def unknown_office(name: str, names: list[str]) -> str:
    return f"没有名为「{name}」的监管所。可选：{'、'.join(names)}。"


def office_staff_granted(member: str, role_label: str, office: str) -> str:
    return f"已将 {member} 设为{office}{role_label}。"


def case_of_other_office(number: str) -> str:
    return f"{number} 属于其他监管所，请由该所工作人员处理。"


def office_summary_note(office: str) -> str:
    return f"（以上为{office}辖区的数据。）"


# --- typical cases and /案例 at work (issue 21): commands and replies

USAGE_TYPICAL = (
    "/典型 编号 [标题] | 编号 修改 正文… | 编号 发布 | 编号 撤下"
    " —— 典型案例（起草、修改、发布、撤下）"
)
USAGE_SIMILAR = "/案例 关键词 —— 查找本所相近的典型案例和已办结案件"
TYPICAL_EDIT_WORDS = ("修改", "编辑")
TYPICAL_PUBLISH_WORDS = ("发布",)
TYPICAL_WITHDRAW_WORDS = ("撤下", "撤回")


def typical_needs_closed_case(number: str) -> str:
    return f"{number} 尚未办结，办结后才能整理为典型案例。"


def typical_drafted(number: str, text: str) -> str:
    return (
        f"已起草 {number} 的典型案例（已去除个人信息），请核对；"
        f"修改请发「/典型 {number} 修改 正文」，确认后发「/典型 {number} 发布」。\n{text}"
    )


def typical_edited(number: str, text: str) -> str:
    return f"{number} 的典型案例已修改（已再次去除个人信息）：\n{text}"


def typical_published(number: str, title: str) -> str:
    return f"典型案例「{title}」（{number}）已发布到公示页，并将随下一期月度公示发到各群。"


def typical_withdrawn(number: str) -> str:
    return f"{number} 的典型案例已撤下，公示页不再显示。"


def typical_missing(number: str) -> str:
    return f"{number} 还没有典型案例草稿，请先发「/典型 {number}」。"


def typical_is_published(number: str) -> str:
    return f"{number} 的典型案例已发布；如需修改，请先「/典型 {number} 撤下」。"


def typical_edit_empty(number: str) -> str:
    return f"请在「修改」后写上新的正文，例如「/典型 {number} 修改 【典型案例】标题……」。"


def case_outcome(status: str, money: str | None) -> str:
    """A closed case's outcome in a few words, for /案例."""
    label = TITLE_OUTCOMES.get(status, "")
    if status == "resolved" and money:
        return f"{label}，挽回{money}"
    return label or "办理中"


SIMILAR_EMPTY_QUERY = "请在 /案例 后写关键词，例如「/案例 预付卡 健身房」。"


# --- typical cases and hot issues in the monthly summary (issue 21)


def summary_hot_issues(rising: str, keywords: list[str]) -> str:
    lines = ["【热点问题】", rising]
    if keywords:
        lines.append("本月各类投诉的高频词：" + "；".join(keywords))
    return "\n".join(lines)


def summary_typical_cases(texts: list[str]) -> str:
    return "\n\n".join(["本月发布的典型案例（好经验好做法）：", *texts])


# --- the twelve-month chart (board and meeting pack; issue 21)


def trend_chart_title(last_month_label: str) -> str:
    return f"近12个月投诉类别走势（截至{last_month_label}）"


def trend_month_label(year: int, month: int) -> str:
    return f"{year % 100:02d}年{month}月" if month == 1 else f"{month}月"


# --- the joint-meeting pack (联席会议; issue 21)

MEETING_WORD = "联席会议"  # `/export 联席会议 [月]`
NO_AREA = "未登记"


def meeting_title(month_label: str, office: str | None) -> str:
    return f"{month_label}消费投诉信息共享联席工作会议材料" + (f"（{office}）" if office else "")


def meeting_caption(month_label: str) -> str:
    return (
        f"{month_label}联席会议材料（网页文件，可用浏览器打开后打印为 A4）。"
        "内含商家名称和案件编号，仅供会议使用，请勿转发到群里。"
    )


def meeting_sent(month_label: str) -> str:
    return f"{month_label}联席会议材料已私信发送给您。"


def registry_problem_line(name: str, concerns: list[str]) -> str:
    return f"{name}：{'，'.join(concerns)}"
