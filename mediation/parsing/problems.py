"""The nature of the complaint (投诉性质) as 12315 counts it, and whether facts are given.

Each problem type has cue phrases with a weight; the highest total wins, and on a tie the
more specific type listed first (假冒 before 质量). A message with a dispute but no cue is
「其他」; a message with no dispute at all has no facts, which intake asks for.
"""

from __future__ import annotations

import re

PROBLEMS = (
    "质量", "售后服务", "合同", "虚假宣传", "价格", "安全", "假冒", "人格尊严", "计量", "其他",
)  # fmt: skip

# Per problem: (weight, cue phrases separated by spaces; a phrase may be a small regex).
_CUES: tuple[tuple[str, tuple[tuple[int, str], ...]], ...] = (
    (
        "假冒",
        (
            (
                4,
                "假货 假冒 冒充 山寨 仿冒 盗版 高仿 假酒 假烟 假的 是假 "
                "不是正品 非正品 假名牌 三无产品 翻新机 是翻新 以次充好 含金量不 "
                "成色不足 篡改 伪造 被改过 组装机",
            ),
        ),
    ),
    (
        "人格尊严",
        ((4, "辱骂 骂 殴打 打人 推搡 搜身 侮辱 出言不逊 恐吓 威胁 歧视 限制人身 扣留"),),
    ),
    (
        "安全",
        (
            (
                3,
                "受伤 烫伤 摔伤 划伤 割伤 腹泻 拉肚子 食物中毒 中毒 起火 着火 "
                "爆炸 漏电 被电 触电 过敏 住院 红肿 红疹 起疹 安全隐患 呕吐 "
                "发烧",
            ),
        ),
    ),
    (
        "计量",
        (
            (
                4,
                "缺斤短两 缺斤少两 短斤少两 少秤 短秤 鬼秤 计量 电子秤 秤有问题 "
                "称重少 少了.{0,3}(?:斤 克 两 公斤 升) 不足量 分量不足 "
                "一称少 称重不准 秤不准 少给了?.{0,3}(?:斤 克 两 公斤) 分量不够 克数不足 少称",
            ),
        ),
    ),
    (
        "价格",
        (
            (
                3,
                "多收 多算 多扣 乱收费 价格欺诈 明码标价 不明码 宰客 天价 加价 "
                "强制收取 高价 乱涨价 涨价 另外收 额外收 加收 收费不合理 多要 "
                "高额 砍头息 综合费 强制收 强制(?:更换 购买 安装)",
            ),
            (1, "差价 价格 收费 标价 服务费 最低消费 费用不透明"),
        ),
    ),
    (
        "虚假宣传",
        (
            (
                3,
                "虚假宣传 夸大宣传 与宣传不符 宣传不符 和宣传 欺骗 诱导 骗 "
                "承诺.{0,8}(?:不 没) 说是.{0,10}(?:结果 实际 "
                "其实) 和图片 与图片 图片不符 保本 包过 能治 不符",
            ),
            (2, "结果是 实际是 其实是 实际上是"),
            (1, "宣传 实际 承诺 吊牌 标签 隐瞒"),
        ),
    ),
    (
        "质量",
        (
            (
                2,
                "质量 坏了 损坏 故障 漏水 不制冷 断了 断裂 变质 过期 发霉 异物 "
                "头发 苍蝇 虫子 起球 缩水 变形 划痕 破损 蓝屏 断网 不准 色差 "
                "松动 次品 瑕疵 异味 有问题 开胶 掉色 塑料片 没效果 坏的 旧的 "
                "不对称 脱落 开裂 卡顿 死机 没修好 修不好 不合格 服务差 态度差 "
                "没人修 没人管 吃出 喝出 态度很差 态度恶劣 态度不好 超时 凉了",
            ),
        ),
    ),
    (
        "售后服务",
        (
            (3, "售后 保修 拒绝保修 三包 不给修 拖着不处理 不予退换 上门费 维修费"),
            (1, "客服.{0,4}(?:不处理 不理 没人) 不处理 不给换"),
            (2, "不予解决 未果 敷衍 拖时间 一直拖 不理会 不理睬 拒绝(?:更换 维修 退换)"),
        ),
    ),
    (
        "合同",
        (
            (
                3,
                "合同 合约 约定 违约 不履行 跑路 倒闭 关门 停业 人去楼空 "
                "联系不上 停课 不认账 没房 取消 延期 拖了 自动续费 不给退 不退 "
                "拒绝退 不予退 不同意退 少上 少送 丢了 丢失 根本没 并没有 没有做 "
                "没做 扣了?.{0,4}押金 不退押金 没有房 转让 不认 乱扣 私自 "
                "未经.{0,2}(?:允许 同意) 自动扣 强制下款 不发货 未发货 "
                "没发货 待发货 提现不了 无法提现 不到账 未到账 没到账 无法转出 "
                "不放款",
            ),
            (1, "预付 办卡 年卡 会员卡 储值 充值 余额 押金 定金 订金 学费 课时费"),
        ),
    ),
    (
        "其他",
        ((2, "泄露 个人信息 隐私 打碎 弄坏 弄丢 刁难 通讯录 骚扰"),),
    ),
)
_COMPILED = tuple(
    (problem, tuple((weight, re.compile("|".join(phrases.split()))) for weight, phrases in cues))
    for problem, cues in _CUES
)
# A dispute without a specific cue still gives the facts of the case.
_DISPUTE = re.compile(
    r"不给|不退|拒|不认|不理|不处理|不承认|不肯|纠纷|问题|欺|坑|不满|不合理|不一样|少了"
)


def classify_problem(text: str) -> tuple[str | None, int]:
    """(problem type, strength of the facts: 0 none, 1 a hint of a dispute, 2+ stated facts)."""
    best: tuple[int, str] | None = None
    for problem, cues in _COMPILED:
        score = sum(weight for weight, pattern in cues if pattern.search(text))
        if score and (best is None or score > best[0]):
            best = (score, problem)
    if best is not None and best[0] >= 2:
        return best[1], best[0]
    if best is not None or _DISPUTE.search(text):
        return "其他", 1 if best is not None else 0
    return None, 0
