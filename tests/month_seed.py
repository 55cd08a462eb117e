"""A known month of cases (June 2026, Shanghai time) for the board, the admin API and the
browser test, with the figures it must produce worked out by hand below.

The cases are written as rows, as the handlers leave them after a mediation, so that every
boundary (a complaint at 06-30 23:30 Shanghai, one at 07-01 00:10, a case received in May
and closed in June) is exactly where the test wants it. Personal data is planted on purpose
(phone, ID-card number, consumer name) to prove that no public output repeats it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mediation.cases import CaseStatus
from storage.models import Case, CaseEvent, Merchant, Room

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOM = "room-seeded"
PHONE = "13812345678"
ID_NUMBER = "110101199003071234"
CONSUMER = "陈秀英"
SCRIPT_MERCHANT = "<script>alert(1)</script>"
PHONE_MERCHANT = "李记修鞋13987654321"
AFTER_JUNE = datetime(2026, 7, 2, 10, 0, tzinfo=SHANGHAI)  # June is the month just ended

# What June 2026 must show (worked out from the cases below).
JUNE = {
    "received": 6,  # C1 C2 C3 C4 C5(06-30 23:30) C7; not C0 (May) nor C6 (07-01 00:10)
    "accepted": 5,  # C1 C2 C3 C4 C7
    "closed": 5,  # C0 C1 C2 (resolved), C3 (failed), C7 (withdrawn)
    "resolved": 3,
    "failed": 1,
    "success_rate": 0.75,  # 3 / (3 + 1); the withdrawal is not a mediated outcome
    "money_returned": "178.50",  # 20.00 + 58.00 + 100.50
    "avg_working_days_to_close": 3.0,  # (3 + 2 + 2 + 7 + 1) / 5; 06-19 is 端午
    "avg_rating": 4.5,  # C1 5, C2 4
    "rated": 2,
    "previous_received": 2,  # C-1 and C0 in May
    "last_year_received": 1,
    "month_on_month": 2.0,  # (6 - 2) / 2
    "year_on_year": 5.0,  # (6 - 1) / 1
    "by_category": [
        {"name": "食品", "count": 3},
        {"name": "餐饮住宿", "count": 2},
        {"name": "服装鞋帽", "count": 1},
    ],
    "by_problem": [
        {"name": "价格", "count": 2},
        {"name": "质量", "count": 2},
        {"name": "合同", "count": 1},
        {"name": "售后服务", "count": 1},
    ],
    "hot_spots": [
        {"name": "湖西社区第一网格", "count": 4},
        {"name": "湖东社区第二网格", "count": 2},
    ],
}
JUNE_TOP_MERCHANTS = [  # ties by name; the phone number in a name is masked in public
    {"name": "张记饺子馆", "count": 3},
    {"name": SCRIPT_MERCHANT, "count": 1},
    {"name": "李记修鞋139****4321", "count": 1},
    {"name": "鲜丰水果店", "count": 1},
]


@dataclass(frozen=True)
class SeedCase:
    number: str
    received: datetime
    merchant: int  # index into MERCHANTS
    category: str | None
    problem: str | None
    status: CaseStatus
    accepted: datetime | None = None
    closed: datetime | None = None
    money: Decimal | None = None
    rating: int | None = None


def local(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


MERCHANTS = (
    ("张记饺子馆", "湖西社区第一网格"),
    (SCRIPT_MERCHANT, "湖东社区第二网格"),
    ("鲜丰水果店", "湖西社区第一网格"),
    (PHONE_MERCHANT, "湖东社区第二网格"),
)

R, F, W = CaseStatus.RESOLVED, CaseStatus.FAILED, CaseStatus.WITHDRAWN
M, P = CaseStatus.MEDIATING, CaseStatus.PENDING
LAST_YEAR = 2025
# number, received, merchant, category, problem, status, accepted, closed, money, rating
CASES = (
    SeedCase(
        "CY-202506-0001",
        local(6, 12, year=LAST_YEAR),
        0,
        "食品",
        "质量",
        R,
        local(6, 12, year=LAST_YEAR),
        local(6, 13, year=LAST_YEAR),
        Decimal(10),
    ),
    SeedCase(
        "CY-202605-0001",
        local(5, 10),
        0,
        "食品",
        "质量",
        R,
        local(5, 10),
        local(5, 12),
        Decimal(15),
    ),
    SeedCase(
        "CY-202605-0002", local(5, 28), 2, "食品", "价格", R, local(5, 28), local(6, 2), Decimal(20)
    ),
    SeedCase(
        "CY-202606-0001",
        local(6, 3),
        0,
        "餐饮住宿",
        "价格",
        R,
        local(6, 3),
        local(6, 5),
        Decimal(58),
        5,
    ),
    SeedCase(
        "CY-202606-0002",
        local(6, 10),
        1,
        "食品",
        "质量",
        R,
        local(6, 10),
        local(6, 12),
        Decimal("100.50"),
        4,
    ),
    SeedCase("CY-202606-0003", local(6, 15), 2, "食品", "质量", F, local(6, 15), local(6, 25)),
    SeedCase("CY-202606-0004", local(6, 20), 0, "餐饮住宿", "售后服务", M, local(6, 20)),
    SeedCase("CY-202606-0005", local(6, 30, 23, 30), 3, "食品", "价格", P),
    SeedCase("CY-202607-0001", local(7, 1, 0, 10), 0, "食品", "质量", P),
    SeedCase("CY-202606-0006", local(6, 25), 0, "服装鞋帽", "合同", W, local(6, 25), local(6, 26)),
)


async def seed_june(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Write the merchants and cases above (and a short timeline for each) into the database."""
    created = datetime(2025, 1, 1, tzinfo=UTC)
    async with sessions() as session:
        session.add(Room(id=ROOM, name="湖西信息共享工作群", first_seen_at=created))
        merchants = [Merchant(name=n, aliases=[], grid=g, created_at=created) for n, g in MERCHANTS]
        session.add_all(merchants)
        await session.flush()
        for seed in CASES:
            merchant = merchants[seed.merchant]
            raw = (
                f"【投诉】{merchant.name}问题，消费者{CONSUMER}，电话{PHONE}，"
                f"身份证{ID_NUMBER}，要求退款"
            )
            case = Case(
                number=seed.number,
                room_id=ROOM,
                reporter_id="grid-li",
                reporter_name=CONSUMER,
                merchant_id=merchant.id,
                merchant_name=merchant.name,
                raw_text=raw,
                masked_text=raw.replace(PHONE, "138****5678"),
                amount=seed.money,
                demands=["退款"],
                category=seed.category,
                category_group="商品类" if seed.category in ("食品", "服装鞋帽") else "服务类",
                problem=seed.problem,
                contacts=[PHONE],
                missing=[],
                status=seed.status.value,
                outcome=seed.status.label if seed.status.is_closed else None,
                money_returned=seed.money if seed.status is R else None,
                rating=seed.rating,
                received_at=seed.received,
                accepted_at=seed.accepted,
                closed_at=seed.closed,
                updated_at=seed.closed or seed.accepted or seed.received,
            )
            session.add(case)
            await session.flush()
            events = [("opened", seed.received, "reporter")]
            if seed.accepted:
                events.append(("accepted", seed.accepted, "system"))
            if seed.closed:
                events.append(("closed", seed.closed, "staff"))
            for kind, at, actor in events:
                session.add(CaseEvent(case_id=case.id, kind=kind, actor=actor, at=at, data={}))
        await session.commit()
