"""Offices (监管所): a district bureau (分局) has several, each with its groups, staff and
cases, and its own case-number prefix.

`TIAOJIE_OFFICES=湖西所:HX,南湖所:NH` names them; the first is the default office, which
every group, staff member and case belongs to until told otherwise (and which the data
from before offices existed was given). Without the setting there is one office, 本所,
with the prefix CY.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_PREFIX = "CY"
DEFAULT_OFFICE_NAME = "本所"
PREFIX_PATTERN = re.compile(r"[A-Z]{2,4}")


@dataclass(frozen=True)
class Office:
    name: str
    prefix: str  # 2–4 capital letters: HX-202606-0001


DEFAULT_OFFICES = (Office(DEFAULT_OFFICE_NAME, DEFAULT_PREFIX),)


def parse_offices(text: str) -> tuple[Office, ...]:
    """`名称:前缀,名称:前缀` (full-width ：，、 too); ValueError for a malformed list."""
    items = [item.strip() for item in re.split(r"[,，、]", text) if item.strip()]
    if not items:
        return DEFAULT_OFFICES
    offices: list[Office] = []
    for item in items:
        name, _, prefix = item.replace("：", ":").partition(":")
        name, prefix = name.strip(), prefix.strip().upper()
        if not name or not PREFIX_PATTERN.fullmatch(prefix):
            raise ValueError(f"an office is 名称:前缀 with a prefix of 2-4 letters, not {item!r}")
        if any(office.name == name or office.prefix == prefix for office in offices):
            raise ValueError(f"office name or prefix given twice: {item!r}")
        offices.append(Office(name, prefix))
    return tuple(offices)
