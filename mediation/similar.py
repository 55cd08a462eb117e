"""Ask the group's memory (/案例): the cases most like a few keywords.

Staff and grid workers type 「/案例 预付卡 健身房」 to learn how such complaints ended. The
documents are the office's published typical cases and closed cases, each given as its
number, a title or summary (masked), its outcome, and optionally more text to index; the
answer is the three that score best under BM25 (Okapi, k1 = 1.5, b = 0.75, with the
non-negative idf ln(1 + (N - df + 0.5) / (df + 0.5))) over content words
(`mediation.keywords`, jieba search mode). Documents sharing no word with the query are
never returned. Ties go to typical cases, then to the later number.

BM25 is twenty lines here; rank-bm25, the usual package, has had no release since 2022
and would bring numpy arrays for a few hundred documents.

Interface:

- `SearchDocument(number, title, outcome, typical, text="")` in;
- `CaseIndex(documents, *, tokenize=jieba_search_words)` built once (per office and
  reload), `.search(query, limit=3) -> tuple[SearchHit, ...]`;
- `most_similar(query, documents, *, limit=3, tokenize=...)`, the same in one call;
- `answer_lines(hits) -> list[str]`: one line each for the reply
  (`templates.similar_cases` wraps them).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from mediation import templates as say
from mediation.keywords import Tokenize, content_words, jieba_search_words

DEFAULT_LIMIT = 3
K1 = 1.5
B = 0.75


@dataclass(frozen=True)
class SearchDocument:
    number: str
    title: str  # the typical case's title, or a closed case's masked summary
    outcome: str  # e.g. 调解成功，退款58元
    typical: bool  # a published typical case (典型案例)
    text: str = ""  # more masked text to index: the write-up, the complaint


@dataclass(frozen=True)
class SearchHit:
    document: SearchDocument
    score: float


class CaseIndex:
    """A BM25 index over the documents' content words."""

    def __init__(
        self, documents: Iterable[SearchDocument], *, tokenize: Tokenize = jieba_search_words
    ) -> None:
        self.tokenize = tokenize
        self.documents = tuple(documents)
        self._terms = [
            Counter(content_words(f"{doc.title}\n{doc.text}", tokenize=tokenize))
            for doc in self.documents
        ]
        self._lengths = [sum(terms.values()) for terms in self._terms]
        self._average_length = (sum(self._lengths) / len(self._lengths)) if self._lengths else 0.0
        frequencies: Counter[str] = Counter()
        for terms in self._terms:
            frequencies.update(terms.keys())
        count = len(self.documents)
        self._idf = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5)) for term, df in frequencies.items()
        }

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> tuple[SearchHit, ...]:
        words = set(content_words(query, tokenize=self.tokenize))
        hits = []
        for document, terms, length in zip(self.documents, self._terms, self._lengths, strict=True):
            score = sum(self._term_score(terms[word], length, word) for word in words)
            if score > 0:
                hits.append(SearchHit(document, round(score, 6)))
        hits.sort(key=lambda hit: (-hit.score, not hit.document.typical, _descending(hit)))
        return tuple(hits[:limit])

    def _term_score(self, frequency: int, length: int, word: str) -> float:
        if not frequency:
            return 0.0
        norm = K1 * (1 - B + B * length / self._average_length) if self._average_length else K1
        return self._idf[word] * frequency * (K1 + 1) / (frequency + norm)


def _descending(hit: SearchHit) -> tuple[int, ...]:
    return tuple(-ord(char) for char in hit.document.number)


def most_similar(
    query: str,
    documents: Iterable[SearchDocument],
    *,
    limit: int = DEFAULT_LIMIT,
    tokenize: Tokenize = jieba_search_words,
) -> tuple[SearchHit, ...]:
    return CaseIndex(documents, tokenize=tokenize).search(query, limit)


def answer_lines(hits: Iterable[SearchHit]) -> list[str]:
    return [
        say.similar_case_line(
            hit.document.number, hit.document.title, hit.document.outcome, hit.document.typical
        )
        for hit in hits
    ]
