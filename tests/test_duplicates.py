"""The duplicate rule on its own: which open case a new complaint repeats, if any."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from mediation.duplicates import find_repeated, is_same_complaint
from mediation.parsing import ParsedMessage

TEXT = "湖西路张记饺子馆多收消费者58元，要求退款，电话138****5678"


@dataclass
class OpenCase:
    masked_text: str = TEXT
    contacts: list[str] = field(default_factory=lambda: ["13812345678"])
    amount: Decimal | None = Decimal("58")
    merchant_id: int | None = 7
    merchant_name: str | None = "张记饺子馆"
    reporter_id: str = "grid-li"


def complaint(
    text: str = TEXT,
    *,
    contacts: tuple[str, ...] = ("13812345678",),
    amount: str | None = "58",
    merchant: str | None = "张记饺子馆",
    merchant_id: int | None = 7,
) -> ParsedMessage:
    return ParsedMessage(
        is_complaint=True,
        confidence=0.9,
        masked_text=text,
        merchant=merchant,
        merchant_id=merchant_id,
        amount=None if amount is None else Decimal(amount),
        raw_contacts=contacts,
    )


def test_the_same_text_again_repeats_the_case() -> None:
    case = OpenCase()
    assert find_repeated(complaint(TEXT + "，请尽快"), "consumer-zhao", [case]) is case


def test_another_consumers_phone_makes_another_complaint_however_alike_the_words() -> None:
    assert find_repeated(complaint(contacts=("13987654321",)), "grid-li", [OpenCase()]) is None


def test_another_amount_makes_another_complaint() -> None:
    assert find_repeated(complaint(amount="60"), "grid-li", [OpenCase()]) is None


def test_same_merchant_and_phone_in_other_words_repeats_the_case() -> None:
    case = OpenCase()
    other_words = complaint("张记饺子馆那边的事还没处理，电话138****5678", amount=None)
    assert find_repeated(other_words, "consumer-zhao", [case]) is case


def test_same_merchant_reporter_and_amount_without_a_phone_repeats_the_case() -> None:
    case = OpenCase(contacts=[])
    other_words = complaint("张记饺子馆的58元还没退", contacts=())
    assert find_repeated(other_words, "grid-li", [case]) is case


def test_same_merchant_and_reporter_alone_is_not_a_repeat() -> None:
    """A grid worker reports for many consumers: two neighbours, one restaurant."""
    case = OpenCase(contacts=[], amount=None)
    other = complaint("张记饺子馆又多收了一位老人的钱，要求退款", contacts=(), amount=None)
    assert not is_same_complaint(case, other, "grid-li", texts_alike=False)
    assert find_repeated(other, "grid-li", [case]) is None


def test_the_merchant_is_matched_by_name_when_the_registry_does_not_know_it() -> None:
    case = OpenCase(merchant_id=None, contacts=[])
    other = complaint("那家张记饺子馆的58元", contacts=(), merchant_id=None)
    assert find_repeated(other, "grid-li", [case]) is case


def test_the_newest_repeated_case_is_chosen() -> None:
    newer, older = OpenCase(), OpenCase()
    assert find_repeated(complaint(), "grid-li", [newer, older]) is newer


def test_no_open_cases_no_repeat() -> None:
    assert find_repeated(complaint(), "grid-li", []) is None
