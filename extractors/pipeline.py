"""Page bytes to stored records: clean, flag, and extract the claims of candidate stories.

`Analyzer` bundles what every arrow after the fetch needs (the actor index, the flag settings
and the claim extractor with its spaCy pipeline), built once per process and handed in.
The flag is cheap and runs on every article; the spaCy parse runs only on flagged ones, in
batches through `nlp.pipe`.

The work one article can cost is bounded by `[analysis]` of settings.toml (handed in as
`limits`): the text analysed for claims is cut at `max_text_chars`, at most `max_claims` are
kept (either cut marks the article `truncated`), and an article whose claim rules run past
`time_budget_seconds` fails with that reason while the rest of its batch goes on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from time import thread_time
from typing import Any, Protocol

from diplowatch.errors import AnalysisBudgetError
from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.article import extract_article
from diplowatch.extractors.claims import EXTRACTOR_VERSION, ClaimExtractor
from diplowatch.extractors.flag import flag_article
from diplowatch.extractors.records import Article, Claim, FeedItem, Flag, ProcessedArticle


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A page as the fetch left it, before any cleaning."""

    item: FeedItem
    html: bytes
    fetched_at: datetime
    http_status: int
    content_type: str | None = None  # its charset, when given, decides the decoding


class AnalysisLimits(Protocol):
    """The caps of one article's analysis: `[analysis]` of settings.toml (AnalysisSettings)."""

    @property
    def max_text_chars(self) -> int: ...
    @property
    def max_claims(self) -> int: ...
    @property
    def time_budget_seconds(self) -> float: ...


@dataclass(slots=True)
class Analysis:
    """The claims of one text, whether a cap cut it, and the error that failed it, if any."""

    claims: list[Claim]
    truncated: bool = False
    error: str | None = None


