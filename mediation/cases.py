"""What a case is: its states, the people who act on it, and the events it records."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum


class CaseStatus(StrEnum):
    PENDING = "pending"  # 待受理: received, acceptance not yet decided
    MEDIATING = "mediating"  # 调解中: accepted, merchant notified
    MERCHANT_REPLIED = "merchant_replied"  # 商家已答复: waiting for the reporter
    RESOLVED = "resolved"  # 调解成功
    FAILED = "failed"  # 调解失败 (including 终止调解 at the legal limit)
    WITHDRAWN = "withdrawn"  # 撤回
    REFUSED = "refused"  # 不予受理
    MERGED = "merged"  # 已合并: a duplicate merged into another case; in no count
    VOIDED = "voided"  # 已作废: opened by mistake (/不是投诉); in no count

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_STATUSES


STATUS_LABELS: dict[CaseStatus, str] = {
    CaseStatus.PENDING: "待受理",
    CaseStatus.MEDIATING: "调解中",
    CaseStatus.MERCHANT_REPLIED: "商家已答复",
    CaseStatus.RESOLVED: "调解成功",
    CaseStatus.FAILED: "调解失败",
    CaseStatus.WITHDRAWN: "撤回",
    CaseStatus.REFUSED: "不予受理",
    CaseStatus.MERGED: "已合并",
    CaseStatus.VOIDED: "已作废",
}

CLOSED_STATUSES = frozenset(
    {
        CaseStatus.RESOLVED,
        CaseStatus.FAILED,
        CaseStatus.WITHDRAWN,
        CaseStatus.REFUSED,
        CaseStatus.MERGED,
        CaseStatus.VOIDED,
    }
)
OPEN_STATUSES = frozenset(CaseStatus) - CLOSED_STATUSES
# cases that are in no figure: not the report, /stats, the board, disclosure or area splits
UNCOUNTED_STATUSES = frozenset({CaseStatus.MERGED, CaseStatus.VOIDED})


class Actor(StrEnum):
    STAFF = "staff"
    REPORTER = "reporter"
    MERCHANT = "merchant"
    MEMBER = "member"  # anyone else in the group: may settle nothing
    SYSTEM = "system"


class EventKind(StrEnum):
    OPENED = "opened"
    DETAILS_ADDED = "details_added"
    DUPLICATE_LINKED = "duplicate_linked"
    ACCEPTED = "accepted"
    NOTIFIED = "notified"
    MERCHANT_REPLIED = "merchant_replied"
    MERCHANT_ACKNOWLEDGED = "merchant_acknowledged"  # a first answer without an offer
    CONFIRMED = "confirmed"
    REJECTED_BY_REPORTER = "rejected_by_reporter"
    RATED = "rated"
    REMINDED = "reminded"
    ESCALATED = "escalated"
    ASSIGNED = "assigned"
    REOPENED = "reopened"
    WITHDRAWN = "withdrawn"
    REFUSED = "refused"
    TERMINATED = "terminated"
    CLOSED = "closed"
    RATING_REQUESTED = "rating_requested"
    ACCEPTANCE_OVERDUE = "acceptance_overdue"
    PERSONAL_DATA_ERASED = "personal_data_erased"
    ACTION_REFUSED = "action_refused"  # someone tried what only others may do
    EDITED = "edited"  # staff corrected a detail (old and new value in the data)
    NOTE = "note"  # an internal note: staff only, never in the group
    MERGED = "merged"  # a duplicate case was merged into this one
    MERGED_INTO = "merged_into"  # this case was merged into another
    VOIDED = "voided"  # opened by mistake: not a complaint (/不是投诉)


EVENT_LABELS: dict[EventKind, str] = {
    EventKind.OPENED: "登记投诉",
    EventKind.DETAILS_ADDED: "补充信息",
    EventKind.DUPLICATE_LINKED: "重复投诉并入",
    EventKind.ACCEPTED: "受理",
    EventKind.NOTIFIED: "通知商家",
    EventKind.MERCHANT_REPLIED: "商家答复",
    EventKind.MERCHANT_ACKNOWLEDGED: "商家回应",
    EventKind.CONFIRMED: "投诉人确认",
    EventKind.REJECTED_BY_REPORTER: "投诉人不接受",
    EventKind.RATED: "满意度评价",
    EventKind.REMINDED: "提醒商家",
    EventKind.ESCALATED: "上报工作人员",
    EventKind.ASSIGNED: "指派",
    EventKind.REOPENED: "重新开启",
    EventKind.WITHDRAWN: "撤回",
    EventKind.REFUSED: "不予受理",
    EventKind.TERMINATED: "终止调解",
    EventKind.CLOSED: "结案",
    EventKind.RATING_REQUESTED: "邀请评价",
    EventKind.ACCEPTANCE_OVERDUE: "受理超期上报",
    EventKind.PERSONAL_DATA_ERASED: "删除个人信息",
    EventKind.ACTION_REFUSED: "越权操作被拒绝",
    EventKind.EDITED: "修改案件信息",
    EventKind.NOTE: "内部备注",
    EventKind.MERGED: "合并重复投诉",
    EventKind.MERGED_INTO: "并入其他案件",
    EventKind.VOIDED: "作废（误登记）",
}

# What a complaint must name before mediation can start (a missing contact does not hold it
# up: the reporter in the group is the consumer's channel).
REQUIRED_FOR_MEDIATION = ("merchant", "facts", "demand")


def ready_for_mediation(missing: Collection[str]) -> bool:
    """Whether a case missing these items can go to the merchant."""
    return not any(item in missing for item in REQUIRED_FOR_MEDIATION)
