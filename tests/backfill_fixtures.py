"""A past newsroom and its archive, served on 127.0.0.1 for the backfill and reprocess tests.

One outlet, "Le Quotidien d'archives", over 6-8 December 2021: an international feed of which the
archive holds captures (CDX JSON on `/cdx`, raw captures on `/web/<timestamp>id_/<url>`), a
sitemap index with monthly sitemaps (Google News dates), live article pages, and one page gone
from the site (404) whose archived copy is all that is left. Every text here is written for these
tests, in the style of French wire copy.

What each date should store:

- 2021-12-06: `lavrov-blinken` (archived feed and sitemap), `greve-cheminots` (sitemap only);
- 2021-12-07: `prix-goncourt` (live 404: from its archived copy of 7 December, not the later
  one), `tribune-sans-date` (no date: from a capture of that day), `appel-biden-poutine` (published
  late in the evening: only in the next morning's capture);
- 2021-12-08: `kiev-garanties` (feed with tracking parameters and sitemap: fetched once),
  `tempete-bretagne` (feed).

Never stored: `marche-noel` (5 December, in the first capture of the 6th), `conseil-europeen`
(20 December, in the December sitemap); and November's sitemap is never read.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from diplowatch.extractors.urls import canonical_url

OUTLET = "Le Quotidien d'archives"
FEED_PATH = "/international/rss.xml"

PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title} | {outlet}</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}">
</head><body>
<header><nav><a href="/">Accueil</a> <a href="/international">International</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">Par la rédaction</p>
{paragraphs}
</article>
<aside><h2>À lire aussi</h2><ul><li><a href="/autre">Un article sans rapport</a></li></ul></aside>
</main>
<footer><p>Mentions légales - Gérer les cookies</p></footer>
</body></html>
"""

