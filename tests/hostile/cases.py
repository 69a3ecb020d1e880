"""The cases of the hostile battery: what each serves, and what the database must hold after.

Each case is a few feeds on the hostile server. `good` pages must end stored once, `extracted`;
`bad` ones must not be extracted (failed with a one-line error, or never stored). Every case
also has the checks of `probe.problems`: no internal marker and no file content in any column,
no internal server hit, one-line errors. `new` marks the cases that failed before issue 13.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from diplowatch.extractors.urls import canonical_url
from tests.flow_fixtures import NOT_A_FEED, page, rss
from tests.hostile.server import (
    Flaky,
    HostileServer,
    InternalServers,
    answer,
    chunked,
    gzip_bomb_answer,
    gzipped,
    redirect,
    reset,
    trickle,
)

OUTLET = "La Gazette hostile"
SLUGS = ("ligue-1-nantes", "marche-de-noel", "budget-regions")
MANY_ITEMS = 50_000
TRICKLES = 20
HUGE = 70_000  # characters in the huge URLs (httpx's own limit is 65,536)

# A settings.toml for the battery: small caps and budgets so that every case is over in seconds.
SETTINGS = """\
[fetch]
timeout = 1.0
connect_timeout = 1.0
retries = 1
backoff = 0.05
max_backoff = 1.5
max_bytes = 4_000_000
max_redirects = 5
per_host = 4
concurrency = 16
request_deadline = 2.0
host_budget_seconds = 6.0
max_items_per_feed = 50
allow_hosts = ["127.0.0.1"]

[pipeline]
workers = 0
batch_size = 25
"""

Check = Callable[[dict[str, list[dict[str, Any]]]], list[str]]


@dataclass
class Case:
    name: str
    what: str
    new: bool
    feeds: dict[str, dict[str, str]] = field(default_factory=dict)
    good: list[str] = field(default_factory=list)  # canonical URLs stored once, extracted
    bad: list[str] = field(default_factory=list)  # canonical URLs never extracted
    check: Check | None = None  # more: the rows of every table in, problems out


NAMES = (
    "internal links",
    "internal redirects",
    "redirect to data:/javascript:/file:",
    "huge URL, port 70000, invalid URL",
    "gzip bomb",
    "trickle (1 byte / 0.2 s)",
    "50,000-item feed",
    "invalid UTF-8 in a feed",
    "5xx then success",
    "429 with Retry-After",
    "connection resets",
    "Content-Length lies",
    "oversized bodies",
    "billion laughs, external entity",
    "redirect loops",
    "HTML served as a feed",
)


def internal_urls(internal: InternalServers) -> list[str]:
    """Every spelling of an internal address: loopback, private, link-local, mapped, numeric."""
    p = internal.ports["127.0.0.1"]
    urls = [
        f"http://localhost:{p}/secret",
        f"http://LOCALHOST:{p}/secret",
        f"http://localhost.:{p}/secret",
        f"http://127.1:{p}/secret",
        f"http://2130706433:{p}/secret",
        f"http://0x7f000001:{p}/secret",
        f"http://0177.0.0.1:{p}/secret",
        f"http://[::ffff:127.0.0.1]:{p}/secret",
        f"http://[::ffff:7f00:1]:{p}/secret",
        f"http://0.0.0.0:{p}/secret",
        f"http://127.0.0.2:{internal.ports['127.0.0.2']}/secret",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/admin",
        "http://192.168.1.1/admin",
        "http://[fd00::1]/admin",
        "http://[fe80::1]/admin",
        "http://224.0.0.1/",
    ]
    if "::1" in internal.ports:
        urls.append(f"http://[::1]:{internal.ports['::1']}/secret")
    return urls


class Builder:
    """Lays every case's pages and feeds out on the hostile server."""

    def __init__(self, h: HostileServer, internal: InternalServers) -> None:
        self.h = h
        self.internal = internal
        self.count = 0

    def good(self, case: str, handler: Callable[[bytes], Any] | None = None) -> str:
        """A real article page for `case`, at its own path."""
        self.count += 1
        body = page(SLUGS[self.count % len(SLUGS)])
        path = f"/good/{self.count}.html"
        return self.h.route(path, handler(body) if handler else answer(body))

    def feed(self, case: Case, links: list[str], *, body: bytes | None = None) -> None:
        self.count += 1
        path = f"/feeds/{self.count}.xml"
        data = (
            body if body is not None else rss(case.name, [(u, f"Article {u[-20:]}") for u in links])
        )
        self.h.route(path, answer(data, content_type="application/rss+xml"))
        case.feeds[f"hostile-{self.count}"] = {"outlet": OUTLET, "url": self.h.base + path}

    def case(self, name: str, what: str, *, new: bool) -> Case:
        return Case(name, what, new)

    def standard(self, name: str, what: str, bad: list[str], *, new: bool, good: int = 1) -> Case:
        """A feed listing `good` real pages first, then the `bad` links."""
        case = self.case(name, what, new=new)
        case.good = [self.good(name) for _ in range(good)]
        case.bad = bad
        self.feed(case, case.good + bad)
        return case


