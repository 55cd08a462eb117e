"""An amount right after a masked name is still read; the tail of a masked number is not."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mediation.parsing.amounts import find_amounts


def test_an_amount_after_a_masked_name_is_read() -> None:
    assert [m.value for m in find_amounts("多收消费者王**58元")] == [Decimal(58)]


@pytest.mark.parametrize(
    "text", ["电话138****5678", "卡号6222********5678", "身份证4301**********1234"]
)
def test_the_tail_of_a_masked_number_is_not_an_amount(text: str) -> None:
    assert find_amounts(text) == []
