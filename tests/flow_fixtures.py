"""Our own little newsroom for the end-to-end tests: article pages and the feeds that list them.

Every text here is written for these tests, in the style of French wire copy.
"""

from __future__ import annotations

from html import escape
from typing import Any

PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="{charset}"><title>{title} | Le Quotidien test</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}">
<meta name="author" content="Rédaction">
</head><body>
<header><nav><a href="/">Accueil</a> <a href="/monde">Monde</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">Par la rédaction, le {day}</p>
{paragraphs}
</article>
<aside><h2>Lire aussi</h2><ul><li><a href="/autre">Un autre article</a></li></ul></aside>
</main>
<footer><p>Mentions légales - Conditions générales - Gérer les cookies</p></footer>
</body></html>
"""

ARTICLES: dict[str, dict[str, Any]] = {
    "appel-biden-poutine": {
        "title": "Joe Biden et Vladimir Poutine se parlent pendant deux heures sur l'Ukraine",
        "published": "2021-12-07T18:30:00+01:00",
        "paragraphs": [
            "Le président américain Joe Biden a menacé mardi la Russie de sanctions économiques "
            "sévères en cas d'invasion de l'Ukraine, lors d'un entretien par visioconférence avec "
            "Vladimir Poutine.",
            "« Nous sommes prêts à répondre avec fermeté », a déclaré Joe Biden à l'issue de la "
            "conversation, selon un communiqué de la Maison Blanche.",
            "Le président russe a demandé des garanties juridiques contre tout élargissement de "
            "l'Otan vers l'Est, a indiqué le Kremlin dans un communiqué.",
            "Le chef de la diplomatie ukrainienne a salué le soutien de Washington et a appelé les "
            "Européens à préparer de nouvelles sanctions contre Moscou.",
        ],
    },
    "ligue-1-nantes": {
        "title": "Ligue 1 : Nantes s'impose à Lens au bout du suspense",
        "published": "2021-12-07T22:00:00+01:00",
        "paragraphs": [
            "Le FC Nantes a battu le RC Lens deux buts à un mardi soir au stade Bollaert, grâce à "
            "un but inscrit dans les arrêts de jeu par son attaquant.",
            "Les Canaris remontent ainsi à la huitième place du classement, à quatre points des "
            "places européennes, avant de recevoir Lyon le week-end prochain.",
            "L'entraîneur nantais s'est félicité de l'état d'esprit de son équipe, qui avait "
            "concédé l'ouverture du score en première période.",
        ],
    },
    "marche-de-noel": {
        "title": "À Strasbourg, le marché de Noël retrouve ses visiteurs",
        "published": "2021-12-06T09:00:00+01:00",
        "paragraphs": [
            "Après une édition annulée l'an dernier, le marché de Noël de Strasbourg a rouvert ses "
            "chalets place Broglie et place de la Cathédrale, sous une fine pluie.",
            "Les commerçants espèrent retrouver une fréquentation proche de celle de 2019, "
            "malgré le contrôle du passe sanitaire à l'entrée du centre historique.",
            "La municipalité a renforcé les transports en commun pendant les week-ends de "
            "décembre pour limiter la circulation automobile.",
        ],
    },
    "budget-regions": {
        "title": "Les régions réclament une hausse de leur dotation pour les lycées",
        "published": "2021-12-06T12:00:00+01:00",
        "paragraphs": [
            "Les présidents de région ont demandé lundi au gouvernement une rallonge budgétaire "
            "pour rénover les lycées, dont beaucoup datent des années 1970.",
            "La rénovation thermique des bâtiments coûtera plusieurs milliards d'euros d'ici 2030, "
            "selon une estimation de leur association.",
            "Le ministère a promis d'examiner la demande lors de la prochaine conférence des "
            "finances publiques, prévue au printemps.",
        ],
    },
}


def page(slug: str, *, charset: str = "utf-8") -> bytes:
    art = ARTICLES[slug]
    paragraphs = "\n".join(f"<p>{escape(p)}</p>" for p in art["paragraphs"])
    published = str(art["published"])
    html = PAGE.format(
        charset=charset,
        title=escape(str(art["title"])),
        published=published,
        day=published[:10],
        paragraphs=paragraphs,
    )
    return html.encode("utf-8")


def rss(title: str, items: list[tuple[str, str]]) -> bytes:
    """An RSS 2.0 feed of (link, title) items."""
    entries = "\n".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link>"
        f"<pubDate>Tue, 07 Dec 2021 18:00:00 +0100</pubDate></item>"
        for link, t in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://example.test/</link>"
        f"<description>Flux de test</description>\n{entries}\n</channel></rss>"
    ).encode()


NOT_A_FEED = (
    b"<!DOCTYPE html><html lang='fr'><head><title>Page introuvable</title></head>"
    b"<body><h1>Cette page n'existe plus</h1><p>Retour \xc3\xa0 l'accueil.</p></body></html>"
)
