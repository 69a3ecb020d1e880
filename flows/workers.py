"""The analysis stage on both cores: a pool of processes, each holding its own Analyzer.

spaCy and trafilatura are CPU-bound and hold the GIL, so threads would not overlap them; each
worker process builds its Analyzer once (its initializer) and then takes batch after batch. The
spaCy model loads on a worker's first flagged story, not at start: cleaning begins at once, and
a run with no candidate story never pays the seconds of CPU the model costs per process.
With `workers = 0` the analysis runs in the calling process, which tests and small runs prefer.
"""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from spacy.language import Language

from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.claims import ClaimExtractor, load_nlp
from diplowatch.extractors.pipeline import Analyzer, FetchedPage, analysis_version
from diplowatch.extractors.records import ProcessedArticle
from diplowatch.flows.config import Config, load_config


@functools.cache
def shared_nlp() -> Language:
    """The spaCy pipeline, loaded once per process however many analyzers are built."""
    return load_nlp()


def build_analyzer(cfg: Config, *, with_claims: bool = True, lazy: bool = False) -> Analyzer:
    """An Analyzer for this process; `lazy` defers the spaCy model to the first flagged story."""
    actors = ActorIndex.from_config(cfg.actors)
    limits = cfg.settings.analysis
    if not with_claims:
        return Analyzer(actors, cfg.flag, None, limits)
    if lazy:
        return Analyzer(
            actors, cfg.flag, lambda: ClaimExtractor(shared_nlp(), actors, cfg.lexicon), limits
        )
    return Analyzer(actors, cfg.flag, ClaimExtractor(shared_nlp(), actors, cfg.lexicon), limits)


def version_of(cfg: Config) -> str:
    return analysis_version(cfg.actors, cfg.lexicon, cfg.flag)


_worker_analyzer: Analyzer | None = None


def _init_worker(config_dir: str | None) -> None:
    global _worker_analyzer
    # lazy: the worker starts cleaning at once; the model loads on its first flagged story
    _worker_analyzer = build_analyzer(load_config(config_dir), lazy=True)


def _process_in_worker(
    pages: Sequence[FetchedPage],
) -> tuple[list[ProcessedArticle], dict[str, float]]:
    assert _worker_analyzer is not None, "worker used before its initializer ran"
    done = _worker_analyzer.process_pages(pages)
    # The parent still holds every page's bytes: pickling them back would double the traffic
    # through the pipe for nothing (pages are ~240 kB each). `collect` puts them back.
    for article in done:
        article.raw_html = None
    return done, _worker_analyzer.take_seconds()


#: Pages per call to a worker. Small enough that both workers stay busy to the end of a batch
#: (a chunk of long flagged stories takes several times a plain one), large enough that the
#: per-call pickling and scheduling stay negligible.
CHUNK = 10

Results = Future[tuple[list[ProcessedArticle], dict[str, float]]]


class PendingBatch:
    """A batch handed to the workers: the pages, and the futures of their chunks (or results).

    Deliberately a plain class, not a dataclass or list: Prefect walks dataclasses and
    collections passed to tasks, and there is nothing in here it needs to see.
    """

    def __init__(
        self,
        pages: Sequence[FetchedPage],
        futures: list[Results] | None = None,
        done: list[ProcessedArticle] | None = None,
    ) -> None:
        self.pages = pages
        self.futures = futures or []
        self.done = done


class AnalyzerPool:
    """Spreads batches over the workers in small chunks; results come back in input order.

    `submit` + `collect` let the flow overlap its own work with the workers'; `process` is both.
    """

    def __init__(self, cfg: Config, workers: int) -> None:
        self.cfg = cfg
        self.workers = workers
        self._local: Analyzer | None = None
        self._pool: ProcessPoolExecutor | None = None
        # seconds per stage summed over the workers (CPU-side, so more than wall time on 2 cores)
        self.seconds: dict[str, float] = {}

    def _add(self, seconds: dict[str, float]) -> None:
        for stage, value in seconds.items():
            self.seconds[stage] = self.seconds.get(stage, 0.0) + value

    def __enter__(self) -> AnalyzerPool:
        if self.workers <= 0:
            self._local = build_analyzer(self.cfg)
        else:
            # spawn, not fork: the flow process runs Prefect's threads and event loops, which a
            # forked child would inherit half-copied
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(str(self.cfg.user_dir) if self.cfg.user_dir else None,),
            )
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def submit(self, pages: Sequence[FetchedPage]) -> PendingBatch:
        """Hand a batch to the workers and return at once (in-process: analyse it now).

        The flow fetches and writes other batches while the workers run, and keeps one batch
        queued ahead of the one it collects, so the workers never wait for it.
        """
        if not pages:
            return PendingBatch(pages, done=[])
        if self._local is not None:
            done = self._local.process_pages(pages)
            self._add(self._local.take_seconds())
            return PendingBatch(pages, done=done)
        assert self._pool is not None, "AnalyzerPool used outside its with-block"
        futures: list[Results] = [
            self._pool.submit(_process_in_worker, list(pages[i : i + CHUNK]))
            for i in range(0, len(pages), CHUNK)
        ]
        return PendingBatch(pages, futures=futures)

    def collect(self, pending: PendingBatch) -> list[ProcessedArticle]:
        """Wait for a submitted batch; its articles in input order, raw HTML put back."""
        if pending.done is not None:
            return pending.done
        out: list[ProcessedArticle] = []
        for future in pending.futures:
            done, seconds = future.result()
            out.extend(done)
            self._add(seconds)
        for page, article in zip(pending.pages, out, strict=True):
            article.raw_html = page.html
        pending.done, pending.futures = out, []
        return out

    def process(self, pages: Sequence[FetchedPage]) -> list[ProcessedArticle]:
        """Analyse a batch and wait for it: `collect(submit(pages))`."""
        return self.collect(self.submit(pages))
