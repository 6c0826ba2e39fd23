"""Wall-clock to UTC conversions with one documented rule for DST edges.

Shifts are stored as wall-clock start and end in their zone (pitfall 3) and turned into UTC
instants only to compare or to count elapsed hours (pitfall 1). Two wall times need a rule:

* Nonexistent (spring-forward gap, e.g. 02:30 Europe/Berlin on the last Sunday of March): the
  boundary moves to the first wall time that exists after the gap (03:00 CEST), as GoAlert does.
* Ambiguous (fall-back, e.g. 02:30 Europe/Berlin on the last Sunday of October happens twice):
  the boundary is the first occurrence (`fold=0`); the shift that starts there gets the repeated
  hour.

An instant typed without an offset (`who --at 2025-10-26T02:30`) follows the same rule.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def exists(naive: dt.datetime, tz: ZoneInfo) -> bool:
    """True unless `naive` falls in a spring-forward gap of `tz`."""
    aware = naive.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return back == naive


@lru_cache(maxsize=65536)
def wall_to_utc(naive: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of wall time `naive` in `tz` (gap: first existing time after; fold: first)."""
    if not exists(naive, tz):
        # Walk forward to the end of the gap; gaps end on a whole minute in every tz database zone.
        probe = naive.replace(second=0, microsecond=0)
        while not exists(probe, tz):
            probe += dt.timedelta(minutes=1)
        naive = probe
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)


def to_utc(value: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Aware -> UTC; naive -> read as wall time in `tz` by the rule above."""
    if value.tzinfo is None:
        return wall_to_utc(value, tz)
    return value.astimezone(UTC)


def parse_iso(text: str) -> dt.datetime:
    """ISO-8601 date-time text, with or without an offset (`Z` is UTC); naive when it has none."""
    return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))


def parse_instant(text: str | dt.datetime | dt.date, tz: ZoneInfo) -> dt.datetime:
    """ISO-8601 text (with or without offset, or a bare date = its midnight) -> UTC instant."""
    if isinstance(text, dt.datetime):
        return to_utc(text, tz)
    if isinstance(text, dt.date):
        return wall_to_utc(dt.datetime.combine(text, dt.time()), tz)
    return to_utc(parse_iso(text), tz)


def day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of calendar day `day` in `tz` (23 or 25 h long on DST days)."""
    midnight = dt.datetime.combine(day, dt.time())
    return wall_to_utc(midnight, tz), wall_to_utc(midnight + dt.timedelta(days=1), tz)


def local(instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return instant.astimezone(tz)


def hours(a: dt.datetime, b: dt.datetime) -> float:
    """Elapsed hours between two instants (always via UTC, never wall-clock difference)."""
    return (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds() / 3600.0
