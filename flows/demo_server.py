"""A loopback HTTP server for the bundled offline demo sample (`diplowatch demo` and the tests).

The sample in `flows/demo_sample/` is ours: invented dispatches in the style of French news
(`articles.toml`) and the feeds that list them (`feeds.toml`). The server renders, on request:

- `/feeds/<id>.xml`: each feed, RSS 2.0 or Atom, with `ETag` and `Last-Modified` headers and a
  `304 Not Modified` answer to a matching `If-None-Match` or `If-Modified-Since`; some feeds add
  tracking parameters (`xtor=...`, `utm_*`) to their links, as real French outlets do;
- `/<section>/YYYY/MM/DD/<slug>_<id>.html`: each article as a full news page, with the
  boilerplate that a cleaner must remove (site header and navigation, "Lire aussi" aside, footer
  with legal links, cookie banner);
- `/`: a small front page linking every article.

Anything else is a 404. The server logs nothing. It imports nothing from Prefect, so the CLI and
the tests can use it alike.

The sample lives at a fixed fake origin, `http://demo.diplowatch.invalid`, whatever loopback
port serves it: its URLs, hence the DuckDB keys, are the same from one demo to the next, and two
demos at once (or anything else on a port) never collide. `.invalid` never resolves (RFC 6761),
so a client reaches the sample only through the route the server hands out::

    with DemoServer() as server:
        feeds = server.feeds()      # same shape as config/feeds.toml's [feeds.<id>] tables
        articles = server.articles()
        server.route                # {"demo.diplowatch.invalid": "127.0.0.1:41234"}
        with httpx.Client(mounts=route_mounts(server.route, sync=True)) as client: ...
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
import tomllib
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from importlib.resources.abc import Traversable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

DEMO_HOST = "demo.diplowatch.invalid"
DEMO_ORIGIN = f"http://{DEMO_HOST}"
DEFAULT_SAMPLE_DIR: Traversable = files("diplowatch.flows") / "demo_sample"
SITE_NAME = "Le Journal démo"
SITE_TAGLINE = "Quotidien d'information générale (site de démonstration)"

SECTION_LABELS = {
    "international": "International",
    "politique": "Politique",
    "economie": "Économie",
    "sport": "Sport",
    "culture": "Culture",
    "planete": "Planète",
    "societe": "Société",
}

NAV = (
    ("/", "À la une"),
    ("/international/", "International"),
    ("/politique/", "Politique"),
    ("/economie/", "Économie"),
    ("/planete/", "Planète"),
    ("/sport/", "Sport"),
    ("/culture/", "Culture"),
    ("/abonnement/", "S'abonner"),
)

FOOTER_LINKS = (
    ("/mentions-legales/", "Mentions légales"),
    ("/cgu/", "Conditions générales d'utilisation"),
    ("/confidentialite/", "Politique de confidentialité"),
    ("/cookies/", "Gestion des cookies"),
    ("/contact/", "Nous contacter"),
    ("/plan-du-site/", "Plan du site"),
)

FOOTER_NOTICE = (
    "© Le Journal démo 2021. Toute reproduction interdite sans l'autorisation de la rédaction. "
    "Les articles de ce site de démonstration sont fictifs."
)
COOKIE_TEXT = (
    "Nous utilisons des cookies et des traceurs pour mesurer l'audience de notre site et vous "
    "proposer des publicités personnalisées. Vous pouvez accepter ou paramétrer vos choix à tout "
    "moment."
)


@dataclass(frozen=True)
class SampleArticle:
    """One article of the sample, as written in `articles.toml`."""

    slug: str
    feeds: tuple[str, ...]
    section: str
    title: str
    author: str
    published: datetime
    paragraphs: tuple[str, ...]
    diplomacy: bool
    summary: str = ""

    @property
    def id(self) -> int:
        """A stable numeric identifier derived from the slug, as outlets put in their URLs."""
        return 6_000_000 + zlib.crc32(self.slug.encode()) % 1_000_000

    @property
    def path(self) -> str:
        """The canonical path of the page, e.g. `/international/2021/12/07/<slug>_6123456.html`."""
        return f"/{self.section}/{self.published:%Y/%m/%d}/{self.slug}_{self.id}.html"


@dataclass(frozen=True)
class SampleFeed:
    """One feed of the sample, as written in `feeds.toml`."""

    id: str
    title: str
    description: str
    outlet: str
    section: str
    format: str  # "rss" or "atom"
    tracking: str = ""  # query string added to the links of every other item
    articles: tuple[SampleArticle, ...] = field(default=())


@dataclass(frozen=True)
class Rendered:
    """A rendered resource with its validators."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime


