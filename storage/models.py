"""Tables. Each row type says what it records; the migrations in `migrations/` create them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    relationship,
)

from .types import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Room(Base):
    """A chat group the bot sits in, and which bot account serves it.

    `account_id` is the bot account (`TIAOJIE_BOT_ID`) that last received a message from the
    group: with several processes, each with its own WeChat account, only that account can
    post there, so only its process sends the group's replies. NULL: any process may.
    """

    __tablename__ = "rooms"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    first_seen_at: Mapped[datetime]
    account_id: Mapped[str | None] = mapped_column(String(128))
    office_id: Mapped[int] = mapped_column(default=1, server_default=text("1"))  # 0013


class Office(Base):
    """An office (监管所) of `TIAOJIE_OFFICES`; id 1 is the default one (`mediation.offices`)."""

    __tablename__ = "offices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    prefix: Mapped[str] = mapped_column(String(4), unique=True)


class RoomMember(Base):
    """A member is in a group: seen posting there, or @-mentioned there by staff. Where a
    merchant bound in one group is told about a case from another."""

    __tablename__ = "room_members"
    __table_args__ = (Index("ix_room_members_member", "member_id", "room_id"),)
    room_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    first_seen_at: Mapped[datetime]


class Member(Base):
    """A chat participant and their role; merchants are bound to a registry entry."""

    __tablename__ = "members"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32), default="unknown")
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True)
    first_seen_at: Mapped[datetime]
    # staff act on their office's cases (admins on all)
    office_id: Mapped[int] = mapped_column(default=1, server_default=text("1"))


class Merchant(Base):
    """The merchant registry: also the custom dictionary the parser loads."""

    __tablename__ = "merchants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    aliases: Mapped[list[str]] = mapped_column(default=list)
    licence_no: Mapped[str | None] = mapped_column(String(32))  # 统一社会信用代码
    address: Mapped[str | None] = mapped_column(String(300))
    grid: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    # from the street survey (migration 0012; `mediation.registry.RegistryEntry`)
    street: Mapped[str | None] = mapped_column(String(100))
    community: Mapped[str | None] = mapped_column(String(100))
    business_status: Mapped[str | None] = mapped_column(String(8))  # 在营 歇业 注销 吊销 迁出
    licences: Mapped[list[str]] = mapped_column(default=list, server_default=text("'[]'"))
    licence_valid_until: Mapped[date | None] = mapped_column(Date)
    committed: Mapped[bool] = mapped_column(default=False, server_default=false())  # 放心消费
    committed_on: Mapped[date | None] = mapped_column(Date)


class CaseCounter(Base):
    """The last sequence number used in a numbering period (YYYYMM)."""

    __tablename__ = "case_counters"
    # YYYYMM for the CY prefix, else prefix + YYYYMM (migration 0013)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


# the partial index of cases whose calendar facts are not worked out yet
FACTS_UNKNOWN = text("overdue_at IS NULL AND working_days_to_close IS NULL")
# the partial indexes of accepted cases whose timeline is in order, and of the others
ACCEPTED_IN_ORDER = text(
    "received_at <= accepted_at AND (closed_at IS NULL OR closed_at >= accepted_at)"
)
ACCEPTED_OUT_OF_ORDER = text("received_at > accepted_at OR closed_at < accepted_at")


class Case(Base):
    """One complaint against one merchant. Its history is in `case_events`.

    `overdue_at` and `working_days_to_close` are what the working-day calendar says about
    the case (`mediation.reports.CalendarFacts`), written whenever its timeline changes, so
    the statistics never consult the calendar case by case. Both NULL means not worked out
    yet (a case fresh from intake): a known open case always has an `overdue_at` and a
    known closed one its working days. The deadline sweep fills the unknown ones in.

    The report indexes cover the monthly statistics: what was received in a month (by
    category, problem and merchant), what was closed in it (with outcome, money, rating,
    working days and overdue), what was open at its end, and what was accepted in it, each
    answered from the index alone. The merchant indexes answer the same for one grid's
    merchants (`/stats 上月 <网格>`) with a short range per merchant.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "ix_cases_received_report", "received_at", "status", "category", "problem",
            "merchant_id",
        ),
        Index(
            "ix_cases_closed_report", "closed_at", "overdue_at", "status", "money_returned",
            "rating", "received_at", "merchant_id", "working_days_to_close", "id",
        ),
        Index(
            "ix_cases_accepted_at", "accepted_at", "merchant_id",
            sqlite_where=ACCEPTED_IN_ORDER, postgresql_where=ACCEPTED_IN_ORDER,
        ),
        Index(
            "ix_cases_accepted_out_of_order", "accepted_at", "merchant_id", "received_at",
            "closed_at",
            sqlite_where=ACCEPTED_OUT_OF_ORDER, postgresql_where=ACCEPTED_OUT_OF_ORDER,
        ),
        Index("ix_cases_merchant_received", "merchant_id", "received_at"),
        Index("ix_cases_merchant_closed", "merchant_id", "closed_at"),
        Index("ix_cases_merchant_accepted", "merchant_id", "accepted_at"),
        Index("ix_cases_category_report", "category", "received_at", "merchant_id"),
        Index("ix_cases_problem_report", "problem", "received_at", "merchant_id"),
        Index(
            "ix_cases_status_money", "status", "money_returned", "closed_at", "received_at", "id"
        ),
        Index(
            "ix_cases_facts_unknown", "overdue_at", "working_days_to_close",
            sqlite_where=FACTS_UNKNOWN, postgresql_where=FACTS_UNKNOWN,
        ),
        # a reporter's cases in a room by status: their thread, and whether one awaits details
        Index("ix_cases_reporter_room", "reporter_id", "room_id", "status", "received_at"),
        Index("ix_cases_office_received", "office_id", "received_at"),
    )  # fmt: skip
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"), index=True)
    reporter_id: Mapped[str] = mapped_column(String(128))  # indexed by ix_cases_reporter_room
    reporter_name: Mapped[str] = mapped_column(String(200), default="")
    # a relayed complaint (「居民王阿姨反映…」): the consumer, apart from the relaying reporter
    consumer_name: Mapped[str | None] = mapped_column(String(200))
    relayed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    merchant_name: Mapped[str | None] = mapped_column(String(200))
    raw_text: Mapped[str] = mapped_column(Text)  # staff-only: may hold personal data
    masked_text: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    demands: Mapped[list[str]] = mapped_column(default=list)
    category: Mapped[str | None] = mapped_column(String(32))
    category_group: Mapped[str | None] = mapped_column(String(8))
    problem: Mapped[str | None] = mapped_column(String(16))
    contacts: Mapped[list[str]] = mapped_column(default=list)  # staff-only raw numbers
    missing: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(24))  # indexed by ix_cases_status_money
    outcome: Mapped[str | None] = mapped_column(String(24))
    money_returned: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    offer_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    offer_remedy: Mapped[str | None] = mapped_column(String(16))
    merchant_replied_at: Mapped[datetime | None]
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_requested_at: Mapped[datetime | None]
    assignee_id: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    personal_data_erased_at: Mapped[datetime | None]
    source_message_id: Mapped[str | None] = mapped_column(String(200))
    overdue_at: Mapped[datetime | None]
    working_days_to_close: Mapped[int | None] = mapped_column(Integer)
    # the merchant's area when the case's merchant was set (migration 0012)
    street: Mapped[str | None] = mapped_column(String(100))
    community: Mapped[str | None] = mapped_column(String(100))
    grid: Mapped[str | None] = mapped_column(String(100))
    # the office of the case's group when it was opened (migration 0013)
    office_id: Mapped[int] = mapped_column(default=1, server_default=text("1"))


