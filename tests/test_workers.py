"""The Engine across real worker processes, and the Analyzer's lazily built claim extractor.

The flow tests run the analysis in-process (`workers = 0`); these check that the process pool
gives the same results, in input order, with each page's raw HTML put back (the workers do not
send it back), that no worker outlives its parent, and that the spaCy model is only built when a
flagged story needs it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from diplowatch.extractors.actors import ActorIndex
from diplowatch.extractors.claims import ClaimExtractor
from diplowatch.extractors.pipeline import Analyzer, FetchedPage
from diplowatch.extractors.records import FeedItem, ProcessedArticle
from diplowatch.flows.workers import CHUNK, AnalysisSpec, Engine, shared_nlp
from diplowatch.settings.loader import load_config
from diplowatch.storage.blobs import decompress
from tests.flow_fixtures import page

pytestmark = pytest.mark.slow

SLUGS = ("appel-biden-poutine", "ligue-1-nantes", "marche-de-noel")


def fetched(slug: str, i: int) -> FetchedPage:
    url = f"https://quotidien.test/{i}/{slug}.html"
    item = FeedItem(url=url, link=url, feed="test", outlet="Le Quotidien test", title=slug)
    return FetchedPage(item, page(slug), datetime.now(UTC), 200, "text/html; charset=utf-8")


def summary(done: list[ProcessedArticle]) -> list[tuple[object, ...]]:
    return [
        (
            d.item.url,
            d.status,
            d.article.text if d.article else None,
            d.flag.relevant if d.flag else None,
            [c.to_dict() for c in d.claims],
        )
        for d in done
    ]


def test_pool_matches_in_process_analysis_in_order_with_the_pages_compressed() -> None:
    from concurrent.futures import ThreadPoolExecutor

    spec = AnalysisSpec.of(load_config(None))
    pages = [fetched(SLUGS[i % len(SLUGS)], i) for i in range(2 * CHUNK + 3)]
    with Engine(spec, workers=2) as engine, ThreadPoolExecutor(2) as threads:
        # two batches in flight at once, from two threads, as the flow's batch tasks do
        first = threads.submit(engine.analyse, pages[: CHUNK + 1])
        second = threads.submit(engine.analyse, pages[CHUNK + 1 :])
        (done_1, seconds), (done_2, _) = first.result(), second.result()
    with Engine(spec, workers=0) as local:
        expected, _ = local.analyse(pages)

    done = done_1 + done_2
    assert summary(done) == summary(expected)
    # each page comes back compressed for storage, its raw bytes no longer carried
    assert [decompress(d.html_blob or b"") for d in done] == [p.html for p in pages]
    assert [decompress(d.html_blob or b"") for d in expected] == [p.html for p in pages]
    assert all(d.raw_html is None for d in done + expected)
    assert any(d.claims for d in done)  # the diplomacy story went through the parse
    assert seconds["clean"] > 0


def test_a_worker_dies_with_its_parent(tmp_path) -> None:
    """SIGKILL the process that owns the pool: its workers are gone within seconds."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, time\n"
        "from diplowatch.settings.loader import load_config\n"
        "from diplowatch.flows.workers import AnalysisSpec, Engine\n"
        "with Engine(AnalysisSpec.of(load_config(None)), workers=2) as engine:\n"
        "    pids = [engine._pool.submit(__import__('os').getpid).result() for _ in range(4)]\n"
        "    print(' '.join(map(str, sorted(set(pids)))), flush=True)\n"
        "    time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        workers = [int(pid) for pid in child.stdout.readline().split()]
        assert workers and all(os.path.exists(f"/proc/{pid}") for pid in workers)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers), "a worker outlived the killed run"


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped by init, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_claim_extractor_built_on_first_flagged_story_only() -> None:
    cfg = load_config(None)
    actors = ActorIndex.from_config(cfg.actors)
    built: list[ClaimExtractor] = []

    def factory() -> ClaimExtractor:
        built.append(ClaimExtractor(shared_nlp(), actors, cfg.lexicon))
        return built[-1]

    analyzer = Analyzer(actors, cfg.flag, factory)
    quiet = analyzer.process_pages([fetched("ligue-1-nantes", 0), fetched("marche-de-noel", 1)])
    assert not any(d.flag and d.flag.relevant for d in quiet)
    assert built == []

    analyzer.process_pages([fetched("appel-biden-poutine", 2)])
    analyzer.process_pages([fetched("appel-biden-poutine", 3)])
    assert len(built) == 1
