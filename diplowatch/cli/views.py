"""What `readouts` and `show` print: events side by side, an article with its claims marked.

On a terminal rich draws them to its width; piped, they are plain text that greps well.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import zip_longest
from typing import TextIO

from diplowatch.cli.output import is_terminal, print_rows, terminal_width
from diplowatch.errors import InputError
from diplowatch.storage.articles_read import StoredArticle, StoredClaim, sentence_span
from diplowatch.storage.listings import sides_in_order
from diplowatch.storage.readouts import Readout, ReadoutClaim

READOUT_COLUMNS = (
    "event_id",
    "event_title",
    "side",
    "speaker",
    "speaker_country",
    "kind",
    "cue",
    "source",
    "content",
    "outlet",
    "published",
    "url",
    "claim",
)


def _claim_fields(c: ReadoutClaim) -> tuple[object, ...]:
    return (
        c.side,
        c.speaker_actor or c.speaker,
        c.speaker_country,
        c.kind,
        c.cue,
        c.source,
        c.content or c.sentence,
        c.outlet,
        c.published,
        c.url,
        c.idx + 1,
    )


def _event_json(ev: Readout) -> dict[str, object]:
    sides = {
        side: [dict(zip(READOUT_COLUMNS[2:], _claim_fields(c), strict=True)) for c in claims]
        for side, claims in sides_in_order(ev).items()
    }
    return {
        "event_id": ev.event_id,
        "title": ev.title,
        "first_seen": ev.first_seen,
        "last_seen": ev.last_seen,
        "countries": ev.countries,
        "sides": sides,
    }


def _when(ev: Readout) -> str:
    first, last = str(ev.first_seen or "")[:10], str(ev.last_seen or "")[:10]
    return first if first == last else f"{first} – {last}"


def _claim_text(c: ReadoutClaim) -> str:
    who = c.speaker_actor or c.speaker or "?"
    said = f"{who} ({c.cue})" if c.cue else who
    lines = [f"[{c.kind}] {said}: « {c.content or c.sentence} »"]
    if c.source:
        lines.append(f"selon {c.source}")
    lines.append(f"{c.outlet or ''}, {c.published or ''}: {c.url} (claim {c.idx + 1})")
    return "\n".join(lines)


def _rich_event(ev: Readout, out: TextIO) -> None:
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out, width=terminal_width(), force_terminal=True, highlight=False)
    sides = sides_in_order(ev)
    console.rule(f"[bold]{escape(ev.event_id)}[/bold] {escape(ev.title or '')} ({_when(ev)})")
    table = Table(box=box.SIMPLE_HEAD, expand=True, show_edge=False)
    for side in sides:
        table.add_column(side, overflow="fold", ratio=1)
    for row in zip_longest(*sides.values()):
        table.add_row(*(Text(_claim_text(c)) if c else "" for c in row), end_section=True)
    console.print(table)


def _plain_event(ev: Readout, out: TextIO) -> None:
    out.write(f"== {ev.event_id}: {ev.title} ({_when(ev)})\n")
    for side, claims in sides_in_order(ev).items():
        out.write(f"  {side}:\n")
        for c in claims:
            for i, line in enumerate(_claim_text(c).splitlines()):
                out.write(("    - " if i == 0 else "      ") + line + "\n")
    out.write("\n")


def print_readouts(
    events: Sequence[Readout], fmt: str, out: TextIO, *, excel: bool = False
) -> None:
    """Each event's claims by side: a table for people, json (one event a line) or csv."""
    if fmt == "json":
        for ev in events:
            out.write(json.dumps(_event_json(ev), ensure_ascii=False, default=str) + "\n")
        return
    if fmt == "csv":
        rows = (
            (ev.event_id, ev.title, *_claim_fields(c))
            for ev in events
            for claims in sides_in_order(ev).values()
            for c in claims
        )
        print_rows(READOUT_COLUMNS, rows, "csv", out, excel=excel)
        return
    if not events:
        out.write("(no event with claims from two sides or more)\n")
        return
    for ev in events:
        (_rich_event if is_terminal(out) else _plain_event)(ev, out)


def _spans(article: StoredArticle, claims: Sequence[StoredClaim]) -> list[tuple[int, int, str]]:
    """(start, end, label) of each marked sentence; claims of one sentence share one mark."""
    spans: list[tuple[int, int, list[int]]] = []
    placed = sorted(
        (span, c.number) for c in claims if (span := sentence_span(article.text, c)) is not None
    )
    for (start, end), number in placed:
        if spans and start < spans[-1][1]:
            spans[-1][2].append(number)
        else:
            spans.append((start, end, [number]))
    return [(s, e, ",".join(map(str, n))) for s, e, n in spans]


def _claim_line(c: StoredClaim) -> str:
    who = c.speaker_actor or c.speaker or "?"
    country = f" ({c.speaker_country})" if c.speaker_country else ""
    parts = [f"[{c.number}] {c.kind}: {who}{country}"]
    if c.cue:
        parts.append(f"cue «{c.cue}»")
    if c.addressee:
        parts.append(f"to {c.addressee}")
    if c.source:
        parts.append(f"source: {c.source}")
    return ", ".join(parts) + f"\n    {c.content or c.sentence or ''}"


def print_article(article: StoredArticle, claim: int | None, out: TextIO) -> None:
    """The article's text, its claims' sentences marked ([[N ...]] when piped), then its claims."""
    claims = article.claims
    if claim is not None:
        claims = [c for c in article.claims if c.number == claim]
        if not claims:
            numbers = f"1 to {len(article.claims)}" if article.claims else "none"
            raise InputError(f"show: {article.url} has no claim {claim} (its claims: {numbers})")
    header = f"{article.title or article.url}\n{article.outlet or ''}, {article.published or ''}"
    spans = _spans(article, claims)
    claim_lines = "\n".join(_claim_line(c) for c in claims)
    if is_terminal(out):
        from rich.console import Console
        from rich.text import Text

        console = Console(file=out, width=terminal_width(), force_terminal=True, highlight=False)
        console.print(Text(header, style="bold"))
        console.print(Text(article.url, style="dim"))
        body = Text(article.text)
        for start, end, label in reversed(spans):
            body.stylize("black on yellow", start, end)
            body = body[:start] + Text(f"[{label}] ", style="bold") + body[start:]
        console.print(body)
        console.print()
        console.print(Text(claim_lines))
        return
    text = article.text
    for start, end, label in reversed(spans):
        text = f"{text[:start]}[[{label}| {text[start:end]} ]]{text[end:]}"
    out.write(f"{header}\n{article.url}\n\n{text}\n\n{claim_lines}\n")


__all__ = ["print_article", "print_readouts"]
