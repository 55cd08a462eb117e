"""A known month of cases for the statistics tests: June 2026, with May 2026 before it, one
case of June 2025 for 同比, and the boundary cases (06-30 23:30 Shanghai is June, 07-01 00:10
Shanghai is July).

The expected June figures, worked out by hand (working days per the Chinese calendar; 19 June
2026 is the Dragon Boat Festival):

- received 7 (0001–0007), accepted 5 (0001–0004, 0007), closed 5 (0001 0002 0003 0006 and
  May's 0002), resolved 3, failed 1, success rate 3/4 = 75.0%, money returned 58+30+100 = 188
- overdue 2: 0004 (accepted 06-08, not settled by 06-23) and 0007 (accepted 06-15, five
  working days after its acceptance deadline of 06-10); both still open at the month's end
- working days to close: 2, 6, 5, 1 and 9 → 4.6; ratings 5 and 4 → 4.5 (2 rated)
- previous month received 3 → 环比 +133.3%; June 2025 received 1 → 同比 +600.0%
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mediation.cases import CaseStatus
from mediation.parsing.categories import category_group
from mediation.roles import Role
from storage.models import Case, Member, Merchant, Room

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOM_HUXI = "room-huxi"
ROOM_DONGHU = "room-donghu"
RAW_PHONE = "13812345678"


def sh(*args: int) -> datetime:
    """A Shanghai wall-clock time."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


MERCHANTS = {
    "zhang": ("张记饺子馆", "湖西社区"),
    "li": ("李氏美发", "湖西社区"),
    "haoyouduo": ("好又多超市", "东湖社区"),
}

# number, received, accepted, closed, status, merchant key, category, problem, money, rating,
# reporter, room
CASES: list[tuple] = [  # type: ignore[type-arg]
    ("CY-202506-0001", sh(2025, 6, 10, 10), sh(2025, 6, 10, 11), sh(2025, 6, 12, 10),
     CaseStatus.RESOLVED, "zhang", "餐饮住宿", "价格", Decimal("20"), None, "grid-li", ROOM_HUXI),
    ("CY-202605-0001", sh(2026, 5, 12, 10), sh(2026, 5, 12, 11), sh(2026, 5, 15, 10),
     CaseStatus.RESOLVED, "zhang", "餐饮住宿", "价格", Decimal("40"), 5, "grid-li", ROOM_HUXI),
    ("CY-202605-0002", sh(2026, 5, 20, 10), sh(2026, 5, 20, 11), sh(2026, 6, 2, 10),
     CaseStatus.RESOLVED, "zhang", "餐饮住宿", "质量", Decimal("100"), None, "grid-li", ROOM_HUXI),
    ("CY-202605-0003", sh(2026, 5, 31, 23, 50), None, sh(2026, 5, 31, 23, 58),
     CaseStatus.WITHDRAWN, "li", "美容美发洗浴", "合同", None, None, "grid-li", ROOM_HUXI),
    ("CY-202606-0001", sh(2026, 6, 1, 10), sh(2026, 6, 1, 10, 5), sh(2026, 6, 3, 15),
     CaseStatus.RESOLVED, "zhang", "餐饮住宿", "价格", Decimal("58"), 5, "grid-li", ROOM_HUXI),
    ("CY-202606-0002", sh(2026, 6, 2, 9), sh(2026, 6, 2, 9, 30), sh(2026, 6, 10, 11),
     CaseStatus.RESOLVED, "zhang", "餐饮住宿", "质量", Decimal("30"), 4, "grid-li", ROOM_HUXI),
    ("CY-202606-0003", sh(2026, 6, 5, 14), sh(2026, 6, 5, 15), sh(2026, 6, 12, 16),
     CaseStatus.FAILED, "li", "美容美发洗浴", "售后服务", None, None, "grid-li", ROOM_HUXI),
    ("CY-202606-0004", sh(2026, 6, 8, 10), sh(2026, 6, 8, 11), None,
     CaseStatus.MEDIATING, "haoyouduo", "食品", "质量", None, None, "grid-wu", ROOM_DONGHU),
    ("CY-202606-0005", sh(2026, 6, 30, 23, 30), None, None,
     CaseStatus.PENDING, "zhang", "餐饮住宿", "价格", None, None, "grid-li", ROOM_HUXI),
    ("CY-202606-0006", sh(2026, 6, 10, 10), None, sh(2026, 6, 11, 10),
     CaseStatus.WITHDRAWN, "li", "美容美发洗浴", "合同", None, None, "grid-li", ROOM_HUXI),
    ("CY-202606-0007", sh(2026, 6, 1, 9), sh(2026, 6, 15, 10), None,
     CaseStatus.MEDIATING, None, None, None, None, None, "grid-li", ROOM_HUXI),
    ("CY-202607-0001", sh(2026, 7, 1, 0, 10), None, None,
     CaseStatus.PENDING, "zhang", "餐饮住宿", "价格", None, None, "grid-li", ROOM_HUXI),
]  # fmt: skip

ASSIGNED_TO_STAFF = {"CY-202606-0004": "staff-wang"}


async def seed_month(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Rooms, members, merchants and the cases above; returns merchant ids by key."""
    async with sessions.begin() as session:
        for room_id in (ROOM_HUXI, ROOM_DONGHU):
            if await session.get(Room, room_id) is None:
                session.add(Room(id=room_id, name="", first_seen_at=sh(2025, 1, 1)))
        merchant_ids: dict[str, int] = {}
        for key, (name, grid) in MERCHANTS.items():
            merchant = Merchant(
                name=name, aliases=[], licence_no=None, grid=grid, created_at=sh(2025, 1, 1)
            )
            session.add(merchant)
            await session.flush()
            merchant_ids[key] = merchant.id
        for member_id, role, merchant_key in (
            ("staff-zhou", Role.STAFF, None),
            ("grid-li", Role.GRID_WORKER, None),
            ("grid-wu", Role.GRID_WORKER, None),
            ("merchant-zhang", Role.MERCHANT, "zhang"),
        ):
            if await session.get(Member, member_id) is None:
                session.add(
                    Member(
                        id=member_id,
                        display_name=member_id,
                        role=role,
                        merchant_id=merchant_ids[merchant_key] if merchant_key else None,
                        first_seen_at=sh(2025, 1, 1),
                    )
                )
        for row in CASES:
            number, received, accepted, closed, status, key, category, problem = row[:8]
            money, rating, reporter, room = row[8:]
            merchant_name = MERCHANTS[key][0] if key else None
            session.add(
                Case(
                    number=number,
                    room_id=room,
                    reporter_id=reporter,
                    reporter_name="陈女士",
                    merchant_id=merchant_ids[key] if key else None,
                    merchant_name=merchant_name,
                    raw_text=f"{merchant_name or '某店'}多收钱，消费者电话{RAW_PHONE}",
                    masked_text=f"{merchant_name or '某店'}多收钱，消费者电话138****5678",
                    amount=Decimal("58"),
                    demands=["退款"],
                    category=category,
                    category_group=category_group(category),
                    problem=problem,
                    contacts=[RAW_PHONE],
                    missing=[],
                    status=status,
                    outcome=status.value if closed else None,
                    money_returned=money,
                    rating=rating,
                    assignee_id=ASSIGNED_TO_STAFF.get(number),
                    received_at=received,
                    accepted_at=accepted,
                    closed_at=closed,
                    updated_at=closed or accepted or received,
                )
            )
    return merchant_ids
