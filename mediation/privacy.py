"""Personal data in group text: find it and mask it.

Groups contain merchants, so a consumer's phone, ID-card or bank-card number, name, home
address, WeChat / QQ id, e-mail, passport number or licence plate must never be repeated in a
group message, a public page or a non-staff export. Everything the bot posts goes through
`mask_personal_data`; the raw text is kept only in staff-only case fields.

The patterns err on the side of masking: a number that merely looks like a phone or a card is
masked too, because an over-masked order number costs nothing and a leaked phone number
cannot be taken back. Hidden characters are removed first so that a zero-width space or a
control character inside a number cannot split it past the patterns, and numbers written in
Chinese numerals (一三八…) are read as digits.

Names are recognised where the text says it is a person: after 消费者 / 居民 / 投诉人 (and a
few like them) or before 女士 / 先生 / 小姐, starting with a common surname: 王小明 → 王**.
Addresses: a building, unit or room number (幢, 栋, 单元, 室, 户, 号楼) marks a home, and
everything from the house number on is masked (湖西路18号3幢2单元501室 → 湖西路**); a
street number alone (湖西路18号, a shop's address) stays readable, as does a business name.
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
# What people put between the digits of one number: up to three characters that are neither
# letters nor digits ("138 - 1234", "138/1234/5678", "138，1234，5678", "(138)1234…",
# "138*1234*5678"), or underscores. Accepted between any two digits, not only at the usual
# group boundaries. Four or more in a row (a mask's "****") end the number.
_SEP = r"(?:[^\w]|_){0,3}"

# 18-digit resident ID (last may be X) and the old 15-digit form; both start with a region
# digit 1-8, so 0086-prefixed phone numbers are not taken for IDs.
_ID_CARD = re.compile(
    rf"(?<![0-9A-Za-z])[1-8](?:{_SEP}\d){{16}}{_SEP}[0-9Xx](?![0-9A-Za-z])|"
    rf"(?<![0-9A-Za-z])[1-8](?:{_SEP}\d){{14}}(?![0-9A-Za-z])"
)
# A mobile number after a country code (+86 / 0086 / 86), read before bank cards so that
# 8613812345678 is a phone, not a 13-digit card.
_PREFIXED_MOBILE = re.compile(rf"(?<!\d)(?:\+|00)?86{_SEP}(1{_SEP}[3-9](?:{_SEP}\d){{9}})(?!\d)")
# Bank cards: 13-19 digits run together or in groups of four (6222 0202 1234 5678 901), or
# any 13-19 digits (with any separators) after a card word.
_CARD = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{13,19}|\d{4}(?:[ \-\u3000]\d{4}){2}[ \-\u3000]\d{1,4}"
    r"(?:[ \-\u3000]\d{1,3})?)"
    r"(?![0-9A-Za-z])"
)
_CARD_AFTER_WORD = re.compile(
    r"((?:卡号|银行卡|信用卡|储蓄卡|借记卡|账号|帐号|账户|帐户)[^\w]{0,4})"
    rf"(\d(?:{_SEP}\d){{12,18}})(?!\d)"
)
# Mobile numbers.
_MOBILE = re.compile(rf"(?<!\d)(1{_SEP}[3-9](?:{_SEP}\d){{9}})(?!\d)")
# Landlines are read with fewer separators: a clock time ("02:00:00+00:00") starts with 0
# too, and a landline is not written with colons.
_LANDLINE_SEP = r"[ \t\-_./~～\u00a0\u00b7\u2010-\u2015\u3000\u30fb\uff0d]{0,3}"
# Landlines with an area code: 0 and 9 to 11 more digits, the area code maybe in brackets.
_LANDLINE = re.compile(rf"(?<!\d)[(（]?0(?:{_LANDLINE_SEP}[)）]?{_LANDLINE_SEP}\d){{9,11}}(?!\d)")
# A local landline without area code, recognised only right after a phone word.
_LOCAL_LANDLINE = re.compile(
    r"((?:电话|座机|固话|联系方式|联系|热线|号码|手机|tel|TEL|Tel|☎|📞)[：:\s]{0,3})"
    rf"(?<!\d)([2-9](?:{_LANDLINE_SEP}\d){{6,7}})(?!\d)"
)
# Every number pattern above needs at least seven digits close together; most messages have
# none.
_SEVEN_DIGITS = re.compile(rf"\d(?:{_SEP}\d){{6}}")
_NON_DIGIT = re.compile(r"\D")
# An amount written with thousands separators: digits 11 long with its cents, but no phone.
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?")
_FULL_WIDTH_ALNUM = re.compile("[\uff0b\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")

# Numbers spelt in Chinese numerals, seven or more in a row (一三八一二三四五六七八, 幺 for 1).
_CHINESE_DIGITS = "〇零一二三四五六七八九幺"
_CHINESE_DIGIT_VALUE = {char: str(index) for index, char in enumerate("零一二三四五六七八九")}
_CHINESE_DIGIT_VALUE |= {"〇": "0", "幺": "1"}
_CHINESE_NUMBER = re.compile(rf"[{_CHINESE_DIGITS}](?:{_SEP}[{_CHINESE_DIGITS}]){{6,}}")
_HAS_CHINESE_DIGIT = re.compile(f"[{_CHINESE_DIGITS}]")

# WeChat ids, QQ numbers, e-mail addresses, passports, licence plates.
_WXID = re.compile(r"(?i)\bwxid_[a-z0-9_-]+")
_WECHAT_ID = re.compile(
    r"((?:微信号?|vx号?|VX号?|Vx号?|wx号?|WX号?|weixin|WeChat|wechat)[：:\s]{0,3})"
    r"([A-Za-z][-_A-Za-z0-9]{4,19})(?![-_A-Za-z0-9])"
)
_QQ = re.compile(r"((?:[Qq]{2}|扣扣)(?:号码|号)?[：:\s]{0,3})(\d{5,12})(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PASSPORT = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2})(\d{7,8})(?![A-Za-z0-9])")
_PLATE = re.compile(
    "([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])"
    r"([A-HJ-NP-Za-hj-np-z])[·•・\s]?([A-Za-z0-9]{3,4})([A-Za-z0-9挂学警]{2})(?![A-Za-z0-9])"
)

# Names: a common surname and one or two more characters, where the text says it is a person.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶"
    "黎贺顾毛郝龚邵钱严覃武戴莫孔汤温康施牛樊葛邢乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿焦俞"
    "左柳祝舒阮柯纪梅童凌毕裴霍涂苗谷盛曲翁冉骆蓝游辛靳管柴蒙鲍喻祁蒲房滕屈饶牟艾尤穆卓"
    "缪简项麦褚娄窦戚岑党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬卞姬仇栾隋刁巫寇桑郎甄仲虞敖"
    "巩佘池邝"
)
_PERSON_WORD = "(?:消费者|居民|投诉人|当事人|顾客|业主|反映人|联系人|患者|家属|租户|住户)"
_TITLE = "(?:女士|先生|小姐|阿姨|大爷|大妈)"
# Characters that start a clause or belong to a word for a person are not part of a name.
_NOT_IN_NAME = "某者民人户主属客的了是在和与及向被给对从把将称说到去买要等今昨前因想有也已曾"
_GIVEN_CHAR = rf"(?!{_TITLE})[^\W\d_A-Za-z{_NOT_IN_NAME}]"
# What may follow a name: punctuation, a title, a digit, or a word that starts a clause.
_AFTER_NAME = (
    r"(?=[，,。.！!？?；;：:、\s（(）)\d]|$|" + _TITLE[3:-1] + "|反映|称|说|在|于|投诉|"
    "购买|买|到|去|电话|手机|联系|表示|家住|住|的|向|和|与|及|等|今|昨|前|被|因|从|想|是|"
    "有|也|要|已|曾|通过|一|两|同|来|拨打|致电|身份证|女|男|，)"
)
_NAME_AFTER_WORD = re.compile(
    rf"({_PERSON_WORD}[：:\s]{{0,2}})([{_SURNAMES}])({_GIVEN_CHAR}{{1,2}}){_AFTER_NAME}"
)
_NAME_BEFORE_TITLE = re.compile(rf"([{_SURNAMES}])({_GIVEN_CHAR}{{1,2}})(?={_TITLE})")
_NAME_HINT = re.compile(f"{_PERSON_WORD}|{_TITLE}")

# Home addresses: a run of numbered address parts (18号3幢2单元501室) with at least one
# part that only a dwelling has; "3-2-501" after a housing estate's name; a number after
# 家住 / 住址.
_NUMBER = "(?:\\d+|[一二三四五六七八九十百零〇]+)"
_PART = "(?:号楼|号院|号|幢|栋|座|单元|层|楼|室|户|弄|排|组|区|期)"
_HOME_PART = "(?:号楼|幢|栋|单元|室|户)"
_PART_CHARS = "号楼幢栋座单元层室户弄排组区期"
_ADDRESS_RUN = rf"(?:{_NUMBER}[\s\-－]?{_PART})+(?:{_NUMBER}(?![\d{_PART_CHARS}]))?"
_HOME_ADDRESS = re.compile(
    rf"(?=(?:{_NUMBER}[\s\-－]?{_PART})*{_NUMBER}[\s\-－]?{_HOME_PART}){_ADDRESS_RUN}"
)
_ESTATE_NUMBER = re.compile(
    r"((?:小区|花园|苑|公寓|新村|家园|社区|大院|村)\s?)\d{1,3}(?:[\-－]\d{1,4}){1,2}(?!\d)"
)
_LIVES_AT = re.compile(
    rf"((?:家住|住在|住址|家庭住址|家庭地址|居住地?)[：:\s]{{0,2}}[\u4e00-\u9fff]{{0,12}}?)"
    rf"{_ADDRESS_RUN}"
)
_HOME_PART_HINT = re.compile("号楼|幢|栋|单元|室|户")
_LIVES_AT_HINT = re.compile("家住|住在|住址|居住|家庭地址")
_ESTATE_HINT = re.compile(r"(?:小区|花园|苑|公寓|新村|家园|社区|大院|村)\s?\d")
# Anything the text-only patterns need: a Latin letter or @ (ids, e-mail, passports, plates)
_LATIN = re.compile(r"[A-Za-z@]")


@dataclass(frozen=True)
class MaskResult:
    text: str
    phones: tuple[str, ...]  # raw numbers found, digits only (staff-only)
    id_numbers: tuple[str, ...]
    cards: tuple[str, ...] = ()  # bank-card numbers found, digits only (staff-only)


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


def _chinese_digits(match: re.Match[str]) -> str:
    return "".join(_CHINESE_DIGIT_VALUE.get(char, char) for char in match.group(0))


def strip_hidden(text: str) -> str:
    """Remove invisible and control characters; replace lone surrogates (unprintable)."""
    text = _HIDDEN.sub("", text)
    text = _LONE_SURROGATE.sub("\ufffd", text)
    if _UNUSUAL.search(text):
        text = _UNUSUAL.sub(_drop_invisible, text)
        text = _EXOTIC_DIGIT_RUN.sub(_ascii_digits, text)
    return text


def normalise_digits(text: str) -> str:
    """Full-width digits and letters to ASCII, invisible characters removed, long runs of
    Chinese numerals (一三八…) read as digits.

    Full-width punctuation (，：（）) is left alone: it is ordinary Chinese writing.
    """
    text = strip_hidden(text)
    if _FULL_WIDTH_ALNUM.search(text):
        text = _FULL_WIDTH_ALNUM.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    if _HAS_CHINESE_DIGIT.search(text):
        text = _CHINESE_NUMBER.sub(_chinese_digits, text)
    return text


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


def mask_card(digits: str) -> str:
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def _mask_numbers(text: str, phones: list[str], ids: list[str], cards: list[str]) -> str:
    def _id(m: re.Match[str]) -> str:
        digits = "".join(ch for ch in m.group(0).upper() if ch.isdigit() or ch == "X")
        ids.append(digits)
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]

    def _mobile(m: re.Match[str]) -> str:
        if _THOUSANDS.fullmatch(m.group(1)):
            return m.group(0)  # 1,380,000.00 is an amount
        digits = _NON_DIGIT.sub("", m.group(1))
        phones.append(digits)
        return mask_mobile(digits)

    def _card(m: re.Match[str]) -> str:
        if _THOUSANDS.fullmatch(m.group(0)):
            return m.group(0)
        digits = _NON_DIGIT.sub("", m.group(0))
        cards.append(digits)
        return mask_card(digits)

    def _card_after_word(m: re.Match[str]) -> str:
        digits = _NON_DIGIT.sub("", m.group(2))
        cards.append(digits)
        return m.group(1) + mask_card(digits)

    def _landline(m: re.Match[str]) -> str:
        digits = _NON_DIGIT.sub("", m.group(0))
        phones.append(digits)
        return mask_phone(digits)

    def _local(m: re.Match[str]) -> str:
        digits = _NON_DIGIT.sub("", m.group(2))
        phones.append(digits)
        return f"{m.group(1)}{mask_phone(digits)}"

    text = _ID_CARD.sub(_id, text)
    text = _PREFIXED_MOBILE.sub(_mobile, text)
    text = _CARD_AFTER_WORD.sub(_card_after_word, text)
    text = _CARD.sub(_card, text)
    text = _MOBILE.sub(_mobile, text)
    text = _LANDLINE.sub(_landline, text)
    return _LOCAL_LANDLINE.sub(_local, text)


def _mask_ids(text: str) -> str:
    """WeChat ids, QQ numbers, e-mail addresses, passports and licence plates."""
    text = _EMAIL.sub(lambda m: m.group(0)[0] + "***@" + m.group(0).split("@", 1)[1], text)
    text = _WXID.sub("wxid_***", text)
    text = _WECHAT_ID.sub(lambda m: m.group(1) + "***", text)
    text = _QQ.sub(lambda m: m.group(1) + "***", text)
    text = _PLATE.sub(lambda m: f"{m.group(1)}{m.group(2)}***{m.group(4)}", text)
    return _PASSPORT.sub(lambda m: m.group(1) + "****" + m.group(2)[-3:], text)


def _mask_names_and_addresses(text: str) -> str:
    if _NAME_HINT.search(text):
        text = _NAME_AFTER_WORD.sub(lambda m: f"{m.group(1)}{m.group(2)}**", text)
        text = _NAME_BEFORE_TITLE.sub(lambda m: f"{m.group(1)}**", text)
    if _LIVES_AT_HINT.search(text):
        text = _LIVES_AT.sub(lambda m: f"{m.group(1)}**", text)
    if _HOME_PART_HINT.search(text):
        text = _HOME_ADDRESS.sub("**", text)
    if _ESTATE_HINT.search(text):
        text = _ESTATE_NUMBER.sub(lambda m: f"{m.group(1)}**", text)
    return text


def mask_personal_data(text: str) -> MaskResult:
    """Mask personal data (see the module docstring); report the raw numbers found."""
    text = normalise_digits(text)
    phones: list[str] = []
    ids: list[str] = []
    cards: list[str] = []
    if _SEVEN_DIGITS.search(text):
        text = _mask_numbers(text, phones, ids, cards)
    if _LATIN.search(text):
        text = _mask_ids(text)
    text = _mask_names_and_addresses(text)
    return MaskResult(text=text, phones=tuple(phones), id_numbers=tuple(ids), cards=tuple(cards))


def mask_text(text: str) -> str:
    return mask_personal_data(text).text


def contains_personal_data(text: str) -> bool:
    """True when unmasked phone, ID-card or bank-card numbers remain (tests and guards)."""
    result = mask_personal_data(text)
    return bool(result.phones or result.id_numbers or result.cards)
