"""Reading complaint messages: one message in, a `ParsedMessage` out. Pure; jieba only."""

from .parser import ComplaintParser
from .result import MerchantEntry, ParsedMessage

__all__ = ["ComplaintParser", "MerchantEntry", "ParsedMessage"]
