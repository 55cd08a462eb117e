"""Personal data in group text: find phone and ID-card numbers and mask them.

Groups contain merchants, so a consumer's phone or ID-card number must never be repeated
in a group message, a public page or a non-staff export. Everything the bot posts goes
through `mask_personal_data`; the raw numbers are kept only in staff-only case fields.

The patterns err on the side of masking: a number that merely looks like a phone is
masked too, because an over-masked order number costs nothing and a leaked phone number
cannot be taken back. Hidden characters are removed first so that a zero-width space or a
control character inside a number cannot split it past the patterns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Zero-width and direction marks, soft hyphen, BOM, and C0/C1 controls other than \t \n \r.
_HIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff]"
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# What people put between the digits of one number; up to three in a row ("138 - 1234").
# Separators are accepted between any two digits, not only at the usual group boundaries.
_SEP = r"[ \t\-_.\u00a0\u00b7\u2010-\u2015\u3000\u30fb\uff0d]{0,3}"

# 18-digit resident ID (last may be X) and the old 15-digit form; both start with a region
# digit 1-8, so 0086-prefixed phone numbers are not taken for IDs.
_ID_CARD = re.compile(
    rf"(?<![0-9A-Za-z])[1-8](?:{_SEP}\d){{16}}{_SEP}[0-9Xx](?![0-9A-Za-z])|"
    rf"(?<![0-9A-Za-z])[1-8](?:{_SEP}\d){{14}}(?![0-9A-Za-z])"
)
# Mobile numbers, optionally +86 / 0086.
_MOBILE = re.compile(rf"(?<!\d)(?:(?:\+|00)86{_SEP})?(1{_SEP}[3-9](?:{_SEP}\d){{9}})(?!\d)")
# Landlines with an area code: 0 and 9 to 11 more digits, the area code maybe in brackets.
_LANDLINE = re.compile(rf"(?<!\d)[(（]?0(?:{_SEP}[)）]?{_SEP}\d){{9,11}}(?!\d)")
# A local landline without area code, recognised only right after a phone word.
_LOCAL_LANDLINE = re.compile(
    r"((?:电话|座机|固话|联系方式|联系|热线|号码|手机|tel|TEL|Tel|☎|📞)[：:\s]{0,3})"
    rf"(?<!\d)([2-9](?:{_SEP}\d){{6,7}})(?!\d)"
)
# Every pattern above needs at least seven digits close together; most messages have none.
_SEVEN_DIGITS = re.compile(rf"\d(?:{_SEP}\d){{6}}")
_NON_DIGIT = re.compile(r"\D")
_FULL_WIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")


@dataclass(frozen=True)
class MaskResult:
    text: str
    phones: tuple[str, ...]  # raw numbers found, digits only (staff-only)
    id_numbers: tuple[str, ...]


def strip_hidden(text: str) -> str:
    """Remove invisible and control characters; replace lone surrogates (unprintable)."""
    text = _HIDDEN.sub("", text)
    return _LONE_SURROGATE.sub("\ufffd", text)


def normalise_digits(text: str) -> str:
    """Full-width digits and letters to ASCII, invisible characters removed.

    Full-width punctuation (，：（）) is left alone: it is ordinary Chinese writing.
    """
    text = strip_hidden(text)
    if not _FULL_WIDTH_ALNUM.search(text):
        return text
    return _FULL_WIDTH_ALNUM.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


def mask_mobile(digits: str) -> str:
    return f"{digits[:3]}****{digits[-4:]}"


def mask_phone(digits: str) -> str:
    """Mask a raw number as `mask_personal_data` found it: mobile, landline or local line."""
    if len(digits) == 11 and digits.startswith("1"):
        return mask_mobile(digits)
    if digits.startswith("0") and len(digits) >= 10:
        area = digits[:3] if digits[1] in "12" else digits[:4]
        return f"{area}-****{digits[-4:]}"
    return f"****{digits[-4:]}"


def mask_personal_data(text: str) -> MaskResult:
    """Mask ID-card numbers, mobile numbers and landlines; report the raw numbers found."""
    text = normalise_digits(text)
    if not _SEVEN_DIGITS.search(text):
        return MaskResult(text=text, phones=(), id_numbers=())
    phones: list[str] = []
    ids: list[str] = []

    def _id(m: re.Match[str]) -> str:
        digits = "".join(ch for ch in m.group(0).upper() if ch.isdigit() or ch == "X")
        ids.append(digits)
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]

    def _mobile(m: re.Match[str]) -> str:
        digits = _NON_DIGIT.sub("", m.group(1))
        phones.append(digits)
        return mask_mobile(digits)

    def _landline(m: re.Match[str]) -> str:
        digits = _NON_DIGIT.sub("", m.group(0))
        phones.append(digits)
        return mask_phone(digits)

    def _local(m: re.Match[str]) -> str:
        digits = _NON_DIGIT.sub("", m.group(2))
        phones.append(digits)
        return f"{m.group(1)}{mask_phone(digits)}"

    text = _ID_CARD.sub(_id, text)
    text = _MOBILE.sub(_mobile, text)
    text = _LANDLINE.sub(_landline, text)
    text = _LOCAL_LANDLINE.sub(_local, text)
    return MaskResult(text=text, phones=tuple(phones), id_numbers=tuple(ids))


def mask_text(text: str) -> str:
    return mask_personal_data(text).text


def contains_personal_data(text: str) -> bool:
    """True when unmasked phone or ID-card numbers remain (used by tests and guards)."""
    result = mask_personal_data(text)
    return bool(result.phones or result.id_numbers)
