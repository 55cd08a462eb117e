"""The structured reading of one group message."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class MerchantEntry:
    """A registry merchant as the parser sees it: id, official name and aliases."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedMessage:
    """One message read: whether it opens a case, and the case data found in it.

    The case data is filled in even when `is_complaint` is False, so that a reporter's
    follow-up (「商家是湖西路张记饺子馆，电话138…」) can complete an open case.
    """

    is_complaint: bool  # exactly when band == "sure"
    confidence: float  # the detector's calibrated probability (small fixed values for rules)
    masked_text: str
    merchant: str | None = None
    merchant_id: int | None = None
    amount: Decimal | None = None  # the amount at stake (a price difference, a refund due)
    paid: Decimal | None = None  # what was paid, when the amount at stake is part of it
    demands: tuple[str, ...] = ()
    category: str | None = None
    category_group: str | None = None
    problem: str | None = None
    contacts: tuple[str, ...] = ()  # masked, safe to post
    raw_contacts: tuple[str, ...] = field(default=(), repr=False)  # staff-only
    missing: tuple[str, ...] = ()
    nuisance: bool = False  # noise / 油烟 reports: not a consumer dispute, never a case
    kind: str = "chatter"  # why: complaint, ack, notice, stats, question, mediation_reply, ...
    band: str = "no"  # sure (opens a case) | unsure (ask the sender) | no
    probability: float = 0.0  # the detector's calibrated probability of a new complaint

    def to_json(self, message_id: str | int) -> dict[str, Any]:
        """The `tiaojie parse` line for this message (no raw personal data)."""
        return {
            "id": message_id,
            "is_complaint": self.is_complaint,
            "confidence": round(self.confidence, 3),
            "merchant": self.merchant,
            "merchant_id": self.merchant_id,
            "amount": _amount_json(self.amount),
            "demands": list(self.demands),
            "category": self.category,
            "category_group": self.category_group,
            "problem": self.problem,
            "contacts": list(self.contacts),
            "masked_text": self.masked_text,
            "missing": list(self.missing),
            "nuisance": self.nuisance,
            "band": self.band,
        }


def _amount_json(amount: Decimal | None) -> int | float | None:
    if amount is None:
        return None
    return int(amount) if amount == amount.to_integral_value() else float(amount)
