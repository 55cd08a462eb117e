"""First reading of complaint messages: keyword detection (replaced by the jieba parser)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from mediation.privacy import mask_mobile, mask_personal_data

from .result import MerchantEntry, ParsedMessage

_COMPLAINT_WORDS = ("投诉", "多收", "退款", "退还", "欺骗", "不退", "质量问题", "维权")
_MERCHANT = re.compile(r"([\u4e00-\u9fa5A-Za-z0-9]{2,12}?(?:店|馆|超市|公司|酒店|药房|中心))")
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)元")


class ComplaintParser:
    def __init__(
        self, merchants: Iterable[MerchantEntry] = (), *, cache_dir: Path | None = None
    ) -> None:
        self._merchants = tuple(merchants)
        self._cache_dir = cache_dir

    def prepare(self) -> None:
        """Load dictionaries now rather than on the first message (slow; call off-loop)."""

    def update_merchants(self, merchants: Iterable[MerchantEntry]) -> None:
        self._merchants = tuple(merchants)

    def parse(self, text: str) -> ParsedMessage:
        masked = mask_personal_data(text)
        is_complaint = any(word in masked.text for word in _COMPLAINT_WORDS)
        merchant_match = _MERCHANT.search(masked.text)
        amount_match = _AMOUNT.search(masked.text)
        return ParsedMessage(
            is_complaint=is_complaint,
            confidence=0.6 if is_complaint else 0.1,
            masked_text=masked.text,
            merchant=merchant_match.group(1) if merchant_match else None,
            amount=Decimal(amount_match.group(1)) if amount_match else None,
            contacts=tuple(mask_mobile(p) for p in masked.phones),
            raw_contacts=masked.phones,
        )