def _read_toml(path: Traversable) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def load_sample(sample_dir: Traversable) -> tuple[list[SampleArticle], dict[str, SampleFeed]]:
    """Read `articles.toml` and `feeds.toml`; check that every listed feed exists."""
    raw_articles = _read_toml(sample_dir / "articles.toml").get("articles", [])
    raw_feeds = _read_toml(sample_dir / "feeds.toml").get("feeds", {})
    articles = [
        SampleArticle(
            slug=a["slug"],
            feeds=tuple(a["feeds"]),
            section=a["section"],
            title=a["title"],
            author=a["author"],
            published=datetime.fromisoformat(a["published"]),
            paragraphs=tuple(a["paragraphs"]),
            diplomacy=bool(a["diplomacy"]),
            summary=a.get("summary", ""),
        )
        for a in raw_articles
    ]
    slugs = [a.slug for a in articles]
    if len(set(slugs)) != len(slugs):
        raise ValueError(f"{sample_dir}/articles.toml: duplicate slugs")
    feeds: dict[str, SampleFeed] = {}
    for feed_id, f in raw_feeds.items():
        listed = sorted(
            (a for a in articles if feed_id in a.feeds), key=lambda a: a.published, reverse=True
        )
        feeds[feed_id] = SampleFeed(
            id=feed_id,
            title=f["title"],
            description=f.get("description", f["title"]),
            outlet=f.get("outlet", SITE_NAME),
            section=f.get("section", ""),
            format=f.get("format", "rss"),
            tracking=f.get("tracking", ""),
            articles=tuple(listed),
        )
    unknown = {fid for a in articles for fid in a.feeds} - set(feeds)
    if unknown:
        raise ValueError(f"{sample_dir}/articles.toml: unknown feeds {sorted(unknown)}")
    return articles, feeds


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def _summary(article: SampleArticle, limit: int = 280) -> str:
    if article.summary:
        return article.summary
    text = article.paragraphs[0]
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


