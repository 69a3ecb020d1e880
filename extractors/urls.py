"""Canonical URLs: the key of an article everywhere (database, deduplication, logs).

The same story reaches us under many spellings: `?xtor=RSS-3208` from the Le Monde feed,
`#xtor=RSS-3-[general]` from franceinfo, `utm_*` from newsletters, `HTTPS://WWW.Site.fr:443`.
`canonical_url` folds those spellings into one string without ever guessing beyond what is safe:
the path and the meaningful query parameters are kept byte for byte, in their original order
(some sites route on them), only the tracking noise and the parts that never change the resource
(scheme/host case, default port, fragment) are removed.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

# Query parameters that only track where a reader came from; their value never changes the page.
# Compared case-insensitively. Exact names:
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # AT Internet / Piano (French publishers: Le Monde, franceinfo, Le Figaro, ...)
        "xtor",
        "xtref",
        "xtcr",
        "xts",
        # Google, Microsoft, Meta, TikTok, Twitter/X, Yandex ad click ids
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "fbclid",
        "msclkid",
        "ttclid",
        "twclid",
        "yclid",
        "igshid",
        "igsh",
        "_ga",
        "_gl",
        # Mailchimp, HubSpot, Marketo, Olytics, Vero (newsletters)
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        # social-sharing tools
        "echobox",  # Echobox auto-posting: `?Echobox=1712345678`
        "ebx",
        "ref_src",  # Twitter/X embeds
        "ref_url",
        "smid",  # New York Times-style share ids
        "cmpid",
        "s_cid",
        "li_fat_id",
        "rb_clickid",
        "at_medium",
        "at_campaign",
    }
)

# Prefixes: every parameter whose (lowercased) name starts with one of these is tracking.
TRACKING_PREFIXES: tuple[str, ...] = (
    "utm_",  # Google Analytics campaign tags
    "at_",  # AT Internet / Piano campaign tags (at_medium, at_campaign, at_creation, ...)
    "ns_",  # comScore (ns_mchannel, ns_source, ns_campaign, ...)
    "pk_",  # Matomo/Piwik campaign tags
    "mtm_",  # Matomo campaign tags
    "hsa_",  # HubSpot ads
)

# `ref` is tracking when its value is a source label (`?ref=rss`, `?ref=twitter`,
# `?ref=homepage-a-la-une`); a value with a digit may be a real identifier, so it is kept.
_REF_LABEL = re.compile(r"[A-Za-z_.\-]*")

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str, value: str) -> bool:
    """Whether one decoded query parameter is tracking noise."""
    key = name.strip().lower()
    if key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES):
        return True
    return key == "ref" and _REF_LABEL.fullmatch(value) is not None


def _clean_query(query: str) -> str:
    """The query without tracking parameters, the others kept verbatim and in order."""
    if not query:
        return ""
    kept = []
    for part in query.split("&"):
        if not part:
            continue  # `?&a=1&&b=2`: empty separators carry nothing
        name, _, value = part.partition("=")
        if _is_tracking(unquote_plus(name), unquote_plus(value)):
            continue
        kept.append(part)
    return "&".join(kept)


def _netloc(parts: SplitResult) -> str:
    """Host lowercased and default port dropped; user info (rare, kept) left as given."""
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal: brackets were stripped by urlsplit
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a non-numeric or out-of-range port: keep what was written
        return parts.netloc.lower()
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    userinfo, sep, _ = parts.netloc.rpartition("@")
    return f"{userinfo}@{host}" if sep else host


def canonical_url(url: str) -> str:
    """One spelling per resource: see the module docstring for what is folded and why.

    Pure and idempotent: `canonical_url(canonical_url(u)) == canonical_url(u)`. A string that
    is not an absolute URL comes back stripped but otherwise untouched; callers decide what to
    do with it (feeds skip links that are not http(s)).
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced `[` in the host: not a URL we can fold
        return text
    if not parts.scheme or not parts.netloc:
        return text
    scheme = parts.scheme.lower()
    path = parts.path or "/"
    return urlunsplit((scheme, _netloc(parts), path, _clean_query(parts.query), ""))


def host_of(url: str) -> str:
    """The lowercased host name of `url` (no port, no user info); "" when it has none.

    Used as the key of per-host politeness limits, so `WWW.Lemonde.fr:443` and
    `www.lemonde.fr` count as the same host.
    """
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""
