"""The demo sample as a news site: its feeds (RSS 2.0 or Atom) and its HTML pages.

Each page carries the boilerplate that a cleaner must remove (site header and navigation,
"Lire aussi" aside, footer with legal links, cookie banner); some feeds add tracking parameters
(`xtor=...`, `utm_*`) to their links, as real French outlets do. `server.py` serves what this
renders.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape

from diplowatch.demo.loader import SITE_NAME, SampleArticle, SampleFeed

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
class Rendered:
    """A rendered resource with its validators."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime


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


__all__ = [
    "COOKIE_TEXT",
    "FOOTER_NOTICE",
    "SECTION_LABELS",
    "Rendered",
    "Renderer",
]
