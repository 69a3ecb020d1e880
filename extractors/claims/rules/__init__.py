"""The rule families, one module each; importing them registers every rule in `RULES`.

The order they run in is `RULE_ORDER` (extractors/schemas.py); `[claims] rules` in
config/lexicon.toml may narrow it.
"""

from diplowatch.extractors.claims.context import RULES
from diplowatch.extractors.claims.rules import according, incises, participles, quotes, verbs

__all__ = ["RULES", "according", "incises", "participles", "quotes", "verbs"]