def cut_text(text: str, limit: int) -> tuple[str, bool]:
    """`text` up to `limit` characters, ended at the last paragraph (or else sentence) end in its
    second half so that no sentence is analysed half; True when something was cut."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    end = head.rfind("\n")
    if end < limit // 2:
        end = max(head.rfind(mark) for mark in (". ", "! ", "? ", "» ", '" '))
        end = end + 1 if end >= limit // 2 else limit
    return head[:end].rstrip(), True


def analysis_version(actors: dict[str, Any], lexicon: dict[str, Any], flag: dict[str, Any]) -> str:
    """The claim extractor's version plus a digest of the configuration it ran with.

    A changed lexicon or actor list changes the output, so it changes the version recorded
    beside each flag and claim; `reprocess` can tell old results from new.
    """
    blob = json.dumps([actors, lexicon, flag], sort_keys=True, default=str).encode()
    return f"{EXTRACTOR_VERSION}+{hashlib.sha256(blob).hexdigest()[:10]}"


class Analyzer:
    """Clean, flag and extract claims; `claims` may be a factory, called on first need.

    A factory lets a worker process start cleaning at once and load the spaCy model (seconds of
    CPU per process) only when a flagged story first needs it: a batch with no candidate
    story never pays for it.
    """

    def __init__(
        self,
        actors: ActorIndex,
        flag_settings: dict[str, Any],
        claims: ClaimExtractor | Callable[[], ClaimExtractor] | None,
        limits: AnalysisLimits | None = None,
    ) -> None:
        self.actors = actors
        self.flag_settings = flag_settings
        self._claims = claims
        self.limits = limits  # None: no cap (tests and tools that bound their own input)
        # CPU seconds of this thread per stage since the last `take_seconds()`: what a
        # benchmark reports. CPU, not wall: on a busy machine a worker's wall time counts the
        # other processes' turns on the core as its own cleaning.
        self.seconds: dict[str, float] = dict.fromkeys(("clean", "flag", "claims"), 0.0)

    def take_seconds(self) -> dict[str, float]:
        taken, self.seconds = self.seconds, dict.fromkeys(self.seconds, 0.0)
        return taken

    def flag(self, article: Article, published: date | None) -> Flag:
        return flag_article(
            article.title,
            article.text,
            published=published,
            actors=self.actors,
            settings=self.flag_settings,
        )

    def claims_for(
        self, texts: Sequence[tuple[str, date | None]], batch_size: int = 16
    ) -> list[list[Claim]]:
        """The claims of each text, caps applied; an article over its budget raises."""
        out = []
        for analysis in self.analyse(texts, batch_size):
            if analysis.error is not None:
                raise AnalysisBudgetError(analysis.error)
            out.append(analysis.claims)
        return out

    def analyse(
        self, texts: Sequence[tuple[str, date | None]], batch_size: int = 16
    ) -> list[Analysis]:
        """The claims of each (text, published), in order, within the caps of `limits`."""
        if self._claims is None or not texts:
            return [Analysis([]) for _ in texts]
        limits = self.limits
        cut = [
            cut_text(text, limits.max_text_chars) if limits else (text, False) for text, _ in texts
        ]
        outcomes = self.claims_extractor().extract_each(
            [(text, when) for (text, _), (_, when) in zip(cut, texts, strict=True)],
            batch_size=batch_size,
            budget=limits.time_budget_seconds if limits else None,
        )
        out: list[Analysis] = []
        for (_, was_cut), outcome in zip(cut, outcomes, strict=True):
            if isinstance(outcome, AnalysisBudgetError):
                out.append(Analysis([], was_cut, str(outcome)))
                continue
            over = limits is not None and len(outcome) > limits.max_claims
            kept = outcome[: limits.max_claims] if limits is not None else outcome
            out.append(Analysis(kept, was_cut or over))
        return out

    def claims_extractor(self) -> ClaimExtractor:
        """The claim extractor, built by its factory the first time it is needed."""
        if not isinstance(self._claims, ClaimExtractor):
            assert self._claims is not None, "claims_extractor() on an analyzer without claims"
            self._claims = self._claims()
        return self._claims

    def process_pages(self, pages: Iterable[FetchedPage]) -> list[ProcessedArticle]:
        """Clean and flag every page, then extract the claims of the flagged ones in one pipe."""
        out: list[ProcessedArticle] = []
        candidates: list[tuple[int, str, date | None]] = []
        for page in pages:
            started = thread_time()
            try:
                article = extract_article(
                    page.html, url=page.item.url, content_type=page.content_type
                )
            except Exception as exc:  # one page must not sink the run's batch
                out.append(_failed(page, f"cleaning failed ({type(exc).__name__}: {exc})"))
                self.seconds["clean"] += thread_time() - started
                continue
            # the feed knows title and date when the page hides them
            if not article.title and page.item.title:
                article = replace(article, title=page.item.title)
            if article.published is None and page.item.published is not None:
                article = replace(article, published=page.item.published.date())
            published = article.published
            done = ProcessedArticle(
                item=page.item,
                status="extracted" if article.text.strip() else "empty",
                fetched_at=page.fetched_at,
                http_status=page.http_status,
                raw_html=page.html,
                article=article,
            )
            flagged = thread_time()
            self.seconds["clean"] += flagged - started
            if done.status == "extracted":
                done.flag = self.flag(article, published)
                if done.flag.relevant:
                    candidates.append((len(out), article.text, published))
            self.seconds["flag"] += thread_time() - flagged
            out.append(done)
        started = thread_time()
        texts = [(text, published) for _, text, published in candidates]
        try:
            found = self.analyse(texts)
        except Exception:  # find the story at fault, keep the others' claims
            found = [self._analysis_or_error(text, when) for _, text, when in candidates]
        for (i, _, _), analysis in zip(candidates, found, strict=True):
            out[i].claims = analysis.claims
            out[i].truncated = analysis.truncated
            if analysis.error is not None:  # recorded in articles.error, the run goes on
                out[i].error = f"{out[i].item.url}: {analysis.error}"
        self.seconds["claims"] += thread_time() - started
        return out

    def _analysis_or_error(self, text: str, when: date | None) -> Analysis:
        """One story's analysis alone; an exception becomes its error, not the batch's."""
        try:
            return self.analyse([(text, when)])[0]
        except Exception as exc:  # the story at fault fails alone
            return Analysis([], error=f"claim extraction failed ({type(exc).__name__}: {exc})")

    def analyze_documents(
        self, docs: Iterable[dict[str, Any]], batch_size: int = 16
    ) -> Iterator[dict[str, Any]]:
        """The `analyze` contract: flag and claims for each {"id", "text"|"html", ...} document.

        Claims are extracted from every document, flagged or not; the flag only says whether the
        story is one the monitor is for. Documents go through the parse `batch_size` at a time.
        """
        batch: list[tuple[str, Article, date | None]] = []
        for doc in docs:
            batch.append(_document_article(doc))
            if len(batch) >= batch_size:
                yield from self._analyze_batch(batch)
                batch = []
        if batch:
            yield from self._analyze_batch(batch)

    def _analyze_batch(
        self, batch: list[tuple[str, Article, date | None]]
    ) -> Iterator[dict[str, Any]]:
        texts = [(a.text, published) for _, a, published in batch]
        try:
            analyses = self.analyse(texts)
        except Exception:  # one document at fault: the others keep their claims
            analyses = [self._analysis_or_error(text, when) for text, when in texts]
        for (doc_id, article, published), analysis in zip(batch, analyses, strict=True):
            flag = self.flag(article, published) if article.text.strip() else Flag(False, 0.0, [])
            result: dict[str, Any] = {
                "id": doc_id,
                "relevant": flag.relevant,
                "score": round(flag.score, 4),
                "reasons": flag.reasons,
                "claims": [claim.to_dict() for claim in analysis.claims],
            }
            if analysis.truncated:
                result["truncated"] = True
            if analysis.error is not None:  # reported in its output line, the batch goes on
                result["error"] = analysis.error
            yield result


def _document_article(doc: dict[str, Any]) -> tuple[str, Article, date | None]:
    """The article of one `analyze` input document; callers have checked its shape."""
    published = date.fromisoformat(doc["published"]) if doc.get("published") else None
    if doc.get("html") is not None:
        html = doc["html"].encode("utf-8") if isinstance(doc["html"], str) else doc["html"]
        article = extract_article(html, url=doc.get("url") or f"urn:doc:{doc['id']}")
        published = published or article.published
    else:
        article = Article(url=f"urn:doc:{doc['id']}", title=None, text=doc["text"])
    if doc.get("title"):
        article = replace(article, title=doc["title"])
    return str(doc["id"]), article, published


def _failed(page: FetchedPage, why: str) -> ProcessedArticle:
    return ProcessedArticle(
        item=page.item,
        status="failed",
        fetched_at=page.fetched_at,
        http_status=page.http_status,
        raw_html=page.html,
        error=f"{page.item.url}: {why}",
    )
