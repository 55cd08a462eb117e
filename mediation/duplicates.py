"""Whether a complaint repeats one already open: the same consumer's complaint again.

A repeat is linked to the open case instead of opening a second one. Near-identical words
make a repeat, and so does the same merchant with the same consumer phone, or the same
merchant, reporter and amount. Different phone numbers or different amounts mean different
complaints, however alike the words. A grid worker reports for many consumers, so "same
merchant, same reporter" alone is not a repeat: two neighbours can both have been
overcharged by one restaurant.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol, TypeVar

from rapidfuzz import fuzz, process

from .parsing import ParsedMessage

NEAR_IDENTICAL_RATIO = 90  # rapidfuzz's ratio, 0-100


class ComplaintFacts(Protocol):
    """What is compared of an open case."""

    @property
    def masked_text(self) -> str: ...
    @property
    def contacts(self) -> list[str]: ...
    @property
    def amount(self) -> Decimal | None: ...
    @property
    def merchant_id(self) -> int | None: ...
    @property
    def merchant_name(self) -> str | None: ...
    @property
    def reporter_id(self) -> str: ...


Facts = TypeVar("Facts", bound=ComplaintFacts)


def find_repeated(
    complaint: ParsedMessage, reporter_id: str, open_cases: Sequence[Facts]
) -> Facts | None:
    """The newest of `open_cases` (given newest first) that `complaint`, posted by
    `reporter_id`, repeats; None when it is a complaint of its own."""
    near = near_identical(complaint.masked_text, [case.masked_text for case in open_cases])
    for index, case in enumerate(open_cases):
        if is_same_complaint(case, complaint, reporter_id, texts_alike=index in near):
            return case
    return None


def near_identical(text: str, others: Sequence[str]) -> set[int]:
    """The positions in `others` of the texts near-identical to `text` (one call for all:
    a busy room has many open cases)."""
    matches = process.extract(
        text, others, scorer=fuzz.ratio, score_cutoff=NEAR_IDENTICAL_RATIO, limit=None
    )
    return {index for _choice, _score, index in matches}


def same_merchant(case: ComplaintFacts, complaint: ParsedMessage) -> bool:
    return (complaint.merchant_id is not None and case.merchant_id == complaint.merchant_id) or (
        complaint.merchant is not None and case.merchant_name == complaint.merchant
    )


def is_same_complaint(
    case: ComplaintFacts, complaint: ParsedMessage, reporter_id: str, *, texts_alike: bool
) -> bool:
    """`texts_alike`: whether the two texts are near-identical (see `near_identical`)."""
    case_contacts, new_contacts = set(case.contacts), set(complaint.raw_contacts)
    if case_contacts and new_contacts and not case_contacts & new_contacts:
        return False  # different consumers
    if case.amount is not None and complaint.amount is not None and case.amount != complaint.amount:
        return False
    if texts_alike:
        return True
    if not same_merchant(case, complaint):
        return False
    if case_contacts & new_contacts:
        return True
    return (
        case.reporter_id == reporter_id
        and complaint.amount is not None
        and case.amount == complaint.amount
    )
