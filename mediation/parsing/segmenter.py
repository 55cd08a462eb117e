"""Word segmentation with one jieba tokenizer per process.

Loading jieba's dictionary takes about a second and some 50 MB, so every `ComplaintParser`
in a process shares one private `jieba.Tokenizer` (private so that other users of the global
`jieba` keep their own dictionary). Its prefix-dictionary cache lives in the data directory
we are given, never in the system temp directory; without a cache directory the dictionary
is built in memory and no cache is written. Project words and registry merchant names are
added as user words; names removed from the registry are left in (a stale word only keeps
a few characters together) so that one parser's update never splits another's words.

Segmentation runs without jieba's HMM (its guessing of unknown words). The readers need
dictionary words (project words, registry names, goods) and treat an unknown shop name as a
run of tokens anyway, so the HMM pass would cost a quarter of the time for nothing.

jieba itself is imported by `prepare` (which the bot runs in a thread while it already
accepts messages), not by this module: importing it drags in pkg_resources, a tenth of a
second that start-up need not wait for.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .lexicon import load_lexicon

if TYPE_CHECKING:
    import jieba

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_user_words: set[str] = set()
_function_words: frozenset[str] = frozenset()
# Prepositions, conjunctions, particles, adverbs, interjections in jieba's own dictionary.
_FUNCTION_TAGS = re.compile(r"^(\S+) \d+ (?:p|c|d|u[a-z]?|y|e)$", re.MULTILINE)


def _build_tokenizer(cache_dir: Path | None) -> jieba.Tokenizer:
    import jieba

    jieba.setLogLevel(logging.WARNING)  # jieba logs its dictionary loading at DEBUG to stderr
    tokenizer = jieba.Tokenizer()
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tokenizer.tmp_dir = str(cache_dir)
        tokenizer.initialize()
    else:
        # jieba 0.42.1 would write its cache to the system temp directory; build in memory.
        tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
        tokenizer.initialized = True
    for word in load_lexicon().words:
        tokenizer.add_word(word)
    _user_words.update(load_lexicon().words)
    global _function_words
    with tokenizer.get_dict_file() as dictionary:
        text = dictionary.read().decode("utf-8")
    _function_words = frozenset(_FUNCTION_TAGS.findall(text)) - _user_words
    return tokenizer


def shared_tokenizer(cache_dir: Path | None) -> jieba.Tokenizer:
    """The process-wide tokenizer; the first caller's cache directory is the one used."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            _tokenizer = _build_tokenizer(cache_dir)
        return _tokenizer


def add_user_words(tokenizer: jieba.Tokenizer, words: Iterable[str]) -> None:
    with _lock:
        for word in words:
            word = word.strip()
            if len(word) >= 2 and word not in _user_words:
                tokenizer.add_word(word)
                _user_words.add(word)


class Segmenter:
    """Cuts text into words with the shared tokenizer; `prepare` loads it ahead of time."""

    def __init__(self, cache_dir: Path | None) -> None:
        self._cache_dir = cache_dir
        self._tokenizer: jieba.Tokenizer | None = None
        self._pending: list[str] = []
        self._pending_lock = threading.Lock()  # `prepare` may run in a thread meanwhile

    @property
    def ready(self) -> bool:
        return self._tokenizer is not None

    @property
    def function_words(self) -> frozenset[str]:
        """Words jieba tags as prepositions, particles, adverbs: never part of a shop name."""
        return _function_words

    def prepare(self) -> None:
        if self._tokenizer is None:
            tokenizer = shared_tokenizer(self._cache_dir)
            with self._pending_lock:  # no word added meanwhile may fall between the two
                add_user_words(tokenizer, self._pending)
                self._pending.clear()
                self._tokenizer = tokenizer

    def add_words(self, words: Iterable[str]) -> None:
        """Keep these words whole from now on (before `prepare`, they wait for it)."""
        with self._pending_lock:
            tokenizer = self._tokenizer
            if tokenizer is None:
                self._pending.extend(words)
                return
        add_user_words(tokenizer, words)

    def cut(self, text: str) -> list[str]:
        """Dictionary-only segmentation (no HMM); tokens join back into `text` exactly."""
        if self._tokenizer is None:
            self.prepare()
        assert self._tokenizer is not None
        return self._tokenizer.lcut(text, HMM=False)
