"""The analysis stage on both cores: a pool of processes, each holding its own Analyzer.

spaCy and trafilatura are CPU-bound and hold the GIL, so threads would not overlap them; each
worker process loads the model once (its initializer) and then takes batch after batch.
With `workers = 0` the analysis runs in the calling process, which tests and small runs prefer.
"""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from spacy.language import Language

from extractors.actors import ActorIndex
from extractors.claims import ClaimExtractor, load_nlp
from extractors.pipeline import Analyzer, FetchedPage, analysis_version
from extractors.records import ProcessedArticle
from flows.config import Config, load_config


@functools.cache
def shared_nlp() -> Language:
    """The spaCy pipeline, loaded once per process however many analyzers are built."""
    return load_nlp()


def build_analyzer(cfg: Config, *, with_claims: bool = True) -> Analyzer:
    actors = ActorIndex.from_config(cfg.actors)
    claims = ClaimExtractor(shared_nlp(), actors, cfg.lexicon) if with_claims else None
    return Analyzer(actors, cfg.flag, claims)


def version_of(cfg: Config) -> str:
    return analysis_version(cfg.actors, cfg.lexicon, cfg.flag)


_worker_analyzer: Analyzer | None = None


def _init_worker(config_dir: str | None) -> None:
    global _worker_analyzer
    _worker_analyzer = build_analyzer(load_config(config_dir))


def _process_in_worker(
    pages: Sequence[FetchedPage],
) -> tuple[list[ProcessedArticle], dict[str, float]]:
    assert _worker_analyzer is not None, "worker used before its initializer ran"
    done = _worker_analyzer.process_pages(pages)
    return done, _worker_analyzer.take_seconds()


class AnalyzerPool:
    """`process(pages)` spreads a batch over the workers and gives the results in input order."""

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

    def process(self, pages: Sequence[FetchedPage]) -> list[ProcessedArticle]:
        if not pages:
            return []
        if self._local is not None:
            done = self._local.process_pages(pages)
            self._add(self._local.take_seconds())
            return done
        assert self._pool is not None, "AnalyzerPool used outside its with-block"
        size = -(-len(pages) // self.workers)
        futures: list[Future[tuple[list[ProcessedArticle], dict[str, float]]]] = [
            self._pool.submit(_process_in_worker, list(pages[i : i + size]))
            for i in range(0, len(pages), size)
        ]
        out: list[ProcessedArticle] = []
        for future in futures:
            done, seconds = future.result()
            out.extend(done)
            self._add(seconds)
        return out
