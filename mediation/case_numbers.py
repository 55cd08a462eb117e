"""Case numbers as the office writes them: <office prefix>-<year><month>-<four-digit
sequence>, such as CY-202606-0007 (the default office) or HX-202606-0001."""

from __future__ import annotations

import re
from datetime import datetime

CASE_NUMBER_PATTERN = re.compile(r"(?<![A-Za-z])([A-Z]{2,4})-(\d{6})-(\d{4,})", re.IGNORECASE)


def case_period(local_time: datetime) -> str:
    """The numbering period (YYYYMM) for a case received at this local time."""
    return local_time.strftime("%Y%m")


def format_case_number(period: str, sequence: int, prefix: str = "CY") -> str:
    return f"{prefix.upper()}-{period}-{sequence:04d}"


def find_case_numbers(text: str) -> list[str]:
    """Case numbers mentioned in free text, normalised to upper case, in order, no repeats."""
    seen: list[str] = []
    for match in CASE_NUMBER_PATTERN.finditer(text):
        number = format_case_number(match.group(2), int(match.group(3)), match.group(1))
        if number not in seen:
            seen.append(number)
    return seen
