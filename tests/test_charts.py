"""The summary chart draws Chinese labels with a real CJK font: no boxes, no glyph warnings."""

from __future__ import annotations

import io
import warnings

import pytest
from matplotlib import font_manager
from PIL import Image

from mediation import charts
from mediation.charts import MAX_BARS, NoChineseFont, category_bar_chart, chinese_font_family

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JUNE_CATEGORIES = [("餐饮住宿", 3), ("美容美发洗浴", 2), ("未分类", 1), ("食品", 1)]


def render_strictly(title: str, bars: list[tuple[str, int]]) -> bytes:
    """Render with every warning an error (a missing glyph is a UserWarning at draw time)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return category_bar_chart(title, bars)


def test_category_chart_is_a_png_with_chinese_labels_and_no_missing_glyphs() -> None:
    png = render_strictly("2026年6月消费投诉分类", JUNE_CATEGORIES)
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width > 600 and image.height > 200


def test_the_font_found_is_a_cjk_font() -> None:
    family = chinese_font_family()
    assert "CJK" in family or "Hei" in family or "Han" in family
    path = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    assert path


def test_default_font_would_have_warned_so_the_strict_check_is_real() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure()
    FigureCanvasAgg(figure)
    figure.suptitle("餐饮住宿", fontproperties=font_manager.FontProperties(family="DejaVu Sans"))
    with pytest.warns(UserWarning, match="missing from font"):
        figure.savefig(io.BytesIO(), format="png")


def test_an_empty_month_still_gets_a_chart() -> None:
    png = render_strictly("2030年2月消费投诉分类", [])
    assert png.startswith(PNG_SIGNATURE)


def test_many_categories_are_folded_into_others() -> None:
    bars = [(f"类别{i}", 20 - i) for i in range(MAX_BARS + 5)]
    assert charts._fold(bars)[-1] == (
        "其他",
        sum(20 - i for i in range(MAX_BARS - 1, MAX_BARS + 5)),
    )
    assert len(charts._fold(bars)) == MAX_BARS
    assert render_strictly("很多类别", bars).startswith(PNG_SIGNATURE)


def test_a_machine_without_any_cjk_font_gets_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such Font Family",))
    monkeypatch.setattr(charts, "CJK_FONT_FILES", ())
    chinese_font_family.cache_clear()
    try:
        with pytest.raises(NoChineseFont, match="fonts-noto-cjk"):
            chinese_font_family()
    finally:
        monkeypatch.undo()
        chinese_font_family.cache_clear()
