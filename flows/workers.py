"""The engine of the CPU stage (clean, flag, claims): inline, local processes, or a Dask cluster.

spaCy and trafilatura hold the GIL, so the analysis runs in other processes: by default a pool of
`pipeline.workers` local processes, or the workers of an existing Dask
cluster (`--dask tcp://HOST:8786`, setting `engine.dask_address`) through Dask's own client.
Either way the work is one function, `analyse_chunk(spec, pages)`: the configuration travels
with it as data (`AnalysisSpec`), never reread from disk on the worker; each worker process
builds its Analyzer once per configuration and loads the spaCy model on its first flagged story
(a run with no candidate story never pays the seconds of CPU the model costs). The workers
import no Prefect and open no database: the flow process stays the single writer.

Local workers are forked by multiprocessing's forkserver, not forked from the flow process (it
runs Prefect's threads and event loops, which a child would inherit half-copied) nor spawned
bare: the forkserver, a clean process of its own, imports `PRELOAD` once, and each worker starts
with trafilatura, spaCy and the French tokenizer's rules already in memory (spaCy compiles those
rules into one large regex at import: 4 s of CPU that every spawned worker paid again).

With `workers = 0` and no cluster, the analysis runs in the calling thread (tests, small runs).
A local worker dies with the flow process, however that process ends (a watch thread: SIGKILL
leaves no orphan behind).
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.forkserver
import os
import select
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from spacy.language import Language

from diplowatch.errors import EngineError
from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.claims import ClaimExtractor, load_nlp
from diplowatch.extractors.pipeline import Analyzer, FetchedPage, analysis_version
from diplowatch.extractors.records import ProcessedArticle
from diplowatch.settings.loader import Config
from diplowatch.settings.schema import AnalysisSettings
from diplowatch.storage.blobs import compress

#: Pages per call to a worker. Small enough that every worker stays busy to the end of a batch
#: (a chunk of long flagged stories takes several times a plain one), large enough that the
#: per-call pickling and scheduling stay negligible.
CHUNK = 10

#: What the forkserver imports before it forks the first local worker (modules only: the spaCy
#: model itself still loads in a worker on its first flagged story).
PRELOAD = ["diplowatch.flows.workers", "spacy.lang.fr"]

#: Seconds between two looks of a local worker at the flow process, where there are no pidfds.
FLOW_WATCH = 0.5


@functools.cache
def shared_nlp() -> Language:
    """The spaCy pipeline, loaded once per process however many analyzers are built."""
    return load_nlp()


@dataclass(frozen=True)
class AnalysisSpec:
    """What an Analyzer is built from, as plain data: it travels to the workers with the work."""

    actors: dict[str, Any] = field(repr=False)
    lexicon: dict[str, Any] = field(repr=False)
    flag: dict[str, Any] = field(repr=False)
    version: str
    limits: AnalysisSettings | None = field(default=None, repr=False)  # [analysis]

    @classmethod
    def of(cls, cfg: Config) -> AnalysisSpec:
        return cls(cfg.actors, cfg.lexicon, cfg.flag, version_of(cfg), cfg.settings.analysis)


def version_of(cfg: Config) -> str:
    return analysis_version(cfg.actors, cfg.lexicon, cfg.flag)


def build_analyzer(cfg: Config | AnalysisSpec, *, lazy: bool = False) -> Analyzer:
    """An Analyzer for this process; `lazy` defers the spaCy model to the first flagged story."""
    actors = ActorIndex.from_config(cfg.actors)
    limits = cfg.limits if isinstance(cfg, AnalysisSpec) else cfg.settings.analysis
    if lazy:
        return Analyzer(
            actors, cfg.flag, lambda: ClaimExtractor(shared_nlp(), actors, cfg.lexicon), limits
        )
    return Analyzer(actors, cfg.flag, ClaimExtractor(shared_nlp(), actors, cfg.lexicon), limits)


#: This process's analyzers, one per configuration version (a worker serves one run after
#: another, possibly with different configurations).
_analyzers: dict[str, Analyzer] = {}


def analyse_chunk(
    spec: AnalysisSpec, pages: Sequence[FetchedPage]
) -> tuple[list[ProcessedArticle], dict[str, float]]:
    """Analyse pages in a worker: articles in input order, and the CPU seconds per stage.

    Each page comes back compressed for storage, not as sent (a fifth of the bytes to return,
    and the compression's CPU spent here rather than in the single writer).
    """
    analyzer = _analyzers.get(spec.version)
    if analyzer is None:
        analyzer = _analyzers[spec.version] = build_analyzer(spec, lazy=True)
    done = analyzer.process_pages(pages)
    for article in done:
        if article.raw_html is not None:
            article.html_blob, article.raw_html = compress(article.raw_html), None
    return done, analyzer.take_seconds()


def _watch_flow(flow_pid: int) -> None:
    """A local worker's initializer: exit as soon as the flow process is gone, however it ended.

    The worker's parent is the forkserver, which lives on while any worker does: so the worker
    watches the flow process itself, through a pidfd (readable once that process has exited),
    or, where there are no pidfds (not Linux), by asking every `FLOW_WATCH` seconds.
    """
    threading.Thread(
        target=_wait_for_exit, args=(flow_pid,), name="diplowatch-flow-watch", daemon=True
    ).start()
    # Ctrl-C reaches the whole process group: the flow process handles it and stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _wait_for_exit(pid: int) -> None:
    try:
        if hasattr(os, "pidfd_open"):
            select.select([os.pidfd_open(pid)], [], [])
        else:  # not Linux: no pidfds
            while True:
                os.kill(pid, 0)
                threading.Event().wait(FLOW_WATCH)
    except ProcessLookupError:
        pass
    os._exit(1)


def _local_context() -> multiprocessing.context.BaseContext:
    """The forkserver's context, its server started now: it imports `PRELOAD` (seconds) while
    the run fetches its feeds and first pages, instead of when the first pages are ready."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # taken when the forkserver starts, once a process
    multiprocessing.forkserver.ensure_running()
    return context


class Engine:
    """Where `analyse` sends its chunks; results come back in input order, HTML compressed.

    `analyse` blocks its caller (a batch task's thread) and is safe to call from several at
    once: their chunks share the workers' queue. In-process, one batch is analysed at a time.
    """

    def __init__(self, spec: AnalysisSpec, *, workers: int, dask_address: str | None = None):
        self.spec = spec
        self.workers = workers
        self.dask_address = dask_address or None
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None  # distributed.Client, imported only when a cluster is given
        self._inline_lock = threading.Lock()
        self._cancelled = threading.Event()

    @classmethod
    def of(cls, cfg: Config, dask: str | None = None) -> Engine:
        """The engine the configuration asks for; `dask` (the command's --dask) first."""
        settings = cfg.settings
        address = dask or settings.engine.dask_address
        return cls(AnalysisSpec.of(cfg), workers=settings.pipeline.workers, dask_address=address)

    @property
    def where(self) -> str:
        if self.dask_address:
            return f"Dask cluster {self.dask_address}"
        return f"{self.workers} local processes" if self.workers > 0 else "this process"

    def __enter__(self) -> Engine:
        if self.dask_address:
            self._client = _dask_client(self.dask_address)
        elif self.workers > 0:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=_local_context(),
                initializer=_watch_flow,
                initargs=(os.getpid(),),
            )
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def cancel(self) -> None:
        """Stop now: chunks not started are dropped and local workers killed mid-chunk (their
        callers get an error), so that a Ctrl-C never waits for a model to load."""
        self._cancelled.set()
        if self._pool is not None:
            workers = list(self._pool._processes.values())  # no public way before Python 3.14
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in workers:
                process.kill()
        if self._client is not None:
            self._client.cancel(list(self._client.futures.values()))

    def _submit(self, chunk: list[FetchedPage]) -> Any:
        if self._client is not None:
            return self._client.submit(analyse_chunk, self.spec, chunk, pure=False)
        assert self._pool is not None, "Engine used outside its with-block"
        return self._pool.submit(analyse_chunk, self.spec, chunk)

    def analyse(
        self, pages: Sequence[FetchedPage]
    ) -> tuple[list[ProcessedArticle], dict[str, float]]:
        """Analyse a batch and wait for it; raises EngineError if the engine fails under it."""
        if not pages:
            return [], {}
        if self._pool is None and self._client is None:
            with self._inline_lock:
                if self._cancelled.is_set():
                    raise EngineError("the analysis was cancelled: the run is stopping")
                out, seconds = analyse_chunk(self.spec, pages)
        else:
            out, seconds = self._gather(
                [self._submit(list(pages[i : i + CHUNK])) for i in range(0, len(pages), CHUNK)]
            )
        return out, seconds

    def _gather(self, futures: list[Any]) -> tuple[list[ProcessedArticle], dict[str, float]]:
        out: list[ProcessedArticle] = []
        seconds: dict[str, float] = {}
        try:
            for future in futures:
                done, spent = future.result()
                out.extend(done)
                for stage, value in spent.items():
                    seconds[stage] = seconds.get(stage, 0.0) + value
        except Exception as exc:
            for future in futures:
                future.cancel()
            raise EngineError(f"the analysis failed on {self.where}: {_one_line(exc)}") from exc
        return out, seconds


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _dask_client(address: str) -> Any:
    """A client of the cluster at `address`; EngineError in one line when it cannot be reached."""
    from distributed import Client

    try:
        # distributed's Client.__init__ carries no annotations
        return Client(address, timeout="10s", set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        reason = _one_line(exc)
        raise EngineError(f"cannot reach the Dask scheduler at {address}: {reason}") from None
