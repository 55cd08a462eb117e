"""jieba is loaded once per process, from and into the data directory it is given."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from mediation.parsing import ComplaintParser
from mediation.parsing.lexicon import load_lexicon
from mediation.parsing.segmenter import Segmenter, shared_tokenizer

REPO = Path(__file__).resolve().parents[1]


def test_jieba_cache_is_written_to_the_cache_dir_and_never_to_the_temp_dir(
    tmp_path: Path,
) -> None:
    # A fresh interpreter, so that this process's already-loaded tokenizer does not interfere.
    cache_dir = tmp_path / "data" / "cache"
    temp_dir = tmp_path / "system-temp"
    temp_dir.mkdir()
    script = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from mediation.parsing import ComplaintParser
        first = ComplaintParser(cache_dir=Path({str(cache_dir)!r}))
        first.prepare()
        second = ComplaintParser(cache_dir=Path({str(cache_dir)!r}) / "other")
        second.prepare()
        result = second.parse("【投诉】湖西路张记饺子馆多收消费者58元，要求退款")
        same = first._segmenter._tokenizer is second._segmenter._tokenizer
        print(json.dumps([result.merchant, same]))
        """
    )
    env = {**os.environ, "TMPDIR": str(temp_dir), "TEMP": str(temp_dir), "TMP": str(temp_dir)}
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    merchant, shared = json.loads(completed.stdout.strip().splitlines()[-1])
    assert merchant == "张记饺子馆"
    assert shared  # one tokenizer for both parsers
    assert (cache_dir / "jieba.cache").is_file()
    assert not (cache_dir / "other").exists()  # the first parser's cache directory is used
    assert list(temp_dir.iterdir()) == []
    assert "Building prefix dict" not in completed.stderr  # jieba's debug chatter is silenced


def test_project_words_stay_whole(tmp_path: Path) -> None:
    # Registry names added by other tests share the tokenizer, so use a name nobody registers.
    segmenter = Segmenter(tmp_path / "cache")
    segmenter.prepare()
    text = "湖西路王大妈饺子馆多收了消费者58元，要求退一赔三"
    tokens = segmenter.cut(text)
    assert "饺子馆" in tokens
    assert "多收" in tokens
    assert "退一赔三" in tokens
    assert "".join(tokens) == text


def test_registry_names_become_words(tmp_path: Path) -> None:
    segmenter = Segmenter(tmp_path / "cache")
    segmenter.add_words(["喜洋洋麻辣烫"])
    segmenter.prepare()
    assert "喜洋洋麻辣烫" in segmenter.cut("湖西路喜洋洋麻辣烫多收钱")


def test_parsers_share_one_tokenizer(tmp_path: Path) -> None:
    first = ComplaintParser(cache_dir=tmp_path / "a")
    second = ComplaintParser(cache_dir=tmp_path / "b")
    first.prepare()
    second.prepare()
    assert first._segmenter._tokenizer is second._segmenter._tokenizer is shared_tokenizer(None)


def test_the_project_dictionary_is_shipped_and_consistent() -> None:
    lexicon = load_lexicon()
    assert {"饺子馆", "大药房", "健身房", "4S店"} <= set(lexicon.merchant_types)
    assert lexicon.merchant_type_of("湖西路张记饺子馆") == "饺子馆"
    assert lexicon.merchant_type_of("康宁大药房") == "大药房"  # longest ending wins
    from mediation.parsing.categories import GOODS, SERVICES

    known = set(GOODS) | set(SERVICES)
    hints = [*lexicon.merchant_types.values(), *lexicon.items.values(), *lexicon.platforms.values()]
    assert {hint.category for hint in hints} - {None} <= known