# SQLite only: the UTC month of receipt and the merchant (see `storage.reports`), created by
# migration 0009. Not an `Index`: Alembic cannot reflect an index on an expression, so it
# could not compare one with the database, and a batch migration that rebuilds the table
# must create it again.
event.listen(
    Case.__table__,
    "after_create",
    DDL(
        "CREATE INDEX ix_cases_received_month"
        " ON cases (substr(received_at, 1, 7), merchant_id, received_at)"
    ).execute_if(dialect="sqlite"),
)


class CaseEvent(Base):
    """The audit trail: an immutable record of one thing that happened to a case.

    `dedupe_key` makes once-only events (a reminder, an escalation) unique per case, so a
    sweep that runs twice cannot record, or send, them twice.
    """

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "dedupe_key", name="uq_case_event_once"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # set when the event is recorded, so a case not yet flushed gets its id on the flush;
    # never loaded (an event is read for its columns)
    case: Mapped[Case] = relationship(lazy="raise")
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(64))
    # unused since events are inserted one message at a time (migration 0011 added it)
    insert_position: Mapped[int | None] = mapped_column(Integer)


class CalendarOverride(Base):
    """A day the State Council's yearly notice makes a holiday or a make-up working day."""

    __tablename__ = "calendar_overrides"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_working_day: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")