ARTICLES: dict[str, dict[str, Any]] = {
    "lavrov-blinken": {
        "path": "/international/2021/12/06/lavrov-blinken-stockholm.html",
        "title": "À Stockholm, Sergueï Lavrov et Antony Blinken se parlent sans s'entendre",
        "published": "2021-12-06T10:15:00+01:00",
        "paragraphs": [
            "Le ministre russe des affaires étrangères, Sergueï Lavrov, a rencontré lundi son "
            "homologue américain Antony Blinken en marge d'une réunion de l'OSCE à Stockholm.",
            "Antony Blinken a averti Moscou que toute nouvelle agression contre l'Ukraine aurait "
            "des conséquences graves, selon un diplomate américain présent à l'entretien.",
            "Sergueï Lavrov a demandé des garanties de sécurité écrites contre l'élargissement de "
            "l'Otan vers l'Est, a indiqué le ministère russe dans un communiqué.",
        ],
    },
    "greve-cheminots": {
        "path": "/societe/2021/12/06/greve-cheminots.html",
        "title": "Les cheminots en grève pour les salaires dans plusieurs régions",
        "published": "2021-12-06T07:30:00+01:00",
        "paragraphs": [
            "Plusieurs syndicats de cheminots ont appelé à une journée de grève lundi pour "
            "réclamer des hausses de salaires face à l'inflation.",
            "La direction prévoit un train sur deux sur les lignes régionales de "
            "Nouvelle-Aquitaine et d'Occitanie, et un trafic presque normal ailleurs.",
        ],
    },
    "prix-goncourt": {
        "path": "/culture/prix-litteraire-remis.html",
        "title": "Un prix littéraire remis à un premier roman",
        "published": "2021-12-07T08:00:00+01:00",
        "paragraphs": [
            "Le jury a couronné mardi un premier roman consacré à une famille de pêcheurs "
            "bretons, au terme d'un vote serré au quatrième tour.",
            "L'éditrice de l'ouvrage s'est réjouie d'un choix qui récompense une petite maison "
            "indépendante installée à Rennes.",
        ],
    },
    "tribune-sans-date": {
        "path": "/idees/tribune-ecoles-rurales.html",
        "title": "Tribune : défendre les écoles rurales",
        "published": "2021-12-07T09:00:00+01:00",
        "paragraphs": [
            "Des maires de petites communes défendent dans cette tribune le maintien des classes "
            "uniques, menacées par la baisse du nombre d'élèves.",
            "Ils proposent de mutualiser les transports scolaires entre villages voisins.",
        ],
    },
    "appel-biden-poutine": {
        "path": "/international/2021/12/07/appel-biden-poutine.html",
        "title": "Joe Biden menace Vladimir Poutine de sanctions en cas d'invasion de l'Ukraine",
        "published": "2021-12-07T21:30:00+01:00",
        "paragraphs": [
            "Le président américain Joe Biden a menacé mardi la Russie de sanctions économiques "
            "sévères en cas d'invasion de l'Ukraine, lors d'un entretien de deux heures avec "
            "Vladimir Poutine.",
            "Vladimir Poutine a demandé des garanties juridiques contre tout élargissement de "
            "l'Otan vers l'Est.",
            "Le Kremlin a publié un communiqué à l'issue de l'appel.",
            "« Les États-Unis se tiennent aux côtés de l'Ukraine », a déclaré Joe Biden.",
        ],
    },
    "kiev-garanties": {
        "path": "/international/2021/12/08/kiev-garanties.html",
        "title": "Volodymyr Zelensky réclame des garanties aux Occidentaux",
        "published": "2021-12-08T11:00:00+01:00",
        "paragraphs": [
            "Le président ukrainien Volodymyr Zelensky a demandé mercredi aux États-Unis et à "
            "l'Union européenne des garanties de sécurité face à la Russie.",
            "Le Kremlin a dénoncé une « provocation » et a accusé l'Otan d'armer l'Ukraine, selon "
            "l'agence Ria Novosti.",
        ],
    },
    "tempete-bretagne": {
        "path": "/planete/tempete-bretagne.html",
        "title": "Une tempête privée d'électricité des milliers de foyers bretons",
        "published": "2021-12-08T06:45:00+01:00",
        "paragraphs": [
            "Des rafales à plus de cent vingt kilomètres par heure ont balayé la pointe du "
            "Finistère dans la nuit, privant d'électricité près de quarante mille foyers.",
            "Les équipes d'Enedis espèrent rétablir le courant dans la journée de jeudi.",
        ],
    },
    "marche-noel": {
        "path": "/regions/marche-noel.html",
        "title": "Le marché de Noël ouvre ses chalets",
        "published": "2021-12-05T18:00:00+01:00",
        "paragraphs": ["Les chalets du marché de Noël ont ouvert samedi sous la pluie."],
    },
    "conseil-europeen": {
        "path": "/international/2021/12/20/conseil-europeen.html",
        "title": "Les Vingt-Sept préparent le sommet de fin d'année",
        "published": "2021-12-20T12:00:00+01:00",
        "paragraphs": ["Les ministres européens préparent le Conseil européen de décembre."],
    },
}

#: Slugs stored for each date by a complete backfill.
EXPECTED: dict[str, set[str]] = {
    "2021-12-06": {"lavrov-blinken", "greve-cheminots"},
    "2021-12-07": {"prix-goncourt", "tribune-sans-date", "appel-biden-poutine"},
    "2021-12-08": {"kiev-garanties", "tempete-bretagne"},
}

#: Pages the live site no longer serves.
GONE = {"prix-goncourt"}


def page(slug: str, *, note: str = "") -> bytes:
    art = ARTICLES[slug]
    paragraphs = [*art["paragraphs"], *([note] if note else [])]
    return PAGE.format(
        title=escape(art["title"]),
        outlet=escape(OUTLET),
        published=art["published"],
        paragraphs="\n".join(f"<p>{escape(p)}</p>" for p in paragraphs),
    ).encode("utf-8")


def rss(base: str, slugs: list[str], *, tracking: dict[str, str] | None = None) -> bytes:
    """The outlet's international feed as it was at one moment; `tracking` adds ?xtor= to links.

    `tribune-sans-date` is listed without a pubDate, as some feeds do.
    """
    tracking = tracking or {}
    entries = []
    for slug in slugs:
        art = ARTICLES[slug]
        link = base + art["path"] + (f"?{tracking[slug]}" if slug in tracking else "")
        date = ""
        if slug != "tribune-sans-date":
            when = datetime.fromisoformat(art["published"])
            date = f"<pubDate>{format_datetime(when)}</pubDate>"
        entries.append(
            f"<item><title>{escape(art['title'])}</title><link>{escape(link)}</link>{date}"
            f"<description>{escape(art['paragraphs'][0])}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(OUTLET)} - International</title><link>{base}/</link>"
        f"<description>L'actualité internationale</description>\n"
        + "\n".join(entries)
        + "\n</channel></rss>"
    ).encode("utf-8")


