"""What a case is: its states, the people who act on it, and the events it records."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    PENDING = "pending"  # 待受理: received, acceptance not yet decided
    MEDIATING = "mediating"  # 调解中: accepted, merchant notified
    MERCHANT_REPLIED = "merchant_replied"  # 商家已答复: waiting for the reporter
    RESOLVED = "resolved"  # 调解成功
    FAILED = "failed"  # 调解失败 (including 终止调解 at the legal limit)
    WITHDRAWN = "withdrawn"  # 撤回
    REFUSED = "refused"  # 不予受理

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
}

CLOSED_STATUSES = frozenset(
    {CaseStatus.RESOLVED, CaseStatus.FAILED, CaseStatus.WITHDRAWN, CaseStatus.REFUSED}
)
OPEN_STATUSES = frozenset(CaseStatus) - CLOSED_STATUSES


class Actor(StrEnum):
    STAFF = "staff"
    REPORTER = "reporter"
    MERCHANT = "merchant"
    SYSTEM = "system"


class EventKind(StrEnum):
    OPENED = "opened"
    DETAILS_ADDED = "details_added"
    DUPLICATE_LINKED = "duplicate_linked"
    ACCEPTED = "accepted"
    NOTIFIED = "notified"
    MERCHANT_REPLIED = "merchant_replied"
    CONFIRMED = "confirmed"
    REJECTED_BY_REPORTER = "rejected_by_reporter"
    RATED = "rated"
    REMINDED = "reminded"
    ESCALATED = "escalated"
    ASSIGNED = "assigned"
    REOPENED = "reopened"
    CLOSED = "closed"
