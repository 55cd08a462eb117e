"""Case numbers as the office writes them: CY-<year><month>-<four-digit sequence>."""

from __future__ import annotations

import re
from datetime import datetime

CASE_NUMBER_PATTERN = re.compile(r"CY-(\d{6})-(\d{4,})", re.IGNORECASE)


def case_period(local_time: datetime) -> str:
    """The numbering period (YYYYMM) for a case received at this local time."""
    return local_time.strftime("%Y%m")


def format_case_number(period: str, sequence: int) -> str:
    return f"CY-{period}-{sequence:04d}"


def find_case_numbers(text: str) -> list[str]:
    """Case numbers mentioned in free text, normalised to upper case, in order, no repeats."""
    seen: list[str] = []
    for match in CASE_NUMBER_PATTERN.finditer(text):
        number = format_case_number(match.group(1), int(match.group(2)))
        if number not in seen:
            seen.append(number)
    return seen
