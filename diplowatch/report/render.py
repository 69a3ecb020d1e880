"""The report as one HTML file: the template and its style inlined, the charts inline SVG.

Nothing in it is fetched: no script, no stylesheet, no image, no font from anywhere. Links to the
articles' own pages are plain `<a href>`s a reader may follow; every claim also links to the
article's text inside the report, its sentence highlighted (`mark:target`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape
from importlib.resources import files
from itertools import zip_longest
from string import Template

from diplowatch import __version__
from diplowatch.report.charts import SIDE_COLORS, palette, stacked_bars, stacked_columns
from diplowatch.report.data import Claim, ReportData, over_time, top_speakers
from diplowatch.storage.articles_read import StoredArticle, sentence_span
from diplowatch.storage.listings import sides_in_order
from diplowatch.storage.readouts import Readout, ReadoutClaim

_HERE = files("diplowatch.report")


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


class Anchors:
    """Where each article's view is in the report, and each claim's sentence inside it."""

    def __init__(self, articles: Sequence[StoredArticle]) -> None:
        self._index = {a.url: i for i, a in enumerate(articles, 1)}
        self._placed: set[tuple[str, int]] = set()
        for a in articles:
            for c in a.claims:
                if sentence_span(a.text, c) is not None:
                    self._placed.add((a.url, c.number))

    def article(self, url: str) -> str:
        i = self._index.get(url)
        return f"#a{i}" if i else _e(url)

    def claim(self, url: str, number: int) -> str:
        i = self._index.get(url)
        if i and (url, number) in self._placed:
            return f"#a{i}-c{number}"
        return self.article(url)


def _side(side: str) -> str:
    color = SIDE_COLORS.get(side, SIDE_COLORS["others"])
    return f'<span class="side" style="background:{color}">{_e(side)}</span>'


def _kind(kind: str, colors: dict[str, str]) -> str:
    return f'<span class="kind" style="border-color:{colors.get(kind, "#999")}">{_e(kind)}</span>'


def _readout_cell(c: ReadoutClaim, anchors: Anchors, kinds: dict[str, str]) -> str:
    who = _e(c.speaker_actor or c.speaker or "?")
    cue = f" <span class=cue>({_e(c.cue)})</span>" if c.cue else ""
    source = f"<div class=src>selon {_e(c.source)}</div>" if c.source else ""
    return (
        f"<div class=claim>{_kind(c.kind, kinds)} <b>{who}</b>{cue}"
        f"<q>{_e(c.content or c.sentence)}</q>{source}"
        f'<div class=where><a href="{anchors.claim(c.url, c.idx + 1)}">{_e(c.outlet)}, '
        f"{_e(c.published)}</a></div></div>"
    )


def _event(ev: Readout, anchors: Anchors, kinds: dict[str, str]) -> str:
    sides = sides_in_order(ev)
    head = "".join(f"<th>{_side(s)}</th>" for s in sides)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{_readout_cell(c, anchors, kinds) if c else ''}</td>" for c in row)
        + "</tr>"
        for row in zip_longest(*sides.values())
    )
    first, last = str(ev.first_seen or "")[:10], str(ev.last_seen or "")[:10]
    when = first if first == last else f"{first} – {last}"
    return (
        f'<article class=event id="event-{_e(ev.event_id)}"><h3>{_e(ev.title)}</h3>'
        f"<p class=meta>event {_e(ev.event_id)} · {_e(when)} · "
        f"{_e(', '.join(ev.countries))}</p>"
        f'<table class=readouts style="--sides:{len(sides)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></article>"
    )


def _claim_rows(claims: Iterable[Claim], anchors: Anchors, kinds: dict[str, str]) -> str:
    rows = []
    for c in claims:
        copies = (
            f' <span class=copies title="wire copies">×{c.copies}</span>' if c.copies > 1 else ""
        )
        who = _e(c.speaker_actor or c.speaker or "?")
        rows.append(
            f"<tr><td class=date>{_e(c.published)}</td><td>{_side(c.side)}</td>"
            f"<td>{who}</td><td>{_kind(c.kind, kinds)}</td><td>{_e(c.content)}</td>"
            f'<td><a href="{anchors.claim(c.url, c.number)}">{_e(c.outlet)}</a>{copies}</td></tr>'
        )
    return "".join(rows)


def _marked_text(article: StoredArticle, prefix: str) -> str:
    """The article's text, escaped, each claim's sentence in a <mark> its claims link to."""
    spans: list[tuple[int, int, list[int]]] = []
    for (start, end), number in sorted(
        (span, c.number) for c in article.claims if (span := sentence_span(article.text, c))
    ):
        if spans and start < spans[-1][1]:
            spans[-1][2].append(number)  # one sentence, several claims: one mark
        else:
            spans.append((start, end, [number]))
    out, at = [], 0
    for start, end, numbers in spans:
        ids = "".join(f'<span id="{prefix}-c{n}"></span>' for n in numbers[1:])
        out.append(_e(article.text[at:start]))
        out.append(
            f'<mark id="{prefix}-c{numbers[0]}" title="claim {", ".join(map(str, numbers))}">'
            f"{ids}{_e(article.text[start:end])}</mark>"
        )
        at = end
    out.append(_e(article.text[at:]))
    return "".join(out)


def _article(article: StoredArticle, i: int) -> str:
    return (
        f'<article class=text id="a{i}"><h3>{_e(article.title or article.url)}</h3>'
        f"<p class=meta>{_e(article.outlet)} · {_e(article.published)} · "
        f'<a href="{_e(article.url)}" rel="noreferrer">{_e(article.url)}</a></p>'
        f"<div class=body>{_marked_text(article, f'a{i}')}</div></article>"
    )


def _summary(data: ReportData) -> str:
    folded = data.articles - data.stories
    cards = [
        (data.articles, "flagged articles"),
        (data.stories, f"stories once {folded} wire cop{'y' if folded == 1 else 'ies'} folded"),
        (len(data.claims), "claims (once per copy group)"),
        (len(data.events), f"events with two sides or more (of {data.events_total})"),
    ]
    return "".join(f"<div class=card><b>{n}</b><span>{_e(t)}</span></div>" for n, t in cards)


def render(data: ReportData, db_label: str) -> str:
    labels, by_side = over_time(data, "side")
    _, by_kind = over_time(data, "kind")
    kinds = palette(list(by_kind))
    anchors = Anchors(data.articles_shown)
    speakers = top_speakers(data)
    outlets = [(o.outlet, {"own story": o.own, "wire copy": o.copies}) for o in data.outlets]
    empty = "<p class=empty>Nothing in this range.</p>"
    first, last = data.first_day(), data.last_day()
    no_events = (
        "<p class=empty>This database has no events yet (`diplowatch reprocess` adds them).</p>"
        if not data.has_events
        else "<p class=empty>No event with claims from two sides or more in this range.</p>"
    )
    values = {
        "title": _e(f"diplowatch report, {first or '…'} to {last or '…'}"),
        "generated": _e(
            f"written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by diplowatch {__version__} "
            f"from {db_label}"
        ),
        "summary": _summary(data),
        "by_side": stacked_columns(labels, by_side, "claims per day by side") if labels else empty,
        "by_kind": stacked_columns(labels, by_kind, "claims per day by kind") if labels else empty,
        "speakers": stacked_bars(speakers, "top speakers", colors=kinds) if speakers else empty,
        "outlets": stacked_bars(
            outlets,
            "flagged stories per outlet",
            colors={"own story": "#4e79a7", "wire copy": "#bab0ac"},
        )
        if outlets
        else empty,
        "events": "".join(_event(ev, anchors, kinds) for ev in data.events) or no_events,
        "claims": _claim_rows(data.claims, anchors, kinds),
        "articles": "".join(_article(a, i) for i, a in enumerate(data.articles_shown, 1)),
        "style": (_HERE / "report.css").read_text(encoding="utf-8"),
    }
    template = Template((_HERE / "template.html").read_text(encoding="utf-8"))
    return template.substitute(values)
