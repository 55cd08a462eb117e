"""The sane range of an amount of money, wherever one enters (a complaint, a merchant's
answer, `/close`): more than nothing, at most two decimals, at most the configured maximum
(`TIAOJIE_MAX_AMOUNT`, 10,000,000 yuan by default). Anything else is refused with a sentence
and never stored, so one absurd figure cannot break the totals of every report."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

DEFAULT_MAX_AMOUNT = Decimal("10000000")
# what the amount columns (NUMERIC(14, 2)) hold: no configured maximum may go beyond it
STORABLE_MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")


def in_range(value: Decimal | None, maximum: Decimal = DEFAULT_MAX_AMOUNT) -> bool:
    """Whether `value` is an amount to record: positive, whole cents, at most `maximum`."""
    if value is None:
        return False
    try:
        if not value.is_finite() or value <= 0 or value > min(maximum, STORABLE_MAX_AMOUNT):
            return False
        return value == value.quantize(CENT)
    except (InvalidOperation, AttributeError, TypeError):
        return False


def storable(value: Decimal) -> bool:
    """Whether the amount columns could hold `value` at all (the parser's bound)."""
    try:
        return value.is_finite() and 0 < value <= STORABLE_MAX_AMOUNT
    except (InvalidOperation, AttributeError, TypeError):
        return False
