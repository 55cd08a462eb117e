"""Charts for the monthly summary and the board: figures in, PNG bytes out.

The labels are Chinese, and matplotlib's bundled fonts have no Chinese glyphs: without a CJK
font every label turns into empty boxes (and a "missing from font" warning). So a chart is
drawn only with a CJK font found by family name (Noto Sans CJK SC first, as Debian's
fonts-noto-cjk installs it), registering the well-known font files with matplotlib when its
font cache predates them; with none on the machine, `NoChineseFont` says what to install
rather than posting boxes to a group. Drawing uses the Agg canvas directly (no pyplot, no
global backend switch), so it is safe inside the bot's process.

matplotlib takes over half a second to import and is needed about once a month, so it is
imported by the functions that draw, not by this module: importing `mediation.charts` (as the
board and the monthly summary do) costs nothing at start-up.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
)
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/msyh.ttc",
)
MAX_BARS = 12
OTHERS = "其他"
BAR_COLOUR = "#c0392b"


class NoChineseFont(RuntimeError):
    """No font on this machine can draw Chinese labels."""


@cache
def chinese_font_family() -> str:
    """The family name of an installed CJK font, registering known font files if needed."""
    from matplotlib import font_manager

    found = _known_family()
    if found is not None:
        return found
    for path in CJK_FONT_FILES:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
    found = _known_family()
    if found is None:
        raise NoChineseFont(
            "no Chinese (CJK) font found for chart labels; install one, e.g. "
            "`apt-get install fonts-noto-cjk` on Debian/Ubuntu "
            f"(looked for the families {', '.join(CJK_FAMILIES)})"
        )
    return found


def _known_family() -> str | None:
    from matplotlib import font_manager

    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in names), None)


def category_bar_chart(title: str, bars: Sequence[tuple[str, int]], *, unit: str = "件") -> bytes:
    """A horizontal bar chart (largest on top) of counts per label, as PNG bytes.

    More than `MAX_BARS` labels are folded into 「其他」; an empty list draws a 「暂无数据」
    chart rather than failing, so a quiet month still gets its summary image.
    """
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = font_manager.FontProperties(family=[chinese_font_family(), "DejaVu Sans"])
    rows = _fold(bars)
    figure = Figure(figsize=(7.2, max(2.4, 0.45 * len(rows) + 1.4)), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(title, fontproperties=font, fontsize=14)
    if rows:
        labels = [label for label, _ in reversed(rows)]
        values = [value for _, value in reversed(rows)]
        positions = list(range(len(rows)))
        container = axes.barh(positions, values, color=BAR_COLOUR, height=0.6)
        axes.set_yticks(positions, labels=labels, fontproperties=font, fontsize=11)
        axes.bar_label(
            container, labels=[f"{v}{unit}" for v in values], padding=3, fontproperties=font
        )
        axes.set_xlim(0, max(values) * 1.2 + 0.5)
        axes.xaxis.get_major_locator().set_params(integer=True)
    else:
        axes.set_xticks([])
        axes.set_yticks([])
        axes.text(0.5, 0.5, "暂无数据", ha="center", va="center", fontproperties=font, fontsize=13)
    for side in ("top", "right") if rows else ("top", "right", "bottom", "left"):
        axes.spines[side].set_visible(False)
    for label in axes.get_xticklabels():
        label.set_fontproperties(font)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _fold(bars: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    rows = [(label, count) for label, count in bars if count > 0]
    if len(rows) <= MAX_BARS:
        return rows
    kept = rows[: MAX_BARS - 1]
    rest = sum(count for _, count in rows[MAX_BARS - 1 :])
    return [*kept, (OTHERS, rest)]


def monthly_trend_chart(
    title: str,
    month_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    empty_label: str = "暂无数据",
) -> bytes:
    """Stacked monthly bars, one colour per category (the last twelve months on the board
    and in the meeting pack), as PNG bytes."""
    from matplotlib import colormaps, font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = font_manager.FontProperties(family=[chinese_font_family(), "DejaVu Sans"])
    figure = Figure(figsize=(7.2, 3.6), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(title, fontproperties=font, fontsize=14)
    positions = list(range(len(month_labels)))
    if any(sum(values) for _, values in series):
        colours = colormaps["tab10"]
        bottom = [0] * len(month_labels)
        for index, (label, values) in enumerate(series):
            axes.bar(
                positions, values, bottom=bottom, label=label, color=colours(index % 10), width=0.7
            )
            bottom = [base + value for base, value in zip(bottom, values, strict=True)]
        axes.legend(prop=font, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        axes.yaxis.get_major_locator().set_params(integer=True)
    else:
        axes.set_yticks([])
        axes.text(0.5, 0.5, empty_label, ha="center", va="center", transform=axes.transAxes,
                  fontproperties=font, fontsize=13)  # fmt: skip
    axes.set_xticks(positions, labels=list(month_labels), fontproperties=font, fontsize=9)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
