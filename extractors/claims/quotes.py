"""Quotation spans found on the raw text, and the sentence boundaries that respect them.

Why on the raw text: the parser's sentence splitter cuts inside a quote that holds several
sentences ("« A. B », a déclaré X"), which separates the quoted words from their cue and speaker.
So the quotes are paired first, on characters, and a small pipeline component placed before the
parser forbids sentence starts inside a quote and forces one after every line break (a paragraph
break in trafilatura's output is always a sentence break).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

if TYPE_CHECKING:
    from thinc.types import Ints2d

# opening mark -> closing marks that end it
PAIRS: dict[str, str] = {"«": "»", "“": "”", "„": "“”", "‹": "›"}
STRAIGHT = '"'
QUOTE_CHARS = frozenset('«»“”„‹›"')
MAX_QUOTE = 2000  # characters; a longer "quote" is an unbalanced mark, not speech
USER_KEY = "diplowatch_quotes"
JOIN_KEY = "diplowatch_joined"  # token indices that must not start a sentence
COMPONENT = "diplowatch_quote_sentences"
# SENT_START values in `Doc.to_array`'s unsigned 64 bits: 1 starts a sentence, -1 (wrapped) not
IS_START, NOT_START = 1, 2**64 - 1


def find_quotes(text: str) -> list[tuple[int, int]]:
    """Outermost quote spans as (start, end) character offsets, marks included.

    Pairs « » (and “ ”, „ “) with nesting, and straight quotes in order inside one paragraph.
    A mark left open at a paragraph break is dropped: French typography reopens a long quote at
    each paragraph, and a stray mark must not swallow the rest of the article.
    """
    spans: list[tuple[int, int]] = []
    stack: list[tuple[int, str]] = []  # (offset, closing marks)
    straight: int | None = None
    for i, ch in enumerate(text):
        if ch == "\n":
            stack.clear()
            straight = None
            continue
        if ch == STRAIGHT:
            if straight is None:
                straight = i
            else:
                if not stack:
                    spans.append((straight, i + 1))
                straight = None
            continue
        if stack and ch in stack[-1][1]:
            start, _ = stack.pop()
            if not stack and straight is None:
                spans.append((start, i + 1))
            continue
        if ch in PAIRS:
            stack.append((i, PAIRS[ch]))
    spans.sort()
    outer: list[tuple[int, int]] = []
    for start, end in spans:
        if end - start > MAX_QUOTE:
            continue
        if outer and start < outer[-1][1]:
            continue  # nested inside the previous span
        outer.append((start, end))
    return outer


def quotes_of(doc: Doc) -> list[tuple[int, int]]:
    """The quote spans the component stored on the doc (computed now if it did not run)."""
    spans = doc.user_data.get(USER_KEY)
    if spans is None:
        spans = find_quotes(doc.text)
        doc.user_data[USER_KEY] = spans
    return list(spans)


@Language.component(COMPONENT)
def quote_sentences(doc: Doc) -> Doc:
    """Pre-set sentence boundaries: none inside a quote, always one after a line break.

    The parser keeps boundaries set before it runs, so its parse then stays inside these limits.
    """
    spans = find_quotes(doc.text)
    doc.user_data[USER_KEY] = spans
    joined: list[int] = []
    # Written in one `from_array` at the end: the `Token.is_sent_start` setter scans the whole
    # doc for a parse at every call, which made this component quadratic (issue 13).
    starts = doc.to_array([SENT_START])  # one unsigned 64-bit value per token
    k = 0
    for token in doc:
        if token.i == 0:
            continue
        start = token.idx
        while k < len(spans) and spans[k][1] <= start:
            k += 1
        inside = k < len(spans) and spans[k][0] < start < spans[k][1]
        prev = doc[token.i - 1]
        if "\n" in prev.text or "\n" in prev.whitespace_:
            starts[token.i] = IS_START
        elif k < len(spans) and spans[k][0] == start and prev.text in {".", "!", "?", "…"}:
            # "... en Afrique. « Notre pays ... »": a quote after a full stop starts a sentence
            starts[token.i] = IS_START
        elif inside or token.is_space:
            starts[token.i] = NOT_START
            joined.append(token.i)
        elif (
            k > 0
            and spans[k - 1][1] == prev.idx + len(prev)
            and (token.text in {",", ";", ")"} or token.text[:1].islower())
        ):
            # "« ... », a averti X": the cue after a closing quote stays in its sentence
            starts[token.i] = NOT_START
            joined.append(token.i)
    # spaCy's stub types `to_array` as floats and `from_array` as thinc's Ints2d: it is ints
    doc.from_array([SENT_START], cast("Ints2d", starts))
    doc.user_data[JOIN_KEY] = joined
    return doc


def sentences(doc: Doc) -> list[Span]:
    """The parser's sentences, joined again where the parser cut inside a quote or after one.

    The parser keeps the sentence starts set before it but may still cut where this module said
    not to; rejoining afterwards keeps a quote, its cue and its speaker in one unit (the rules
    follow heads, so several parse trees in one unit are fine).
    """
    joined = set(doc.user_data.get(JOIN_KEY, ()))
    units: list[Span] = []
    start: int | None = None
    for sent in doc.sents:
        # a unit cannot end on a comma: "Pour Moscou, | ce sont ..." is one sentence
        after_comma = sent.start > 0 and "," in {doc[sent.start - 1].text, doc[sent.start].text}
        if start is not None and sent.start not in joined and not after_comma:
            units.append(doc[start : sent.start])
            start = None
        if start is None:
            start = sent.start
    if start is not None:
        units.append(doc[start : len(doc)])
    return units
