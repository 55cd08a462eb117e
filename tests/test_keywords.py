"""Content words: what a complaint is about, never who made it."""

from __future__ import annotations

from mediation.keywords import content_words, jieba_search_words


def test_content_words_keep_the_subject_and_drop_function_words() -> None:
    words = content_words("消费者反映健身房办了年卡，现在闭店了，要求退还预付款")
    assert {"健身房", "预付款", "退还"} <= set(words)
    assert not {"消费者", "反映", "要求", "了", "现在"} & set(words)


def test_content_words_never_carry_digits_masks_or_latin_ids() -> None:
    words = content_words("王女士电话13812345678，微信 wangfang88，订单20260601，多收58元")
    assert all(not any(char.isdigit() or char.isascii() for char in word) for word in words)
    assert "王女士" not in words


def test_names_the_caller_knows_are_dropped() -> None:
    assert "王芳" not in content_words("王芳在超市买到过期牛奶", drop=("王芳",))


def test_search_mode_yields_the_parts_of_long_words() -> None:
    assert {"预付", "预付卡"} <= set(content_words("预付卡", tokenize=jieba_search_words))