class Renderer:
    """Builds the feeds and pages of the sample for one base URL."""

    def __init__(
        self, articles: list[SampleArticle], feeds: dict[str, SampleFeed], base_url: str
    ) -> None:
        self.articles = articles
        self.feeds = feeds
        self.base_url = base_url
        self.by_path = {a.path: a for a in articles}

    def url(self, article: SampleArticle) -> str:
        """The canonical URL of an article."""
        return self.base_url + article.path

    def feed_link(self, feed: SampleFeed, article: SampleArticle, index: int) -> str:
        """The link as the feed lists it: every other item carries the feed's tracking query."""
        if feed.tracking and index % 2 == 0:
            return f"{self.url(article)}?{feed.tracking}"
        return self.url(article)

    # -- feeds ------------------------------------------------------------------------------

    def render_feed(self, feed: SampleFeed) -> Rendered:
        """The feed as RSS 2.0 or Atom bytes, with its validators."""
        updated = max(
            (a.published for a in feed.articles), default=datetime(2021, 12, 1, tzinfo=UTC)
        )
        if feed.format == "atom":
            text = self._atom(feed, updated)
            content_type = "application/atom+xml; charset=utf-8"
        else:
            text = self._rss(feed, updated)
            content_type = "application/rss+xml; charset=utf-8"
        body = text.encode("utf-8")
        return Rendered(body, content_type, _etag(body), updated)

    def _rss(self, feed: SampleFeed, updated: datetime) -> str:
        e = xml_escape
        items = []
        for i, a in enumerate(feed.articles):
            link = self.feed_link(feed, a, i)
            items.append(
                "    <item>\n"
                f"      <title>{e(a.title)}</title>\n"
                f"      <link>{e(link)}</link>\n"
                f'      <guid isPermaLink="false">journal-demo-{a.id}</guid>\n'
                f"      <description>{e(_summary(a))}</description>\n"
                f"      <pubDate>{format_datetime(a.published)}</pubDate>\n"
                f"      <dc:creator>{e(a.author)}</dc:creator>\n"
                f"      <category>{e(SECTION_LABELS.get(a.section, a.section))}</category>\n"
                "    </item>\n"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:atom="http://www.w3.org/2005/Atom">\n'
            "  <channel>\n"
            f"    <title>{e(feed.title)}</title>\n"
            f"    <link>{e(self.base_url)}/</link>\n"
            f'    <atom:link href="{e(self.base_url)}/feeds/{e(feed.id)}.xml" rel="self" '
            'type="application/rss+xml"/>\n'
            f"    <description>{e(feed.description)}</description>\n"
            "    <language>fr-FR</language>\n"
            f"    <copyright>{e(SITE_NAME)}</copyright>\n"
            f"    <lastBuildDate>{format_datetime(updated)}</lastBuildDate>\n"
            "    <ttl>15</ttl>\n" + "".join(items) + "  </channel>\n</rss>\n"
        )

    def _atom(self, feed: SampleFeed, updated: datetime) -> str:
        e = xml_escape
        entries = []
        for i, a in enumerate(feed.articles):
            link = self.feed_link(feed, a, i)
            entries.append(
                "  <entry>\n"
                f"    <title>{e(a.title)}</title>\n"
                f'    <link rel="alternate" type="text/html" href="{e(link)}"/>\n'
                f"    <id>urn:journal-demo:article:{a.id}</id>\n"
                f"    <published>{a.published.isoformat()}</published>\n"
                f"    <updated>{a.published.isoformat()}</updated>\n"
                f"    <author><name>{e(a.author)}</name></author>\n"
                f'    <category term="{e(a.section)}" '
                f'label="{e(SECTION_LABELS.get(a.section, a.section))}"/>\n'
                f'    <summary type="text">{e(_summary(a))}</summary>\n'
                "  </entry>\n"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">\n'
            f"  <title>{e(feed.title)}</title>\n"
            f"  <subtitle>{e(feed.description)}</subtitle>\n"
            f'  <link rel="alternate" type="text/html" href="{e(self.base_url)}/"/>\n'
            f'  <link rel="self" type="application/atom+xml" '
            f'href="{e(self.base_url)}/feeds/{e(feed.id)}.xml"/>\n'
            f"  <id>urn:journal-demo:feed:{e(feed.id)}</id>\n"
            f"  <updated>{updated.isoformat()}</updated>\n"
            f"  <rights>{e(SITE_NAME)}</rights>\n" + "".join(entries) + "</feed>\n"
        )

    # -- pages ------------------------------------------------------------------------------

    def _header(self) -> str:
        nav = "\n".join(
            f'        <li><a href="{href}">{html.escape(label)}</a></li>' for href, label in NAV
        )
        return (
            '  <header class="site-header">\n'
            '    <div class="site-header__top">\n'
            f'      <a class="logo" href="/">{html.escape(SITE_NAME)}</a>\n'
            f'      <span class="tagline">{html.escape(SITE_TAGLINE)}</span>\n'
            '      <a class="btn-subscribe" href="/abonnement/">S\'abonner dès 1 €</a>\n'
            '      <a class="login" href="/connexion/">Se connecter</a>\n'
            "    </div>\n"
            '    <nav class="main-nav" aria-label="Rubriques">\n'
            "      <ul>\n"
            f"{nav}\n"
            "      </ul>\n"
            "    </nav>\n"
            "  </header>\n"
        )

    def _footer(self) -> str:
        links = "\n".join(
            f'      <li><a href="{href}">{html.escape(label)}</a></li>'
            for href, label in FOOTER_LINKS
        )
        return (
            '  <footer class="site-footer">\n'
            '    <ul class="footer-links">\n'
            f"{links}\n"
            "    </ul>\n"
            '    <p class="footer-social">Suivez-nous sur les réseaux sociaux et abonnez-vous '
            "à nos lettres d'information.</p>\n"
            f'    <p class="copyright">{html.escape(FOOTER_NOTICE)}</p>\n'
            "  </footer>\n"
            '  <div id="cookie-banner" class="cookie-banner" role="dialog" '
            'aria-label="Gestion des cookies">\n'
            f"    <p>{html.escape(COOKIE_TEXT)}</p>\n"
            '    <button type="button" class="cookie-accept">Tout accepter</button>\n'
            '    <button type="button" class="cookie-settings">Paramétrer</button>\n'
            "  </div>\n"
        )

    def _related(self, article: SampleArticle) -> list[SampleArticle]:
        same = [a for a in self.articles if a.section == article.section and a is not article]
        others = [a for a in self.articles if a.section != article.section]
        return (same + others)[:3]

    def render_article(self, article: SampleArticle) -> Rendered:
        """The article as a full HTML page, with its validators."""
        esc = html.escape
        url = self.url(article)
        date_label = _french_date(article.published)
        section_label = SECTION_LABELS.get(article.section, article.section)
        paragraphs = "\n".join(f"        <p>{esc(p)}</p>" for p in article.paragraphs)
        related = "\n".join(
            f'        <li><a href="{esc(self.url(r))}">{esc(r.title)}</a></li>'
            for r in self._related(article)
        )
        ld = json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": article.title,
                "datePublished": article.published.isoformat(),
                "dateModified": article.published.isoformat(),
                "author": [{"@type": "Person", "name": article.author}],
                "publisher": {"@type": "NewsMediaOrganization", "name": SITE_NAME},
                "inLanguage": "fr-FR",
                "articleSection": section_label,
                "mainEntityOfPage": url,
            },
            ensure_ascii=False,
        ).replace("</", "<\\/")
        page = (
            "<!DOCTYPE html>\n"
            '<html lang="fr">\n'
            "<head>\n"
            '  <meta charset="utf-8">\n'
            '  <meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"  <title>{esc(article.title)} | {esc(SITE_NAME)}</title>\n"
            f'  <meta name="description" content="{esc(_summary(article))}">\n'
            f'  <meta name="author" content="{esc(article.author)}">\n'
            f'  <link rel="canonical" href="{esc(url)}">\n'
            '  <meta property="og:type" content="article">\n'
            f'  <meta property="og:site_name" content="{esc(SITE_NAME)}">\n'
            f'  <meta property="og:title" content="{esc(article.title)}">\n'
            f'  <meta property="og:url" content="{esc(url)}">\n'
            '  <meta property="og:locale" content="fr_FR">\n'
            f'  <meta property="article:published_time" '
            f'content="{article.published.isoformat()}">\n'
            f'  <meta property="article:section" content="{esc(section_label)}">\n'
            f'  <script type="application/ld+json">{ld}</script>\n'
            '  <link rel="stylesheet" href="/static/css/site.css">\n'
            "</head>\n"
            f'<body class="page-article section-{esc(article.section)}">\n'
            + self._header()
            + '  <main id="main" class="content">\n'
            '    <nav class="breadcrumb" aria-label="Fil d\'Ariane">\n'
            f'      <a href="/">Accueil</a> › <a href="/{esc(article.section)}/">'
            f"{esc(section_label)}</a>\n"
            "    </nav>\n"
            '    <article class="article">\n'
            '      <header class="article__header">\n'
            f'        <p class="article__kicker">{esc(section_label)}</p>\n'
            f'        <h1 class="article__title">{esc(article.title)}</h1>\n'
            '        <p class="article__byline">Par <span class="author">'
            f"{esc(article.author)}</span></p>\n"
            f'        <p class="article__date">Publié le <time datetime="'
            f'{article.published.isoformat()}">{esc(date_label)}</time></p>\n'
            "      </header>\n"
            '      <div class="article__content">\n'
            f"{paragraphs}\n"
            "      </div>\n"
            "    </article>\n"
            '    <aside class="read-also">\n'
            "      <h2>Lire aussi</h2>\n"
            "      <ul>\n"
            f"{related}\n"
            "      </ul>\n"
            "    </aside>\n"
            '    <section class="newsletter">\n'
            "      <h2>La lettre du matin</h2>\n"
            "      <p>Recevez chaque jour à 7 heures l'essentiel de l'actualité.</p>\n"
            '      <a href="/newsletters/">Je m\'inscris</a>\n'
            "    </section>\n"
            "  </main>\n" + self._footer() + "</body>\n</html>\n"
        )
        body = page.encode("utf-8")
        return Rendered(body, "text/html; charset=utf-8", _etag(body), article.published)

    def render_index(self) -> Rendered:
        """A front page linking every article, newest first."""
        esc = html.escape
        items = "\n".join(
            f'      <li><a href="{esc(a.path)}">{esc(a.title)}</a></li>'
            for a in sorted(self.articles, key=lambda a: a.published, reverse=True)
        )
        page = (
            '<!DOCTYPE html>\n<html lang="fr">\n<head>\n  <meta charset="utf-8">\n'
            f"  <title>{esc(SITE_NAME)}: toute l'actualité</title>\n</head>\n<body>\n"
            + self._header()
            + f'  <main>\n    <ul class="headlines">\n{items}\n    </ul>\n  </main>\n'
            + self._footer()
            + "</body>\n</html>\n"
        )
        body = page.encode("utf-8")
        updated = max((a.published for a in self.articles), default=datetime.now(UTC))
        return Rendered(body, "text/html; charset=utf-8", _etag(body), updated)


FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _french_date(moment: datetime) -> str:
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {FRENCH_MONTHS[moment.month - 1]} {moment.year} à {moment:%Hh%M}"


def _not_modified(headers: Any, rendered: Rendered) -> bool:
    """Whether a conditional request's validators match (If-None-Match takes precedence)."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or rendered.etag in tags
    ims = headers.get("If-Modified-Since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return rendered.last_modified.replace(microsecond=0) <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "JournalDemo/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the demo server logs no request."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        rendered = self.server.resolve(urlsplit(self.path).path)
        if rendered is None:
            body = b'<!DOCTYPE html><html lang="fr"><title>404</title><p>Page introuvable</p>'
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
            return
        validators = {
            "ETag": rendered.etag,
            "Last-Modified": format_datetime(rendered.last_modified.astimezone(UTC), usegmt=True),
            "Cache-Control": "max-age=60",
        }
        if _not_modified(self.headers, rendered):
            self.send_response(304)
            for key, value in validators.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", rendered.content_type)
        self.send_header("Content-Length", str(len(rendered.body)))
        for key, value in validators.items():
            self.send_header(key, value)
        self.end_headers()
        if send_body:
            self.wfile.write(rendered.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    renderer: Renderer

    def resolve(self, path: str) -> Rendered | None:
        """The resource at `path`, or None."""
        r = self.renderer
        if path in ("/", "/index.html"):
            return r.render_index()
        if path.startswith("/feeds/") and path.endswith(".xml"):
            feed = r.feeds.get(path.removeprefix("/feeds/").removesuffix(".xml"))
            return r.render_feed(feed) if feed else None
        article = r.by_path.get(path)
        return r.render_article(article) if article else None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that hangs up early is not worth a traceback."""


