"""Who the complaint is against: the merchant name as written, and its registry id.

Grid workers name merchants by address and shop name run together (湖西路张记饺子馆), in
quotes for online shops (拼多多上“优品家居旗舰店”), or by a shop that has no type word
(在湖西路福满楼吃饭). The reading tries, in order: an explicit label (商家是…), a quoted shop
name, a name ending with a known merchant type, and a place where something was bought.
Addresses are cut off the front, so the name matches what the registry holds.

Registry matching is exact first, then fuzzy with rapidfuzz: a written name matches when it is
nearly the same string, or when it contains the registry name's distinctive part (张记 of
张记饺子馆) and is otherwise close. Two shops of the same type never match on the type alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from rapidfuzz import fuzz, process

from .lexicon import Lexicon
from .result import MerchantEntry

_NAME_MAX = 16


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Tokens that end a name when walking back from its type ending.
_STOP_TOKENS = _words(
    # Single characters only when they practically never occur inside a shop name: jieba
    # without HMM leaves unknown names as single characters (名/剪/造型店, 中/通/快递网点).
    "在 的 是 从 到 去 于 向 对 把 被 给 让 与 及 跟 说 了 叫 已 找 问 帮 请 这 那 哪 但 买 办 "
    "她 他 我 你 称 本 至 上面 下面 里面 下单 点了 叫了 "
    "那家 这家 一家 那个 这个 某家 名为 位于 消费者 顾客 业主 家长 学员 居民 游客 车主 客人 "
    "投诉 反映 举报 网格员 商家 店家 老板 店员 购买 买的 办卡 旁边 对面 隔壁 门口 楼下 附近 "
    "转来 要求 说是 表示 发现 一个 两个 我们 他们 没有 在线 网上 网购 去年 今年 "
    "昨天 今天 前天 上午 下午 晚上 之前 以前 刚刚 新开 开的 本店 关于 "
    "已经 转交 交给 通知 联系 找到 告诉 约谈 督促 检查 走访 有关 涉及 针对 "
    "经过 路过 光顾 选择 推荐 收到 回复 协调 调解 处理 对接 提醒 告知 上门 前往 回访 核实 "
    "跟进 及时 麻烦 辛苦 哪家 每家 各家 多家 几家 都是 就是 还是 可是 "
    "结果 后来 然后 之后 以后 当时 现在 目前 一直 曾经 其中 接到 多起 几起 近期 最近 近来 "
    "发生 出现 遇到 碰到 好几家 多个 几个 部分 所有 全部 "
    "开发商 用于 作为 导致 使用 强制 购得 所在 自称 去过 前几年 损失 本人 "
    "国有 公立 私立 民办 一连锁 连锁"
)
_COUNTERS = _words("那 这 一 某 哪 有 每 各 几 好几 多")
_NAMEISH = re.compile(r"[\u4e00-\u9fffA-Za-z0-9&·]+")
# Address parts in front of a shop name: everything up to the last of these is cut.
_ADDRESS = re.compile(
    r"^.*(?:路|街|巷|弄|大道|大街|\d+号楼?|号楼|\d+栋|\d+幢|\d+楼|小区|花园|广场|大厦|商场|商城|"
    r"市场|菜场|中心|社区|新村|村|镇|乡|区|县|市|门口|对面|旁边|隔壁|附近|楼下|楼上|里面|里|内)"
)
_LEADING_JUNK = re.compile(
    r"^(?:那家|这家|一家|某家|有家|有个|有一家|该|某|一个|那个|这个|叫|名为|的|关于|\d+家|"
    r"[一二两三四五六七八九十几多]+家|有没有人知道|有人知道|谁知道|请问|问问|问一下|问下|一下|那边|这边|那里|这里|上面|下面|"
    r"里面|外面|上|里|去|到|在|就是|听说|据说|好像|麻烦|帮忙|帮我|什么|叫什么|啥|"
    r"嗰间|呢间|嗰个|呢个|嗰|那间|这间|间|前几天|几天前|前两天|前些天|最近|近日|今天|昨天|前天|"
    r"去年|今年|上个月|上周|当时|那天|本人|\d+年|\d+月|\d+日|\d+号)+"
)
# Words that make a span a clause, not a name (上面下单跑腿, 办了卡的健身): rejected.
_CLAUSE_WORDS = re.compile(r"下单|购买|买了|办了|充值|付了|交了|预订|点了|报名|说是|说的")
# A branch written after a typed name: 永辉超市人民路店, 惠民超市（建设路店）, 某某分店.
_BRANCH = re.compile(
    r"[（(]?(?:[\u4e00-\u9fffA-Za-z0-9]{1,8}?(?:路|街|大道|广场|中心|城|区|镇|站|桥|号|商场|"
    r"万达|吾悦|天街|万象城)(?:分店|店|门店|分公司|营业厅)|"
    r"[\u4e00-\u9fffA-Za-z0-9]{0,6}?(?:分店|总店|分公司|营业厅)|"
    r"[\u4e00-\u9fff]{2,3}店(?=[）)\s，,。！!？?的买说里]|$))[）)]?"
)
# The writer naming their own shop just before it (我是福满楼面馆老板娘, 我是老地方烧烤的).
_SELF_INTRODUCTION = re.compile(r"(?:我是|我们是|本人是|我家开的|我开的)$")
# Shop-name cores that only describe, never name (楼下的烧烤店, 一家理发店, 到店).
_GENERIC_CORES = _words(
    "到 进 开 关 本 该 分 门 总 这 那 此 原 新 老 小 大 一 某 每 各 哪 那家 这家 一家 网上 网 "
    "楼下 对面 隔壁 门口 附近 小区 家门口 路边 街边 社区 周边 当地 外地 外卖 购物 附近的 一些 "
    "几家 这些 那些 其他 别的 同一 连锁 水果 猪肉 理发 美发 烧烤 火锅 饭 菜 药 手机 服装 鞋 "
    "健身 培训 教育 早教 美容 物业 装修 家政 快递 超 便利 农贸 建材 五金 母婴 电器 家电 酒 "
    "烟酒 宠物 眼镜 珠宝 汽车 二手车 电动车 黑心 无良 路店 分店 总店 门店 实体 线下 网络 "
    "餐饮 零售 商 小卖 杂货 夫妻 个体 沿街 临街 街边的 路边的 这种 那种 各类 同类 "
    "烤鸭 婚纱 化肥 农资 农机 种子 修理 面包 蛋糕 烧饼 包子 养生 康复 体检 数码 水产 海鲜 "
    "家具 鲜花 花 茶叶 金 银饰 首饰 镇上 村口 村里 县城 街上 商场里 步行街"
)
# A place that contains shops; a name followed by one of these is a location, not the merchant.
_LOCATION_AFTER = re.compile(r"(?:里|内|中|旁边|对面|隔壁|附近|楼上|楼下|门口|周边|一带|外面)")
_LABEL = re.compile(
    r"(?:(?:被投诉(?:方|人|商家|单位|对象)?|涉事商家|投诉对象|商家名称|商户名称|店名|店铺名称?|商家|"
    r"商户|经营者|收款方|收款单位|门店|销售方)(?:是|为|叫|名叫)?[：:]|"
    r"(?:被投诉的|涉事商家|投诉对象|商家|经营者|店名|公司|店)(?:是|为|叫|名叫))\s*"
    r"([\u4e00-\u9fffA-Za-z0-9&·“”\"（）()]{2,30})"
)
# Words that show a labelled field is a sentence, not a name (商家是怎么说的).
_NOT_A_NAME = re.compile(r"怎么|什么|不|没|说|了|吗|呢|的|还|要|已|会|能|想|让")
_QUOTED = re.compile(r"[“\"「『‘《#]([^”\"」』’》#\s，。,!?！？:：；;、]{2,20})[”\"」』’》#]")
# Hashtags that tag a post, not a shop (#避雷#, #探店#).
_TAG_WORDS = re.compile(r"雷|草|探店|推荐|打卡|维权|投诉|曝光|美食|好物|测评|分享|日常|消费")
_PLATFORM_BEFORE = re.compile(
    r"(?:拼多多|淘宝|天猫|京东|抖音|快手|美团|饿了么|唯品会|小红书|闲鱼|微店|苏宁易购|得物|大众点评|"
    r"网店|店铺|商家|平台|直播间|叫做|叫|名为|在)(?:外卖|APP|app|上|里|的)?\s*$"
)
_APP_SUFFIX = re.compile(r"(?:APP|App|app|小程序|公众号|平台|网站|官网)$")
_BOUGHT_AT = re.compile(
    r"(?<![现正还实存所好自内外])在(?!线)([\u4e00-\u9fffA-Za-z0-9&·]{2,16}?)"
    r"(?:给(?:自己|我|孩子|家里|老人|我妈|我爸))?(?:拼单|吃饭|吃了|吃|喝|买|购买|消费|办理|办了|办卡|办|充值|充了|报名|报了|做了|做|剪|烫|住|"
    r"订|理发|就餐|用餐|洗车|配|修|寄|叫车|打车|拍|借款|贷款|装修|开锁|学|上课|唱歌|看电影|游泳|健身)"
)
_CLAUSE_IN_PLACE = re.compile(r"不|没|怎么|吗|呢|了")
_SINGLE_CHAR_TYPES = frozenset("店馆铺行坊楼阁居庄轩")
# Places with a type-like ending that are never the respondent of a consumer complaint.
_NOT_MERCHANTS = _words(
    "图书馆 体育馆 博物馆 纪念馆 展览馆 大使馆 办公楼 写字楼 教学楼 综合楼 住院楼 居委会 "
    "派出所 监管所 市场监管所 市场监督管理所 街道办 会议室 自由行"
)
# An administrative place right before an organisation: M3县, A市A2区, 西地省, 湖西镇.
_REGION = re.compile(r"(?:(?:[A-Z]\d{0,2}|[\u4e00-\u9fff]{2,3})(?:省|市|县|区|镇))+$")
# What follows 的 when the name stands before it: 叫百草堂的地方, 百草堂的店.
_PLACE_NOUNS = frozenset(("地方", "店", "店里", "那里", "这里", "那边", "这边", "门店"))
_PUNCT_STRIP = re.compile(r"[“”\"「」『』‘’《》（）()\s]")


@dataclass(frozen=True)
class MerchantMention:
    name: str  # as written, address removed
    start: int
    merchant_type: str | None  # the type ending (饺子馆), if the name has one


def _clean(name: str) -> str:
    return _PUNCT_STRIP.sub("", name)


def _clean_branch(branch: str) -> str:
    """（建设路店） keeps its brackets only when both are there."""
    if branch[:1] in "（(" and branch[-1:] in "）)":
        return branch
    return branch.strip("（）()")


def _trim_core(core: str) -> str:
    without_address = _ADDRESS.sub("", core)
    if len(without_address) >= 2 or not without_address:
        core = without_address  # 老街坊 keeps its 街: an address leaves a name behind
    if "的" in core:
        before, after = core.rsplit("的", 1)  # 那边的悦动 -> 悦动: a name rarely holds 的
        core = before if after in _PLACE_NOUNS else after  # 叫百草堂的地方 -> 百草堂
    core = _LEADING_JUNK.sub("", core)
    return core


def _named(core: str) -> bool:
    if not core or core in _GENERIC_CORES:
        return False
    if len(core) == 1:
        return core.isascii() and core.isalnum()
    return not core.isdigit()


def _shape(raw: str, lexicon: Lexicon) -> tuple[str, str | None] | None:
    """Address and junk off the front of a raw name; None when nothing distinctive is left."""
    raw = _APP_SUFFIX.sub("", _clean(raw))
    merchant_type = lexicon.merchant_type_of(raw)
    if merchant_type:
        core = _trim_core(raw[: -len(merchant_type)])
        if _named(core):
            return core + merchant_type, merchant_type
        if merchant_type in lexicon.organisations:
            # 自来水公司 alone is every town's; the place written before it names this one
            region = _REGION.search(_clean(raw)[: -len(merchant_type)])
            return (region.group() if region else "") + merchant_type, merchant_type
        return None
    core = _trim_core(raw)
    if not _named(core) or len(core) < 2 or core in _NOT_MERCHANTS or _CLAUSE_WORDS.search(core):
        return None
    if core[-1] in _SINGLE_CHAR_TYPES and not _named(core[:-1]):
        return None  # 餐饮店, 小卖店: a kind of shop, not a name
    return core, None


def _is_type_token(token: str, lexicon: Lexicon) -> str | None:
    last = token[-1:]
    if last not in lexicon.type_last_chars and last not in _SINGLE_CHAR_TYPES:
        return None
    if token in lexicon.merchant_types:
        return token
    if len(token) >= 3:
        ending = lexicon.merchant_type_of(token)
        if ending and len(ending) >= 2:
            return ending
        if token[-1] in _SINGLE_CHAR_TYPES:
            return token[-1]
    if token in _SINGLE_CHAR_TYPES:
        return token
    return None


def _from_types(
    text: str, tokens: Sequence[str], lexicon: Lexicon, function_words: frozenset[str]
) -> Iterable[MerchantMention]:
    offsets = list(accumulate(map(len, tokens), initial=0))
    for index, token in enumerate(tokens):
        end = offsets[index] + len(token)
        if token[-1:] == "卡" and token[:-1] in lexicon.merchant_types:
            token, end = token[:-1], end - 1  # 悦动健身卡: the card of the shop 悦动健身
        ending = _is_type_token(token, lexicon)
        if ending is None:
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if len(following) >= 2 and following in lexicon.merchant_types and following not in token:
            end += len(following)  # 福满楼酒店: a name with a type word, then its trade
            ending = following
        if _LOCATION_AFTER.match(text, end):
            continue
        first = index
        length = len(token)
        # A token that already holds a name before its type (张记饺子馆) is complete.
        complete = len(ending) >= 2 and len(token) - len(ending) >= 2
        while first > 0 and not complete:
            previous = tokens[first - 1]
            if (
                previous in _STOP_TOKENS
                or (len(previous) > 1 and previous in function_words)
                or not _NAMEISH.fullmatch(previous)
                # 那/家 split apart before an unknown name: 家 belongs to 那, not to the name
                or (previous == "家" and first >= 2 and tokens[first - 2] in _COUNTERS)
            ):
                break
            if length + len(previous) > _NAME_MAX:
                break
            if len(previous) >= 2 and previous in lexicon.merchant_types:
                break  # 物业公司绿城物业: the type word in front only says what 绿城物业 is
            first -= 1
            length += len(previous)
        if _SELF_INTRODUCTION.search(text, 0, offsets[first]):
            continue  # 我是福满楼面馆老板娘: the writer's own shop, not the respondent
        shaped = _shape(text[offsets[first] : end], lexicon)
        if shaped is not None:
            branch = _BRANCH.match(text, end)
            name = shaped[0] + (_clean_branch(branch.group()) if branch else "")
            yield MerchantMention(name, offsets[first], shaped[1])


def _from_label(text: str, lexicon: Lexicon) -> MerchantMention | None:
    for match in _LABEL.finditer(text):
        raw = match.group(1)
        merchant_type = None
        # Stop after the first type ending so a trailing clause is not swallowed.
        for size in range(2, len(raw) + 1):
            ending = lexicon.merchant_type_of(raw[:size])
            if ending and len(ending) >= 2:
                # ... but a longer type right there wins (快乐健身 -> 快乐健身房)
                while size < len(raw) and (longer := lexicon.merchant_type_of(raw[: size + 1])):
                    size, ending = size + 1, longer
                merchant_type = ending
                raw = raw[:size]
                break
        if merchant_type is None and (len(raw) > 12 or _NOT_A_NAME.search(raw)):
            continue
        shaped = _shape(raw, lexicon)
        if shaped is not None:
            branch = _BRANCH.match(text, match.start(1) + len(raw))
            name = shaped[0] + (_clean_branch(branch.group()) if branch else "")
            return MerchantMention(name, match.start(1), merchant_type or shaped[1])
    return None


def _from_quotes(text: str, lexicon: Lexicon) -> MerchantMention | None:
    for match in _QUOTED.finditer(text):
        inner = match.group(1)
        if text[match.start()] == "#":
            shop = lexicon.merchant_type_of(inner) or inner[-1] in _SINGLE_CHAR_TYPES | {"屋"}
            if text[match.end() - 1] == "#" and shop and not _TAG_WORDS.search(inner):
                return MerchantMention(_clean(inner), match.start(1), None)  # #潮玩盲盒屋#
            continue
        after = text[match.end() : match.end() + 8]
        following = None
        for size in range(min(len(after), lexicon.longest_type), 0, -1):
            if after[:size] in lexicon.merchant_types and not after[:size].isascii():
                following = after[:size]
                break
        app_after = re.match(r"(?:APP|App|app|小程序|公众号)", after)
        inner_type = lexicon.merchant_type_of(_APP_SUFFIX.sub("", inner))
        before = text[max(0, match.start() - 6) : match.start()]
        typed_before = any(
            before.endswith(ending) for ending in ("公司", "店", "机构", "中心", "平台", "商家")
        )
        if not (
            following or app_after or inner_type or typed_before or _PLATFORM_BEFORE.search(before)
        ):
            continue
        name = _APP_SUFFIX.sub("", _clean(inner)) + (following or "")
        if len(name) >= 2:
            return MerchantMention(name, match.start(1), following or inner_type)
    return None


_PLACE_TAIL = re.compile(r"(?:上面|里面|那里|这里|那边|这边|上|里)$")
_ON_PLATFORM = re.compile(r"^(.{2,6}?)(?:上面|里面|上|里)")


def _from_purchase_place(text: str, lexicon: Lexicon) -> MerchantMention | None:
    for match in _BOUGHT_AT.finditer(text):
        place = match.group(1)
        if _CLAUSE_IN_PLACE.search(place):
            continue  # 在不给退怎么办: a clause, not a place
        platform = _ON_PLATFORM.match(place)
        if platform and platform.group(1) in lexicon.platforms:
            return MerchantMention(platform.group(1), match.start(1), None)  # 淘宝上一家店
        shaped = _shape(_PLACE_TAIL.sub("", place), lexicon)
        if shaped is not None and len(shaped[0]) >= 2:
            return MerchantMention(shaped[0], match.start(1), shaped[1])
    return None


def find_merchant(
    text: str,
    tokens: Sequence[str],
    lexicon: Lexicon,
    registry: MerchantIndex,
    function_words: frozenset[str] = frozenset(),
) -> MerchantMention | None:
    """The respondent named in `text`, or None when no shop is named."""
    labelled = _from_label(text, lexicon)
    if labelled is not None:
        return labelled
    quoted = _from_quotes(text, lexicon)
    if quoted is not None:
        return quoted
    typed = next(iter(_from_types(text, tokens, lexicon, function_words)), None)
    known = registry.first_known_token(tokens)
    if known is not None and (typed is None or known[1] < typed.start):
        name, start = known
        if typed is None or name not in typed.name:
            return MerchantMention(name, start, registry.merchant_type_of(name))
    if typed is not None:
        return typed
    place = _from_purchase_place(text, lexicon)
    if place is not None:
        return place
    return _platform(tokens, lexicon)


def _platform(tokens: Sequence[str], lexicon: Lexicon) -> MerchantMention | None:
    position = 0
    for token in tokens:
        if token in lexicon.platforms:
            return MerchantMention(token, position, None)
        position += len(token)
    return None


def _normalise(name: str) -> str:
    return _clean(name).lower()


class MerchantIndex:
    """Registry names and aliases, for exact and fuzzy lookup of a written merchant name."""

    def __init__(self, entries: Iterable[MerchantEntry], lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._ids: dict[str, int] = {}
        entries_seen = tuple(entries)
        for entry in entries_seen:
            for surface in (entry.name, *entry.aliases):
                key = _normalise(surface)
                if len(key) >= 2:
                    self._ids.setdefault(key, entry.id)
        self._surfaces = list(self._ids)
        self._cores = {s: self._core(s) for s in self._surfaces}
        # The official name's type stands for its aliases too (张记 -> 饺子馆).
        self._types: dict[int, str] = {}
        for entry in entries_seen:
            ending = lexicon.merchant_type_of(_normalise(entry.name))
            if ending:
                self._types.setdefault(entry.id, ending)

    def __len__(self) -> int:
        return len(self._ids)

    def _core(self, surface: str) -> str:
        """The distinctive part of a name: address and type ending removed (张记)."""
        ending = self._lexicon.merchant_type_of(surface)
        core = surface[: -len(ending)] if ending else surface
        return _trim_core(core) or core

    def merchant_type_of(self, written: str) -> str | None:
        """The type ending of a written name, or of the registry name it stands for."""
        ending = self._lexicon.merchant_type_of(written)
        if ending:
            return ending
        merchant_id = self._ids.get(_normalise(written))
        return self._types.get(merchant_id) if merchant_id is not None else None

    def first_known_token(self, tokens: Sequence[str]) -> tuple[str, int] | None:
        if not self._ids:
            return None
        position = 0
        for token in tokens:
            if len(token) >= 2 and token.lower() in self._ids:
                return token, position
            position += len(token)
        return None

    def lookup(self, written: str) -> int | None:
        if not self._ids:
            return None
        key = _normalise(written)
        if key in self._ids:
            return self._ids[key]
        best: tuple[float, int] | None = None
        for surface, score, _ in process.extract(key, self._surfaces, scorer=fuzz.ratio, limit=5):
            core = self._cores[surface]
            distinctive = len(core) >= 2 and core in key
            close = score >= 90 or (distinctive and score >= 66)
            if (close or (distinctive and len(core) >= 3 and key.startswith(core))) and (
                best is None or score > best[0]
            ):
                best = (score, self._ids[surface])
        return best[1] if best else None
