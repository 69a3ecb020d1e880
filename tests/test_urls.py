"""canonical_url folds the spellings of one article URL into one key, and nothing more."""

from __future__ import annotations

import pytest

from diplowatch.extractors.urls import canonical_url, host_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # scheme and host case, default ports
        ("HTTPS://WWW.LeMonde.FR/International/", "https://www.lemonde.fr/International/"),
        ("https://www.lemonde.fr:443/a", "https://www.lemonde.fr/a"),
        ("http://www.lemonde.fr:80/a", "http://www.lemonde.fr/a"),
        ("http://localhost:8080/a", "http://localhost:8080/a"),
        ("https://example.org:80/a", "https://example.org:80/a"),  # 80 is not https's default
        # empty path, whitespace, fragment
        ("https://www.rfi.fr", "https://www.rfi.fr/"),
        ("  \n https://www.rfi.fr/fr/europe \t\n", "https://www.rfi.fr/fr/europe"),
        (
            "https://www.francetvinfo.fr/monde/x_7066466.html#xtor=RSS-3-[general]",
            "https://www.francetvinfo.fr/monde/x_7066466.html",
        ),
        # tracking parameters, the others kept in order and verbatim
        ("https://www.lemonde.fr/a.html?xtor=RSS-3208", "https://www.lemonde.fr/a.html"),
        (
            "https://ex.fr/a?utm_source=rss&id=42&utm_medium=feed&page=2",
            "https://ex.fr/a?id=42&page=2",
        ),
        ("https://ex.fr/a?b=2&a=1", "https://ex.fr/a?b=2&a=1"),  # order kept, not sorted
        ("https://ex.fr/a?q=caf%C3%A9+cr%C3%A8me", "https://ex.fr/a?q=caf%C3%A9+cr%C3%A8me"),
        ("https://ex.fr/a?fbclid=IwAR0x&gclid=abc&dclid=1", "https://ex.fr/a"),
        ("https://ex.fr/a?mc_cid=1&mc_eid=2&_ga=3&igshid=4", "https://ex.fr/a"),
        ("https://ex.fr/a?at_medium=rss&at_campaign=x&at_custom1=y", "https://ex.fr/a"),
        ("https://ex.fr/a?ns_mchannel=rss&ns_source=x&xtref=y", "https://ex.fr/a"),
        ("https://ex.fr/a?Echobox=1712345678", "https://ex.fr/a"),
        ("https://ex.fr/a?UTM_Source=x", "https://ex.fr/a"),  # names compared case-insensitively
        ("https://ex.fr/a?ref=rss", "https://ex.fr/a"),
        ("https://ex.fr/a?ref_src=twsrc%5Etfw", "https://ex.fr/a"),
        ("https://ex.fr/a?ref=12345", "https://ex.fr/a?ref=12345"),  # may be an identifier
        ("https://ex.fr/a?&&id=1&", "https://ex.fr/a?id=1"),
        ("https://ex.fr/a?", "https://ex.fr/a"),
        ("https://ex.fr/a?flag", "https://ex.fr/a?flag"),
        # path untouched (case, encoding, trailing slash)
        (
            "https://www.dw.com/fr/la-perte-des-%C3%A9l%C3%A9phants/a-6533123",
            "https://www.dw.com/fr/la-perte-des-%C3%A9l%C3%A9phants/a-6533123",
        ),
        ("https://ex.fr/A/b/", "https://ex.fr/A/b/"),
        # IPv6 literal and user info
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("http://[::1]:8000/x", "http://[::1]:8000/x"),
        ("https://User@Ex.FR/x", "https://User@ex.fr/x"),
        # not absolute URLs: stripped, otherwise untouched
        ("  /relative/path ", "/relative/path"),
        ("mailto:redaction@ex.fr", "mailto:redaction@ex.fr"),
        ("", ""),
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "HTTPS://WWW.LeMonde.FR:443/a?utm_source=x&b=1#top",
        "https://ex.fr",
        "http://[::1]:8000/x?ref=rss&y=2",
    ],
)
def test_canonical_url_is_idempotent(raw: str) -> None:
    once = canonical_url(raw)
    assert canonical_url(once) == once


def test_canonical_url_malformed_does_not_raise() -> None:
    assert canonical_url("http://[broken/x") == "http://[broken/x"
    assert canonical_url("http://ex.fr:notaport/x") == "http://ex.fr:notaport/x"


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("https://WWW.LeMonde.fr:443/x", "www.lemonde.fr"),
        ("http://user@ex.fr:8080/", "ex.fr"),
        ("http://[::1]:8000/", "::1"),
        ("/relative", ""),
        ("http://[broken", ""),
    ],
)
def test_host_of(raw: str, host: str) -> None:
    assert host_of(raw) == host
