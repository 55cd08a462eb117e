"""Reading one group message: masking first, then one jieba pass and a few cheap readers.

Personal data is masked over the whole text before anything else, and every reader works on
the masked text, so a phone number can never be mistaken for an amount or leak into a field.
Only the first few thousand characters are read for case data: a complaint says what it is
about at the start, and a pasted 100,000-character log must not stall the group.
`parse` never raises; an unexpected failure yields "not a complaint" with masked text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from mediation.privacy import mask_personal_data, mask_phone

from . import amounts
from .categories import category_group, classify_category
from .demands import demand_spans, find_demands
from .detection import Evidence, Verdict, classify_message, decisive_verdict, read_rules
from .features import cue_values, term_counts
from .lexicon import load_lexicon
from .merchants import MerchantIndex, find_merchant
from .model import DetectorModel, load_model
from .problems import classify_problem
from .result import MerchantEntry, ParsedMessage
from .segmenter import Segmenter

log = logging.getLogger(__name__)

ANALYSIS_LIMIT = 3000  # characters read for case data; masking always covers the whole text
# Cantonese characters read as their Mandarin counterparts (one character for one, so every
# position stays where it was): 唔肯退 is 不肯退, 喺嗰间店 is 在那间店.
_DIALECT = str.maketrans("咗唔嘅喺佢冇嗰啲俾睇哋嚟攞搵畀乜", "了不的在他没那些给看们来拿找给什")
_ANY_DIGIT = re.compile(r"\d")


class ComplaintParser:
    """Turns a group message into a `ParsedMessage`. Share one per process; thread-safe."""

    def __init__(
        self,
        merchants: Iterable[MerchantEntry] = (),
        *,
        cache_dir: Path | None = None,
        model: DetectorModel | None = None,
    ) -> None:
        self._model = model or load_model()
        self._lexicon = load_lexicon()
        self._segmenter = Segmenter(cache_dir)
        self._registry = MerchantIndex((), self._lexicon)
        self.update_merchants(merchants)

    def prepare(self) -> None:
        """Load jieba, the dictionaries and cn2an now (about 2 s; call it off the event loop)."""
        amounts.prepare()
        self._segmenter.prepare()

    def update_merchants(self, merchants: Iterable[MerchantEntry]) -> None:
        """The registry changed: its names and aliases become user words and lookup targets."""
        entries = tuple(merchants)
        self._registry = MerchantIndex(entries, self._lexicon)
        self._segmenter.add_words(
            word for entry in entries for word in (entry.name, *entry.aliases)
        )

    def parse(self, text: str) -> ParsedMessage:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        try:
            return self._parse(text)
        except Exception:  # the contract: a message can never break the bot
            log.exception("could not read a message of %d characters", len(text))
            return ParsedMessage(False, 0.0, masked_text=_mask_or_blank(text), kind="error")

    def detector_features(self, text: str) -> dict[str, float] | None:
        """The model's features of `text` (training uses this), or None when a decisive rule
        settles it without the model."""
        head, tokens, evidence, *_ = self._read(text)
        if decisive_verdict(head, evidence) is not None:
            return None
        return {**term_counts(head, tokens), **cue_values(read_rules(head, evidence).cues)}

    def _read(self, text: str) -> tuple:
        masked = mask_personal_data(text)
        head = masked.text[:ANALYSIS_LIMIT].translate(_DIALECT)
        tokens = self._segmenter.cut(head)
        registry = self._registry
        merchant = find_merchant(
            head, tokens, self._lexicon, registry, self._segmenter.function_words
        )
        spans = demand_spans(head)
        demands = find_demands(head, spans)
        amount = amounts.disputed(head, spans)
        problem, fact_strength = classify_problem(head)
        phones = tuple(dict.fromkeys(masked.phones))
        evidence = Evidence(
            has_merchant=merchant is not None,
            has_amount=amount is not None,
            has_demand=bool(demands),
            has_facts=fact_strength >= 2,
            has_contact=bool(phones),
            strong_facts=fact_strength >= 3,
        )
        return head, tokens, evidence, masked, merchant, demands, amount, problem, phones

    def _verdict(self, head: str, tokens: list[str], evidence: Evidence) -> Verdict:
        decided = decisive_verdict(head, evidence)
        if decided is not None:
            return decided
        reading = read_rules(head, evidence)
        model = self._model
        probability = model.probability(term_counts(head, tokens), reading.cues)
        return classify_message(head, reading, probability, *model.thresholds(len(head)))

    def _parse(self, text: str) -> ParsedMessage:
        head, tokens, evidence, masked, merchant, demands, amount, problem, phones = self._read(
            text
        )
        registry = self._registry
        merchant_type = None
        if merchant is not None:
            merchant_type = merchant.merchant_type or registry.merchant_type_of(merchant.name)
        category = classify_category(tokens, merchant_type, self._lexicon)
        verdict = self._verdict(head, tokens, evidence)
        missing = tuple(
            item
            for item, absent in (
                ("merchant", merchant is None),
                ("facts", not evidence.has_facts),
                ("demand", not demands),
                ("contact", not phones),
            )
            if absent
        )
        return ParsedMessage(
            is_complaint=verdict.is_complaint,
            confidence=verdict.confidence,
            masked_text=masked.text,
            merchant=merchant.name if merchant else None,
            merchant_id=registry.lookup(merchant.name) if merchant else None,
            amount=amount.value if amount else None,
            paid=amount.paid if amount else None,
            demands=demands,
            category=category,
            category_group=category_group(category),
            problem=problem,
            contacts=tuple(mask_phone(phone) for phone in phones),
            raw_contacts=phones,
            missing=missing,
            nuisance=verdict.nuisance,
            kind=verdict.kind,
            band=verdict.band,
            probability=verdict.confidence,
        )


def _mask_or_blank(text: str) -> str:
    try:
        return mask_personal_data(text).text
    except Exception:
        return _ANY_DIGIT.sub("*", text)
