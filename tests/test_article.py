"""extract_article and decode_html on pages we write here (the real corpus: test_corpus.py)."""

from __future__ import annotations

import socket
from datetime import date

import pytest

from diplowatch.extractors.article import decode_html, extract_article

PARAGRAPHS = (
    "<p>Le président américain et son homologue russe se sont entretenus mardi pendant deux "
    "heures par visioconférence, selon un communiqué publié dans la soirée à Washington.</p>"
    "<p>La Maison Blanche a fait savoir que la Russie s'exposerait à de fortes sanctions en cas "
    "d'escalade militaire, tandis que le Kremlin a réclamé des garanties de sécurité écrites.</p>"
    "<p>Les deux dirigeants sont convenus de charger leurs équipes de poursuivre les discussions "
    "dans les prochains jours, a précisé un responsable sous couvert d'anonymat.</p>"
)


def page(
    *,
    head: str = '<meta charset="utf-8">',
    html_attrs: str = ' lang="fr-FR"',
    body: str = PARAGRAPHS,
) -> str:
    return (
        f"<!DOCTYPE html><html{html_attrs}><head>{head}"
        "<title>Appel entre Washington et Moscou - Le Quotidien d'essai</title>"
        '<meta property="og:title" content="Washington et Moscou conviennent de se reparler">'
        '<meta name="author" content="Camille Essai">'
        '<meta property="article:published_time" content="2021-12-07T19:45:00+01:00">'
        "</head><body><header><nav><a href='/'>Accueil</a> <a href='/monde'>Monde</a></nav>"
        f"</header><main><article><h1>Washington et Moscou</h1>{body}</article></main>"
        "<footer><p>© Le Quotidien d'essai</p></footer></body></html>"
    )


URL = "https://www.quotidien-essai.fr/international/2021/12/07/appel_101.html"


def test_extracts_text_title_author_date_language() -> None:
    article = extract_article(page().encode("utf-8"), url=URL)
    assert article.url == URL
    assert "fortes sanctions" in article.text
    assert "Accueil" not in article.text  # navigation is boilerplate
    assert article.title == "Washington et Moscou conviennent de se reparler"
    assert article.author == "Camille Essai"
    assert article.published == date(2021, 12, 7)
    assert article.language == "fr"


def test_page_without_text_is_an_empty_article_not_an_error() -> None:
    html = (
        '<html lang="fr"><head><meta charset="utf-8"><title>Le sommet en images</title>'
        '</head><body><div id="player" data-src="/video/123.mp4"></div></body></html>'
    )
    article = extract_article(html.encode("utf-8"), url=URL)
    assert article.text == ""
    assert article.title == "Le sommet en images"
    assert article.language == "fr"


@pytest.mark.parametrize(
    "data", [b"", b"   ", b"\x00\x01\x02binary", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3"]
)
def test_garbage_never_raises(data: bytes) -> None:
    article = extract_article(data, url=URL)
    assert article.text == ""


def test_invalid_utf8_in_declared_utf8_page_does_not_raise() -> None:
    html = page().encode("utf-8").replace("réclamé".encode(), b"r\xe3\xa9clam\xe3\xa8")
    article = extract_article(html, url=URL)
    assert "fortes sanctions" in article.text  # the rest of the text survives
    assert "président américain" in article.text
    assert "\ufffd" in article.text


def test_declared_latin1_page_decoded() -> None:
    html = page(head='<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">')
    article = extract_article(html.encode("cp1252"), url=URL)
    assert "président américain" in article.text


def test_http_charset_wins_over_meta() -> None:
    html = page(head='<meta charset="utf-8">').encode("cp1252")  # the page lies
    article = extract_article(html, url=URL, content_type="text/html; charset=windows-1252")
    assert "président américain" in article.text


def test_language_fallbacks() -> None:
    no_lang = page(
        html_attrs="", head='<meta charset="utf-8"><meta property="og:locale" content="fr_FR">'
    )
    assert extract_article(no_lang.encode(), url=URL).language == "fr"
    http_equiv = page(
        html_attrs="",
        head='<meta charset="utf-8"><meta http-equiv="Content-Language" content="EN-us">',
    )
    assert extract_article(http_equiv.encode(), url=URL).language == "en"
    nothing = page(html_attrs="")
    assert extract_article(nothing.encode(), url=URL).language is None


def test_no_network_during_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    """htmldate and trafilatura must work from the bytes alone, never fetch the URL."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("extract_article tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    html = page(head='<meta charset="utf-8">').replace(
        '<meta property="article:published_time" content="2021-12-07T19:45:00+01:00">', ""
    )
    article = extract_article(html.encode(), url=URL)
    assert article.published == date(2021, 12, 7)  # from the URL path, read not fetched


# --- decode_html ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [
        ("<p>café</p>".encode(), None, "<p>café</p>"),
        ("<p>café</p>".encode("cp1252"), None, "<p>café</p>"),  # undeclared, not UTF-8
        ("<p>“café”</p>".encode("cp1252"), "text/html; charset=ISO-8859-1", "<p>“café”</p>"),
        (b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", "text/html; charset=iso-8859-1", "<p>café</p>"),
        ("<p>café</p>".encode("utf-16"), None, "<p>café</p>"),
        (
            b'<meta charset="nonsense"><p>caf\xc3\xa9</p>',
            None,
            '<meta charset="nonsense"><p>café</p>',
        ),
        (b"<meta charset='utf-16'><p>caf\xc3\xa9</p>", None, "<meta charset='utf-16'><p>café</p>"),
        # mostly UTF-8 with one stray byte, undeclared: stays UTF-8 with one replacement
        (b"<p>caf\xc3\xa9 \xe9t\xc3\xa9 d\xc3\xa9j\xc3\xa0</p>", None, "<p>café \ufffdté déjà</p>"),
    ],
)
def test_decode_html(data: bytes, content_type: str | None, expected: str) -> None:
    assert decode_html(data, content_type) == expected