class DemoServer:
    """Serves the demo sample on a free loopback port; use as a context manager.

    Its URLs are under `DEMO_ORIGIN` whatever the port; `route` says where to send them.
    """

    def __init__(self, sample_dir: Traversable | None = None) -> None:
        self.sample_dir = sample_dir if sample_dir is not None else DEFAULT_SAMPLE_DIR
        self._articles, self._feeds = load_sample(self.sample_dir)
        self._renderer = Renderer(self._articles, self._feeds, DEMO_ORIGIN)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> DemoServer:
        """Bind a free loopback port and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.renderer = self._renderer
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="diplowatch-demo-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def address(self) -> str:
        """The loopback `127.0.0.1:PORT` that serves the sample, while started."""
        if self._server is None:
            raise RuntimeError("DemoServer is not started: use it as a context manager")
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def route(self) -> dict[str, str]:
        """Fake host -> loopback address: what a client (or the flow's `route`) needs."""
        return {DEMO_HOST: self.address}

    # -- what it serves ---------------------------------------------------------------------

    @property
    def renderer(self) -> Renderer:
        return self._renderer

    @property
    def base_url(self) -> str:
        """`http://demo.diplowatch.invalid` (no trailing slash), reachable through `route`."""
        return self.renderer.base_url

    def feeds(self) -> dict[str, dict[str, Any]]:
        """feed_id -> a `[feeds.<id>]` table of `config/feeds.toml` for this server."""
        return {
            feed_id: {
                "outlet": feed.outlet,
                "url": f"{self.base_url}/feeds/{feed_id}.xml",
                "section": feed.section,
                "enabled": True,
            }
            for feed_id, feed in self._feeds.items()
        }

    def articles(self) -> list[dict[str, Any]]:
        """The sample's articles with their canonical URLs and our labels, oldest first."""
        return [
            {
                "id": a.id,
                "slug": a.slug,
                "url": self.renderer.url(a),
                "feeds": list(a.feeds),
                "section": a.section,
                "title": a.title,
                "author": a.author,
                "published": a.published.isoformat(),
                "paragraphs": list(a.paragraphs),
                "text": "\n\n".join(a.paragraphs),
                "diplomacy": a.diplomacy,
            }
            for a in sorted(self._articles, key=lambda a: (a.published, a.slug))
        ]


__all__ = [
    "DEFAULT_SAMPLE_DIR",
    "DEMO_HOST",
    "DEMO_ORIGIN",
    "DemoServer",
    "load_sample",
]