def sitemap_index(base: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{base}/sitemaps/articles-2021-11.xml</loc><lastmod>2021-11-30T23:00:00+01:00</lastmod></sitemap>
  <sitemap><loc>{base}/sitemaps/articles-2021-12.xml</loc><lastmod>2021-12-31T23:00:00+01:00</lastmod></sitemap>
</sitemapindex>
""".encode()


def sitemap_month(base: str, slugs: list[str]) -> bytes:
    urls = "\n".join(
        f"""  <url><loc>{base}{ARTICLES[s]["path"]}</loc>
    <news:news><news:publication><news:name>{escape(OUTLET)}</news:name><news:language>fr</news:language></news:publication>
    <news:publication_date>{ARTICLES[s]["published"]}</news:publication_date>
    <news:title>{escape(ARTICLES[s]["title"])}</news:title></news:news></url>"""
        for s in slugs
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{urls}
</urlset>
""".encode()


@dataclass
class Capture:
    timestamp: str
    original: str
    body: bytes
    mimetype: str

    @property
    def digest(self) -> str:
        import hashlib

        return hashlib.sha1(self.body).hexdigest().upper()


@dataclass
class ArchiveSite:
    """The live site and the archive on one loopback server, answering in their real formats.

    `fail_cdx_on` makes the CDX API answer 503 to every query whose range starts on that date
    (YYYYMMDD): an archive down in the middle of a backfill.
    """

    base: str
    captures: list[Capture] = field(default_factory=list)
    live: dict[str, bytes] = field(default_factory=dict)
    fail_cdx_on: str | None = None
    requests: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        b = self.base
        feed = b + FEED_PATH
        snapshots = [
            ("20211206110000", rss(b, ["marche-noel"])),
            ("20211206120000", rss(b, ["lavrov-blinken", "marche-noel"])),
            ("20211207090000", rss(b, ["prix-goncourt", "tribune-sans-date", "lavrov-blinken"])),
            # same bytes an hour later: one digest, read once
            ("20211207100000", rss(b, ["prix-goncourt", "tribune-sans-date", "lavrov-blinken"])),
            ("20211208063000", rss(b, ["appel-biden-poutine", "prix-goncourt"])),
            (
                "20211208180000",
                rss(
                    b,
                    ["kiev-garanties", "tempete-bretagne", "appel-biden-poutine"],
                    tracking={"kiev-garanties": "xtor=RSS-3208&utm_source=rss"},
                ),
            ),
        ]
        for ts, body in snapshots:
            self.captures.append(Capture(ts, feed, body, "application/rss+xml"))
        gone = ARTICLES["prix-goncourt"]["path"]
        self.captures.append(
            Capture("20211207150000", b + gone, page("prix-goncourt"), "text/html")
        )
        later = page("prix-goncourt", note="Mise à jour du 10 décembre : rectificatif.")
        self.captures.append(Capture("20211210090000", b + gone, later, "text/html"))
        for slug, art in ARTICLES.items():
            if slug not in GONE:
                self.live[art["path"]] = page(slug)
        self.live["/sitemap_index.xml"] = sitemap_index(b)
        self.live["/sitemaps/articles-2021-11.xml"] = sitemap_month(b, ["marche-noel"])
        self.live["/sitemaps/articles-2021-12.xml"] = sitemap_month(
            b, ["greve-cheminots", "lavrov-blinken", "kiev-garanties", "conseil-europeen"]
        )

    # -- what a test asserts on

    def url(self, slug: str) -> str:
        return self.base + ARTICLES[slug]["path"]

    def fetched(self, path: str) -> int:
        return self.requests[path]

    # -- serving

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests[request.path] += 1
        if request.path == "/cdx":
            return self._cdx(request)
        if request.path.startswith("/web/"):
            return self._capture(request)
        body = self.live.get(request.path)
        if body is None:
            return Response("<html><body><h1>Page introuvable</h1></body></html>", 404)
        kind = "application/xml" if request.path.endswith(".xml") else "text/html; charset=utf-8"
        if request.path == FEED_PATH:
            kind = "application/rss+xml"
        return Response(body, content_type=kind)

    def _cdx(self, request: Request) -> Response:
        query = parse_qs(request.query_string.decode())
        start = query.get("from", ["0"])[0]
        end = query.get("to", ["99999999"])[0]
        if self.fail_cdx_on and start == self.fail_cdx_on:
            return Response("Service Unavailable", 503)
        assert query.get("output") == ["json"], "the CDX API is asked for JSON"
        wanted = canonical_url(query["url"][0])
        rows: list[list[str]] = [
            ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
        ]
        for cap in sorted(self.captures, key=lambda c: c.timestamp):
            day = cap.timestamp[:8]
            if canonical_url(cap.original) != wanted or not start[:8] <= day <= end[:8]:
                continue
            key = re.sub(r"^https?://", "", cap.original)
            rows.append(
                [
                    key,
                    cap.timestamp,
                    cap.original,
                    cap.mimetype,
                    "200",
                    cap.digest,
                    str(len(cap.body)),
                ]
            )
        if len(rows) == 1:
            return Response("[]", content_type="application/json")
        return Response(json.dumps(rows), content_type="application/json")

    def _capture(self, request: Request) -> Response:
        match = re.match(r"^/web/(\d{14})id_/(.+)$", request.full_path.rstrip("?"))
        if not match:
            return Response("bad archive URL", 400)
        timestamp, original = match.groups()
        for cap in self.captures:
            if cap.timestamp == timestamp and cap.original == original:
                return Response(cap.body, content_type=cap.mimetype)
        return Response("not in the archive", 404)


def settings_toml(base: str) -> str:
    """A user's settings.toml: fast retries, in-process analysis, the archive on 127.0.0.1."""
    return (
        "[fetch]\ntimeout = 2.0\nconnect_timeout = 2.0\nretries = 1\nbackoff = 0.05\n"
        "max_backoff = 0.2\n"
        'allow_hosts = ["127.0.0.1"]\n'  # the archive's loopback server may be fetched
        "\n[pipeline]\nworkers = 0\nbatch_size = 2\n\n"
        f'[backfill]\ncdx_url = "{base}/cdx"\nwayback_url = "{base}/web"\n'
        "requests_per_second = 200.0\nmax_snapshots = 2\n"
    )


def feeds_toml(base: str) -> str:
    """A user's feeds.toml adding the test outlet; `--outlet` keeps the shipped ones out."""
    return (
        f'[feeds.archives-international]\noutlet = "{OUTLET}"\nurl = "{base}{FEED_PATH}"\n'
        'section = "International"\n\n'
        f'[outlets."{OUTLET}"]\nsite = "{base}/"\nsitemap = "{base}/sitemap_index.xml"\n'
    )


# -- fixtures' bodies (each test module declares its own two-line fixtures around these) --------


def serve_archive() -> Iterator[tuple[ArchiveSite, HTTPServer]]:
    """Our own server, not the shared `httpserver`: tests stop it to prove nothing calls it."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    site = ArchiveSite(base=f"http://127.0.0.1:{server.port}")
    server.expect_request(re.compile(".*")).respond_with_handler(site.handle)
    try:
        yield site, server
    finally:
        if server.is_running():
            server.stop()


def write_user_config(directory: Path, site: ArchiveSite) -> Path:
    """A user's config directory pointing the archive settings and the test outlet at `site`."""
    directory.mkdir()
    (directory / "settings.toml").write_text(settings_toml(site.base), encoding="utf-8")
    (directory / "feeds.toml").write_text(feeds_toml(site.base), encoding="utf-8")
    return directory


# -- fixtures shared by the backfill and reprocess tests (imported there by name) -----------------


@pytest.fixture
def archive() -> Iterator[tuple[ArchiveSite, HTTPServer]]:
    yield from serve_archive()


@pytest.fixture
def user_config(tmp_path: Path, archive: tuple[ArchiveSite, HTTPServer]) -> Path:
    return write_user_config(tmp_path / "config", archive[0])


def run_cli(*args: str) -> int:
    from diplowatch.cli import main

    return main(list(args))
