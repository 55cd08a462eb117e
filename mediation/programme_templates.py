"""Sentences of the merchant programme (registry, disclosure, typical cases, hot issues).

Kept apart from `mediation.templates` only while several people edit that file at once; it
is meant to be folded into it. Functions take plain values and return text; callers pass
masked text only.
"""

from __future__ import annotations

from datetime import date

# --- registry import (issue 20): why a row is rejected


def missing_column(column: str) -> str:
    return f"表头缺少「{column}」列，无法导入。"


def repeated_column(column: str) -> str:
    return f"表头中「{column}」列出现了不止一次，无法导入。"


def empty_sheet() -> str:
    return "表格是空的，没有表头。"


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


def stats_scope(office: str | None) -> str:
    return f"（{office}）" if office else "（全区）"


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
