"""The report's charts, written as static inline SVG: no script, no font file, no network.

Two shapes cover the report: stacked columns over time (claims per day by side, by kind) and
stacked horizontal bars (top speakers, stories per outlet). Each bar segment carries a `<title>`,
which a browser shows on hover, so the exact counts are there without any script.
Hand-written rather than drawn by a plotting library: see README, "Reading the results".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

FONT = "font-family:system-ui,sans-serif;font-size:11px"
AXIS = "#888"

#: One colour per side of the readouts, the same in every chart and table.
SIDE_COLORS = {
    "USA": "#1f5fa8",
    "RUS": "#c0392b",
    "UKR": "#e0a800",
    "others": "#6c7a89",
    "unknown": "#c8cdd2",
}
_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def palette(names: Sequence[str]) -> dict[str, str]:
    """A colour per name: the side colours where they apply, the palette's in order elsewhere."""
    colors: dict[str, str] = {}
    free = iter(_PALETTE * (len(names) // len(_PALETTE) + 1))
    for name in names:
        colors[name] = SIDE_COLORS.get(name) or next(free)
    return colors


def _ticks(top: int) -> list[int]:
    """A few round values from 0 to at least `top`."""
    if top <= 0:
        return [0, 1]
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        step = candidate
        if top / candidate <= 5:
            break
    last = -(-top // step) * step
    return list(range(0, last + 1, step))


def _legend(colors: Mapping[str, str], x: float, y: float) -> list[str]:
    parts = []
    for name, color in colors.items():
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="{y:.1f}">{escape(name)}</text>')
        x += 24 + 6.5 * len(name)
    return parts


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}" '
        f'style="{FONT}">' + "".join(body) + "</svg>"
    )


def stacked_columns(
    buckets: Sequence[str],
    series: Mapping[str, Sequence[int]],
    label: str,
    *,
    width: int = 760,
    height: int = 240,
) -> str:
    """One column per bucket (a day, a week), stacked by series, with a y axis and a legend."""
    colors = palette(list(series))
    left, right, top, bottom = 36, 8, 26, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s[i] for s in series.values()) for i in range(len(buckets))]
    ticks = _ticks(max(totals, default=0))
    scale = plot_h / ticks[-1]
    body = _legend(colors, left, 12)
    for t in ticks:
        y = top + plot_h - t * scale
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e5e5e5"/><text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{AXIS}">{t}</text>'
        )
    slot = plot_w / max(len(buckets), 1)
    bar = max(min(slot * 0.8, 40), 1)
    every = max(1, round(len(buckets) / 12))  # at most a dozen labels under the axis
    for i, bucket in enumerate(buckets):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for name, values in series.items():
            value = values[i]
            if value <= 0:
                continue
            h = value * scale
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colors[name]}"><title>{escape(bucket)}: {escape(name)} {value}'
                "</title></rect>"
            )
        if i % every == 0:
            cx = left + i * slot + slot / 2
            body.append(
                f'<text x="{cx:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                f'fill="{AXIS}">{escape(bucket[5:] if len(bucket) == 10 else bucket)}</text>'
            )
    body.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{AXIS}"/>'
    )
    return _svg(width, height, label, body)


def stacked_bars(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    label: str,
    *,
    colors: Mapping[str, str] | None = None,
    width: int = 760,
    bar: int = 16,
) -> str:
    """One horizontal bar per row (a speaker, an outlet), stacked by segment, count at its end."""
    names = list(dict.fromkeys(name for _, parts in rows for name in parts))
    colors = dict(colors or palette(names))
    label_w = min(230, 12 + 6 * max((len(r[0]) for r in rows), default=10))
    left, right, top = label_w, 40, 24
    height = top + len(rows) * (bar + 6) + 6
    top_value = max((sum(parts.values()) for _, parts in rows), default=1) or 1
    scale = (width - left - right) / top_value
    body = _legend({n: colors[n] for n in names}, 4, 12)
    for i, (name, parts) in enumerate(rows):
        y = top + i * (bar + 6)
        shown = name if len(name) <= 36 else name[:35] + "…"
        body.append(
            f'<text x="{left - 6}" y="{y + bar - 4}" text-anchor="end">{escape(shown)}</text>'
        )
        x = float(left)
        for part, value in parts.items():
            if value <= 0:
                continue
            w = value * scale
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" '
                f'fill="{colors[part]}"><title>{escape(name)}: {escape(part)} {value}'
                "</title></rect>"
            )
            x += w
        body.append(
            f'<text x="{x + 4:.1f}" y="{y + bar - 4}" fill="{AXIS}">{sum(parts.values())}</text>'
        )
    return _svg(width, height, label, body)