class InboxMessage(Base):
    """Every incoming message, committed before it is handled; unique per platform id."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_state_id", "state", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    room_id: Mapped[str] = mapped_column(String(128))
    sender_id: Mapped[str] = mapped_column(String(128))
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    truncated: Mapped[bool] = mapped_column(default=False)
    mention_ids: Mapped[list[str]] = mapped_column(default=list)
    is_direct: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime]
    received_at: Mapped[datetime]
    account_id: Mapped[str | None] = mapped_column(String(128))  # the bot account it came to
    state: Mapped[str] = mapped_column(String(16), default="received")
    route: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    handled_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A reply waiting to be, or already, delivered; written with the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    mention_ids: Mapped[list[str]] = mapped_column(default=list)
    image_path: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    platform_message_id: Mapped[str | None] = mapped_column(String(200))
    cause_inbox_id: Mapped[int | None] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(Integer)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class SandboxMessage(Base):
    """The sandbox gateway's room transcript: what a real chat platform would show."""

    __tablename__ = "sandbox_messages"
    __table_args__ = (UniqueConstraint("room_id", "message_id", name="uq_sandbox_room_message"),)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(String(128), index=True)
    message_id: Mapped[str] = mapped_column(String(200))
    sender_id: Mapped[str] = mapped_column(String(128))
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    mention_ids: Mapped[list[str]] = mapped_column(default=list)
    image_url: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token for the staff admin API; only a hash of the token is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class MonthlySummary(Base):
    """A monthly public summary posted to a room: at most one per room and month."""

    __tablename__ = "monthly_summaries"
    __table_args__ = (UniqueConstraint("room_id", "month", name="uq_monthly_summary_once"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(String(128))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, local time
    posted_at: Mapped[datetime]


class ReferenceVersion(Base):
    """A counter per kind of reference data ("merchants", "calendar"), raised in the
    transaction that changes it, so that every process notices and reloads its copy."""

    __tablename__ = "reference_versions"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class TypicalCase(Base):
    """A typical case (典型案例): a write-up drafted from one closed case, with no personal
    data, that staff edit and publish to the board and the groups (migration 0014).

    `state` is draft, published or withdrawn; `published_at` is the first publication (the
    monthly summary of that month carries it, once)."""

    __tablename__ = "typical_cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    number: Mapped[str] = mapped_column(String(32))
    office_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    withdrawn_at: Mapped[datetime | None]


class DetectorCorrection(Base):
    """A person's correction of the complaint detector, kept as a labelled example for
    `tiaojie model train` (issue 16; migration 0016): the masked text only, 1 for a message
    registered by hand (「登记」, /登记), 0 for a case voided as not a complaint (/不是投诉)."""

    __tablename__ = "detector_corrections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    masked_text: Mapped[str] = mapped_column(Text)
    label: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32))  # reply, command, void
    actor_id: Mapped[str] = mapped_column(String(128))
    inbox_id: Mapped[int | None] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime]
