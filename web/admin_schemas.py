"""What the admin API reads and returns: the JSON shapes its OpenAPI page documents.

Amounts are Decimals, which go out as strings ("58.00"), so no cent is lost on the way.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from mediation.cases import EVENT_LABELS, CaseStatus, EventKind
from mediation.registry import BusinessStatus
from storage.models import Case, Merchant


class StatusFilter(StrEnum):
    PENDING = CaseStatus.PENDING.value
    MEDIATING = CaseStatus.MEDIATING.value
    MERCHANT_REPLIED = CaseStatus.MERCHANT_REPLIED.value
    RESOLVED = CaseStatus.RESOLVED.value
    FAILED = CaseStatus.FAILED.value
    WITHDRAWN = CaseStatus.WITHDRAWN.value
    REFUSED = CaseStatus.REFUSED.value
    MERGED = CaseStatus.MERGED.value
    VOIDED = CaseStatus.VOIDED.value
    OPEN = "open"  # any status still in progress
    CLOSED = "closed"  # any final status


class CaseSummary(BaseModel):
    number: str
    status: str
    status_label: str
    room_id: str
    reporter_id: str
    reporter_name: str
    merchant_id: int | None
    merchant_name: str | None
    category: str | None
    category_group: str | None
    problem: str | None
    amount: Decimal | None
    outcome: str | None
    money_returned: Decimal | None
    rating: int | None
    assignee_id: str | None
    received_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None


class CasePage(BaseModel):
    total: int
    page: int
    page_size: int
    items: list[CaseSummary]


class TimelineEntry(BaseModel):
    at: datetime
    kind: str
    label: str
    actor: str
    actor_id: str | None
    data: dict[str, Any]


class CaseDetail(CaseSummary):
    raw_text: str = Field(description="原始投诉文本（未脱敏，仅限工作人员）")
    masked_text: str
    contacts: list[str] = Field(description="投诉人联系方式（未脱敏，仅限工作人员）")
    demands: list[str]
    missing: list[str]
    offer_amount: Decimal | None
    offer_remedy: str | None
    merchant_replied_at: datetime | None
    updated_at: datetime
    personal_data_erased_at: datetime | None = Field(
        description="投诉人个人信息被清除的时间（到期清除或应本人要求）"
    )
    timeline: list[TimelineEntry]


class MerchantIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    aliases: list[str] = Field(default_factory=list, max_length=50)
    licence_no: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=300)
    grid: str | None = Field(default=None, max_length=100)
    street: str | None = Field(default=None, max_length=100)
    community: str | None = Field(default=None, max_length=100)
    business_status: BusinessStatus | None = Field(default=None, description="经营状态")
    licences: list[str] = Field(default_factory=list, max_length=20, description="证照")
    licence_valid_until: date | None = Field(default=None, description="许可证有效期至")
    committed: bool = Field(default=False, description="放心消费承诺")
    committed_on: date | None = Field(default=None, description="承诺日期")


class MerchantPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    aliases: list[str] | None = Field(default=None, max_length=50)
    licence_no: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=300)
    grid: str | None = Field(default=None, max_length=100)
    street: str | None = Field(default=None, max_length=100)
    community: str | None = Field(default=None, max_length=100)
    business_status: BusinessStatus | None = Field(default=None, description="经营状态")
    licences: list[str] | None = Field(default=None, max_length=20, description="证照")
    licence_valid_until: date | None = Field(default=None, description="许可证有效期至")
    committed: bool | None = Field(default=None, description="放心消费承诺")
    committed_on: date | None = Field(default=None, description="承诺日期")


class MerchantOut(BaseModel):
    id: int
    name: str
    aliases: list[str]
    licence_no: str | None
    address: str | None
    grid: str | None
    street: str | None
    community: str | None
    business_status: str | None
    licences: list[str]
    licence_valid_until: date | None
    committed: bool
    committed_on: date | None
    created_at: datetime


class RejectedRowOut(BaseModel):
    row: int
    reasons: list[str]


class RegistryImportOut(BaseModel):
    """What `POST /api/merchants/import` did (or, with dry_run, would do)."""

    ok: bool = Field(description="没有被退回的行")
    written: bool = Field(description="是否已写入（试导入或有退回行且未跳过时为 false）")
    added: int
    updated: int
    unchanged: int
    rejected: list[RejectedRowOut]
    report: str = Field(description="中文导入报告")


def case_fields(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "status": case.status,
        "status_label": status_label(case.status),
        "room_id": case.room_id,
        "reporter_id": case.reporter_id,
        "reporter_name": case.reporter_name,
        "merchant_id": case.merchant_id,
        "merchant_name": case.merchant_name,
        "category": case.category,
        "category_group": case.category_group,
        "problem": case.problem,
        "amount": case.amount,
        "outcome": case.outcome,
        "money_returned": case.money_returned,
        "rating": case.rating,
        "assignee_id": case.assignee_id,
        "received_at": case.received_at,
        "accepted_at": case.accepted_at,
        "closed_at": case.closed_at,
    }


def status_label(status: str) -> str:
    try:
        return CaseStatus(status).label
    except ValueError:
        return status


def event_label(kind: str) -> str:
    try:
        return EVENT_LABELS[EventKind(kind)]
    except ValueError:
        return kind


def merchant_out(merchant: Merchant) -> MerchantOut:
    return MerchantOut(
        id=merchant.id,
        name=merchant.name,
        aliases=list(merchant.aliases),
        licence_no=merchant.licence_no,
        address=merchant.address,
        grid=merchant.grid,
        street=merchant.street,
        community=merchant.community,
        business_status=merchant.business_status,
        licences=list(merchant.licences or ()),
        licence_valid_until=merchant.licence_valid_until,
        committed=bool(merchant.committed),
        committed_on=merchant.committed_on,
        created_at=merchant.created_at,
    )
