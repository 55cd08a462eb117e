"""Personal data in group text: find phone and ID-card numbers and mask them.

Groups contain merchants, so a consumer's phone or ID-card number must never be repeated
in a group message, a public page or a non-staff export. Everything the bot posts goes
through `mask_personal_data`; the raw numbers are kept only in staff-only case fields.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SEP = r"[ \-\u2010-\u2015\u00a0]?"

# 18-digit resident ID (last may be X) and the old 15-digit form.
_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])|"
    r"(?<![0-9A-Za-z])(\d{6})(\d{6})(\d{3})(?![0-9A-Za-z])"
)
# Mobile numbers, optionally +86 / 0086, optionally split by spaces or dashes (3-4-4).
_MOBILE = re.compile(
    rf"(?<!\d)(?:(?:\+|00)86{_SEP})?(1[3-9]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?!\d)"
)
# Landlines: area code 0xx/0xxx with 7-8 digit local number, optionally in brackets.
_LANDLINE = re.compile(
    rf"(?<!\d)(?:[(（](0\d{{2,3}})[)）]|(0\d{{2,3}})){_SEP}(\d{{3,4}}){_SEP}?(\d{{4}})(?!\d)"
)


@dataclass(frozen=True)
class MaskResult:
    text: str
    phones: tuple[str, ...]  # raw numbers found, digits only (staff-only)
    id_numbers: tuple[str, ...]


def normalise_digits(text: str) -> str:
    """Full-width digits and letters to ASCII, invisible characters removed."""
    text = text.translate(_INVISIBLE)
    if not any("\uff10" <= ch <= "\uff5a" for ch in text):
        return text
    return "".join(
        unicodedata.normalize("NFKC", ch) if "\uff10" <= ch <= "\uff5a" else ch for ch in text
    )


def mask_mobile(digits: str) -> str:
    return f"{digits[:3]}****{digits[-4:]}"


def mask_personal_data(text: str) -> MaskResult:
    """Mask ID-card numbers, mobile numbers and landlines; report the raw numbers found."""
    text = normalise_digits(text)
    phones: list[str] = []
    ids: list[str] = []

    def _id(m: re.Match[str]) -> str:
        raw = m.group(0)
        ids.append(raw.upper())
        return raw[:3] + "*" * (len(raw) - 7) + raw[-4:]

    def _mobile(m: re.Match[str]) -> str:
        digits = m.group(1) + m.group(2) + m.group(3)
        phones.append(digits)
        return mask_mobile(digits)

    def _landline(m: re.Match[str]) -> str:
        area = m.group(1) or m.group(2)
        local = m.group(3) + m.group(4)
        phones.append(area + local)
        return f"{area}-****{local[-4:]}"

    text = _ID_CARD.sub(_id, text)
    text = _MOBILE.sub(_mobile, text)
    text = _LANDLINE.sub(_landline, text)
    return MaskResult(text=text, phones=tuple(phones), id_numbers=tuple(ids))


def mask_text(text: str) -> str:
    return mask_personal_data(text).text


def contains_personal_data(text: str) -> bool:
    """True when unmasked phone or ID-card numbers remain (used by tests and guards)."""
    result = mask_personal_data(text)
    return bool(result.phones or result.id_numbers)
