"""Wayback Machine CDX answers -> snapshots to read, and the URLs that read them.

A backfill finds the past of a feed in its archived copies. The CDX API lists them; with
`output=json` it answers a JSON array of rows whose first row is the header, by default
`[urlkey, timestamp, original, mimetype, statuscode, digest, length]`. The rules here:

- columns are read by their header name, not their position, so a server that adds or reorders
  fields (`fl=`) still parses; an empty body or `[]` means "no snapshot", not an error;
- a timestamp is UTC `YYYYMMDDhhmmss` (the archive may shorten it; missing digits are zeros);
- snapshots with the same digest are the same bytes: read once (the CDX `collapse=digest` only
  removes *adjacent* duplicates);
- of one feed, at most `max_per_date` snapshots per date are read, spread over the day so that
  the morning's items and the evening's both show up;
- `{wayback}/{timestamp}id_/{original}` is the archived resource as it was served, without the
  archive's banner or rewritten links (the `id_` flag).

Pure: bytes in, records out. Fetching lives in `flows/backfill.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from diplowatch.errors import ArchiveError

#: The default columns of a CDX JSON answer, used when the first row is not a header.
CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One archived capture of a URL."""

    timestamp: str  # 14 digits, UTC, as the archive writes it
    original: str  # the URL that was captured
    mimetype: str | None = None
    statuscode: int | None = None
    digest: str | None = None
    length: int | None = None
    urlkey: str | None = None

    @property
    def captured(self) -> datetime:
        """When the archive captured it (aware, UTC)."""
        return parse_timestamp(self.timestamp)

    @property
    def day(self) -> date:
        """The UTC date of the capture: the archive's own calendar."""
        return self.captured.date()


def parse_timestamp(value: str) -> datetime:
    """A Wayback timestamp as an aware UTC datetime; `2021120718` is 2021-12-07 18:00:00.

    Raises ValueError when it is not 4 to 14 digits of a real date.
    """
    digits = value.strip()
    if not digits.isdigit() or not 4 <= len(digits) <= 14:
        raise ValueError(f"not a Wayback timestamp: {value!r}")
    full = digits + "0101000000"[len(digits) - 4 :] if len(digits) < 14 else digits
    # months and days pad with 01, hours/minutes/seconds with 00
    return datetime.strptime(full, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def timestamp_of(moment: datetime | date) -> str:
    """The 14-digit Wayback timestamp of a moment (a date is its midnight UTC)."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    elif moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y%m%d%H%M%S")


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None  # the archive writes "-" for unknown status codes and lengths


_SCALARS = (str, int, float, bool, type(None))


def parse_cdx(data: bytes | str) -> list[Snapshot]:
    """The snapshots of a CDX `output=json` answer, in the order the server gave them.

    Rows that lack a readable timestamp or an original URL are skipped: one bad row (the archive
    has some) must not cost the others. Raises ArchiveError when the body is not a JSON table.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    if not text.strip():
        return []
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"CDX answer is not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:  # `[[[[...` thousands deep: hostile, and no table
        raise ArchiveError("CDX answer is nested too deeply to be a table of rows") from None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ArchiveError("CDX answer is not a JSON array of rows")
    # a row is a list of scalars; one holding arrays or objects is skipped like any bad row
    rows = [row for row in rows if all(isinstance(v, _SCALARS) for v in row)]
    if not rows:
        return []
    header: Sequence[str] = CDX_FIELDS
    if "timestamp" in rows[0] and "original" in rows[0]:
        header, rows = [str(name) for name in rows[0]], rows[1:]
    snapshots: list[Snapshot] = []
    for row in rows:
        fields = dict(zip(header, row, strict=False))
        timestamp = str(fields.get("timestamp") or "")
        original = str(fields.get("original") or "").strip()
        if not original:
            continue
        try:
            parse_timestamp(timestamp)
        except ValueError:
            continue
        snapshots.append(
            Snapshot(
                timestamp=timestamp,
                original=original,
                mimetype=str(fields["mimetype"]) if fields.get("mimetype") else None,
                statuscode=_int_or_none(fields.get("statuscode")),
                digest=str(fields["digest"]) if fields.get("digest") else None,
                length=_int_or_none(fields.get("length")),
                urlkey=str(fields["urlkey"]) if fields.get("urlkey") else None,
            )
        )
    return snapshots


def _usable(snapshot: Snapshot) -> bool:
    # an unknown status ("-") is kept: revisit records often carry none, and the fetch will tell
    return snapshot.statuscode is None or snapshot.statuscode == 200


def _spread(items: Sequence[Snapshot], k: int) -> list[Snapshot]:
    """k items evenly spaced over a chronological list, the first and the last included."""
    if len(items) <= k:
        return list(items)
    if k <= 1:
        return [items[-1]]  # the latest capture of a day holds the most of that day's items
    picks = sorted({round(i * (len(items) - 1) / (k - 1)) for i in range(k)})
    return [items[i] for i in picks]


def select_snapshots(
    snapshots: Iterable[Snapshot], start: date, end: date, max_per_date: int
) -> list[Snapshot]:
    """The snapshots worth reading for the dates start..end (inclusive), chronological.

    Only captures answered 200, one per digest (the earliest), at most `max_per_date` per UTC
    date, spread over that date.
    """
    seen: set[str] = set()
    by_day: dict[date, list[Snapshot]] = {}
    for snap in sorted(snapshots, key=lambda s: s.captured):
        if not _usable(snap) or not start <= snap.day <= end:
            continue
        if snap.digest:
            if snap.digest in seen:
                continue
            seen.add(snap.digest)
        by_day.setdefault(snap.day, []).append(snap)
    chosen: list[Snapshot] = []
    for day in sorted(by_day):
        chosen.extend(_spread(by_day[day], max(max_per_date, 1)))
    return chosen


def latest_snapshot(snapshots: Iterable[Snapshot], until: datetime) -> Snapshot | None:
    """The last usable capture taken at or before `until`: an article as it was that day."""
    cutoff = until if until.tzinfo else until.replace(tzinfo=UTC)
    best: Snapshot | None = None
    for snap in snapshots:
        if (
            _usable(snap)
            and snap.captured <= cutoff
            and (best is None or snap.captured > best.captured)
        ):
            best = snap
    return best


def archived_url(wayback_url: str, timestamp: str, original: str) -> str:
    """The archived bytes of `original` captured at `timestamp`, without the archive's rewriting."""
    return f"{wayback_url.rstrip('/')}/{timestamp}id_/{original}"


def cdx_query_url(
    cdx_url: str, url: str, from_date: date | None = None, to_date: date | None = None
) -> str:
    """The CDX query listing the 200 captures of `url` between two dates (inclusive), as JSON.

    `collapse=digest` spares the archive and us the identical captures in a row.
    """
    params: list[tuple[str, str]] = [("url", url)]
    if from_date is not None:
        params.append(("from", from_date.strftime("%Y%m%d")))
    if to_date is not None:
        params.append(("to", to_date.strftime("%Y%m%d")))
    params += [("output", "json"), ("filter", "statuscode:200"), ("collapse", "digest")]
    separator = "&" if "?" in cdx_url else "?"
    return f"{cdx_url}{separator}{urlencode(params)}"