def _canonical(case: Case) -> Case:
    case.good = [canonical_url(u) for u in case.good]
    case.bad = [canonical_url(u) for u in case.bad]
    return case


def build_cases(h: HostileServer, internal: InternalServers) -> dict[str, Case]:
    b = Builder(h, internal)
    route = h.route
    cases: list[Case] = []
    inside = internal_urls(internal)

    cases.append(
        b.standard("internal links", f"{len(inside)} links to internal addresses", inside, new=True)
    )
    hops = [route(f"/to-internal/{n}", redirect(u)) for n, u in enumerate(inside)]
    cases.append(
        b.standard("internal redirects", f"{len(hops)} pages redirecting inside", hops, new=True)
    )
    schemes = [
        route("/to-data", redirect("data:text/html,<h1>injected</h1>")),
        route("/to-js", redirect("javascript:alert(1)")),
        route("/to-file", redirect("file:///etc/passwd")),
        route("/to-ftp", redirect("ftp://127.0.0.1/feed.xml")),
        route("/to-mailto", redirect("mailto:redaction@example.org")),
    ]
    cases.append(
        b.standard(
            "redirect to data:/javascript:/file:", "redirects to 5 other schemes", schemes, new=True
        )
    )
    huge = f"{h.base}/huge?q={'a' * HUGE}"
    odd = [
        huge,
        f"http://127.0.0.1:70000/{'port'}",
        "http://[::1/unbalanced",
        route("/to-huge", redirect(huge)),
        route("/to-port", redirect("http://127.0.0.1:70000/x")),
        route("/to-nonsense", redirect("http://[zz")),
    ]
    cases.append(
        b.standard(
            "huge URL, port 70000, invalid URL", "bad URLs as links and as redirects", odd, new=True
        )
    )
    case = b.case("gzip bomb", "200 MB of gzip in 200 KB, next to an honest gzip page", new=True)
    case.good = [b.good("gzip bomb", gzipped)]
    case.bad = [route("/bomb.html", gzip_bomb_answer)]
    b.feed(case, case.good + case.bad)
    cases.append(case)

    slow = [route(f"/trickle/{n}", trickle(0.2)) for n in range(TRICKLES)]
    cases.append(
        b.standard(
            "trickle (1 byte / 0.2 s)", f"{TRICKLES} pages trickling on one host", slow, new=True
        )
    )
    case = b.case("50,000-item feed", f"a feed of {MANY_ITEMS} items", new=True)
    h.route_prefix("/many/", answer(page("budget-regions")))
    items = "".join(f"<item><link>/many/{n}</link></item>" for n in range(MANY_ITEMS))
    case.check = _at_most_one_slice
    b.feed(
        case,
        [],
        body=f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(),
    )
    cases.append(case)

    cases.append(_invalid_utf8(b))
    cases.append(_holding_today(b, "5xx then success", "503 once, then the page"))
    cases.append(_holding_today(b, "429 with Retry-After", "429 Retry-After: 1, then the page"))
    resets = [route("/reset", reset)]
    case = b.standard("connection resets", "reset always / once then the page", resets, new=False)
    case.good.append(route("/reset-once", Flaky(reset, answer(page("marche-de-noel")))))
    b.feed(case, case.good[1:])
    cases.append(case)
    lies = [route("/short", answer("<html><body>coupé", length=50_000))]
    cases.append(b.standard("Content-Length lies", "declares 50,000, sends 18", lies, new=False))
    big = b"<html><body>" + b"<p>bla bla</p>" * 400_000 + b"</body></html>"
    oversized = [route("/big", answer(big)), route("/big-chunked", chunked(big))]
    case = b.standard(
        "oversized bodies", "5.6 MB with and without Content-Length", oversized, new=False
    )
    case.good.append(route("/chunked-ok", chunked(page("ligue-1-nantes"), 1000)))
    b.feed(case, case.good[1:])
    cases.append(case)
    cases.append(_laughs(b))
    loops = [route("/loop", redirect("/loop")), route("/loop-a", redirect("/loop-b"))]
    route("/loop-b", redirect("/loop-a"))
    cases.append(
        b.standard("redirect loops", "a page redirecting to itself, a pair", loops, new=False)
    )
    case = b.standard("HTML served as a feed", "one feed answers an HTML page", [], new=False)
    b.feed(case, [], body=NOT_A_FEED)
    case.check = _html_feed_failed
    cases.append(case)
    by_name = {c.name: _canonical(c) for c in cases}
    assert tuple(by_name) == NAMES, "NAMES and build_cases disagree"
    return by_name


