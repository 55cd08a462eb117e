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
_MOBILE = re.compile(rf"(?<!\d)(?:(?:\+|00)?86{_SEP})?(1{_SEP}[3-9](?:{_SEP}\d){{9}})(?!\d)")
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
_FULL_WIDTH_ALNUM = re.compile("[\uff0b\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")


@dataclass(frozen=True)
class MaskResult:
    text: str
    phones: tuple[str, ...]  # raw numbers found, digits only (staff-only)
    id_numbers: tuple[str, ...]


# Characters outside the Latin, CJK and full-width blocks: looked at one by one, so that
# every format character or combining mark (U+034F, U+180E, U+FE0F, tags…) is dropped.
_UNUSUAL = re.compile("[^\x00-\u02ff\u3000-\u9fff\uff00-\uffef]")
_DROPPED_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Cc", "Cs"})
# Digits written another way: any Unicode decimal digit that is not ASCII, and the
# superscript, subscript, circled and dingbat digits people paste from phones.
_EXOTIC_DIGIT = (
    "(?:(?![0-9])\\d|[\u00b2\u00b3\u00b9\u2070\u2074-\u2079\u2080-\u2089"
    "\u2460-\u2468\u24ea\u2474-\u247c\u2488-\u2490\u24f5-\u24fd\u24ff"
    "\u2776-\u277e\u2780-\u2788\u278a-\u2792])"
)
# Only runs of two or more digits are converted: a lone ① in a list stays as written.
_EXOTIC_DIGIT_RUN = re.compile(
    f"(?:[0-9]|{_EXOTIC_DIGIT})*{_EXOTIC_DIGIT}(?:[0-9]|{_EXOTIC_DIGIT})*"
)
_ONE_EXOTIC_DIGIT = re.compile(_EXOTIC_DIGIT)


def _drop_invisible(match: re.Match[str]) -> str:
    char = match.group(0)
    return "" if unicodedata.category(char) in _DROPPED_CATEGORIES else char


def _ascii_digits(match: re.Match[str]) -> str:
    run = match.group(0)
    if len(run) < 2:
        return run
    return _ONE_EXOTIC_DIGIT.sub(lambda m: str(unicodedata.digit(m.group(0), 0)), run)


def strip_hidden(text: str) -> str:
    """Remove invisible and control characters; replace lone surrogates (unprintable)."""
    text = _HIDDEN.sub("", text)
    text = _LONE_SURROGATE.sub("\ufffd", text)
    if _UNUSUAL.search(text):
        text = _UNUSUAL.sub(_drop_invisible, text)
        text = _EXOTIC_DIGIT_RUN.sub(_ascii_digits, text)
    return text


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
