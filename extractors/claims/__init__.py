"""Claims of French news articles: who said, warned, demanded, proposed or denounced what.

    nlp = load_nlp()                                   # once per process
    extractor = ClaimExtractor(nlp, actor_index, config.lexicon)
    extractor.extract(text, published=date(2021, 12, 7))      -> list[Claim]

The package, by construction:

- `quotes`: quotation spans on the raw text and the sentence limits that respect them;
- `lexicon`: config/lexicon.toml's cues, context rules and locutions, compiled once;
- `context`: the sentence a rule reads, the candidates it proposes, the rule registry;
- `tokens`, `syntax`: noun phrases and clause syntax (subjects, addressees, complements);
- `repairs`: workarounds for known parser mistakes, each named for its mistake;
- `rules/`: one module per rule family (quotes, incises, verbs, participles, according);
- `phrases`: speaker phrases and whole names in the parse; `speakers`: who they name, on the
  article's date; `speaker_memory`: who the document named and heard before, what a pronoun or
  a bare role noun points back to;
- `extractor`: the `ClaimExtractor` that runs them and fills the `analyze` contract.
"""

from diplowatch.extractors.claims.extractor import EXTRACTOR_VERSION, ClaimExtractor, load_nlp

__all__ = ["EXTRACTOR_VERSION", "ClaimExtractor", "load_nlp"]