def _holding_today(b: Builder, name: str, what: str) -> Case:
    page_body = answer(page("appel-biden-poutine" if "429" in name else "marche-de-noel"))
    if "429" in name:
        first = answer("slow down", status=429, headers={"Retry-After": "1"})
    else:
        first = answer("panne", status=503)
    case = b.case(name, what, new=False)
    b.count += 1
    case.good = [b.h.route(f"/flaky/{b.count}", Flaky(first, page_body))]
    b.feed(case, case.good)
    return case


FEED_TITLES = ("Kiev réclame des garanties", "Moscou dénonce l'élargissement", "Trêve à l'Est")


def _invalid_utf8(b: Builder) -> Case:
    case = b.case("invalid UTF-8 in a feed", "accents everywhere, one invalid byte", new=True)
    gone = [f"{b.h.base}/disparu/{n}" for n in range(len(FEED_TITLES))]  # 404: the feed's title
    case.good = [b.good(case.name)]
    body = rss(case.name, [(case.good[0], "Un article"), *zip(gone, FEED_TITLES, strict=True)])
    body = body.replace("Kiev ré".encode(), b"Kiev r\xc3")  # one broken sequence
    b.feed(case, [], body=body)
    case.bad = gone

    def titles_intact(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
        stored = sorted(r["title"] for r in rows["articles"] if "/disparu/" in r["url"])
        want = sorted(["Kiev r\ufffdclame des garanties", *FEED_TITLES[1:]])
        return [] if stored == want else [f"feed titles stored as {stored}, expected {want}"]

    case.check = titles_intact
    return case


LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE rss [<!ENTITY lol "lollollollol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<rss version="2.0"><channel><title>&lol4;</title>'
    "<item><title>&lol4; &xxe;</title><link>{good}</link><description>&xxe;</description></item>"
    "<item><title>gone &xxe;</title><link>{gone}</link></item>"
    "</channel></rss>"
)


def _laughs(b: Builder) -> Case:
    case = b.case("billion laughs, external entity", "entity bomb and file:// entity", new=False)
    case.good = [b.good(case.name)]
    gone = f"{b.h.base}/disparu/laughs"
    case.bad = [gone]
    b.feed(case, [], body=LAUGHS.format(good=case.good[0], gone=gone).encode())

    def not_expanded(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
        text = repr(rows)
        return ["an entity was expanded"] if "lollollollollol" in text else []

    case.check = not_expanded
    return case


def _at_most_one_slice(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    stored = [r for r in rows["articles"] if "/many/" in r["url"]]
    if not stored or len(stored) > 50:
        return [f"{len(stored)} articles taken from the long feed, expected 1 to 50"]
    return []


def _html_feed_failed(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    statuses = sorted(str(r["last_status"]) for r in rows["feeds"])
    return [] if statuses == ["failed", "ok"] else [f"feed statuses {statuses}"]
