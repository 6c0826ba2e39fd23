"""When a landing folder is due and whether it arrived in time: plain values, no Dagster.

A source's folder for day D is due at `time` on D + `days_after` in `timezone` (config
`quality.arrivals`); wall-clock times are converted with zoneinfo, so a due time in a zone with
daylight saving keeps its local hour across the change. A tick of the arrival schedule at local
date L checks the folder of day L - `days_after`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pipeline_ops.config.quality import Arrival


def due_at(arrival: Arrival, day: dt.date) -> dt.datetime:
    """The UTC instant the folder of `day` must be complete."""
    hour, minute = map(int, arrival.time.split(":"))
    local = dt.datetime.combine(day + dt.timedelta(days=arrival.days_after), dt.time(hour, minute),
                                tzinfo=ZoneInfo(arrival.timezone))
    return local.astimezone(dt.timezone.utc)


def day_due(arrival: Arrival, tick: dt.datetime) -> dt.date:
    """The landing day whose folder is due at the schedule tick `tick` (an aware datetime)."""
    return tick.astimezone(ZoneInfo(arrival.timezone)).date() - dt.timedelta(days=arrival.days_after)


@dataclass(frozen=True)
class ArrivalVerdict:
    level: str  # "pass" | "warn" (arrived, but after its due time) | "error" (not there)
    summary: str
    minutes_late: float | None


def judge(source: str, folder: str, files: int, empty_files: int, due: dt.datetime, now: dt.datetime,
          seen_missing: bool = False) -> ArrivalVerdict:
    """Missing or empty folder: error once due (before that, a warn that it is not there yet).
    Present after an earlier check saw it missing past its due time: warn, with how late it was
    seen to land. Otherwise pass. Lateness comes from what was observed, not from file times,
    which copies and object stores do not preserve."""
    if files == 0 or files == empty_files:
        what = "has not arrived" if files == 0 else "arrived empty"
        late = (now - due).total_seconds() / 60
        if late < 0:
            return ArrivalVerdict("warn", f"{source}: {folder} {what} yet (due {due:%Y-%m-%d %H:%M} UTC, "
                                          f"in {-late:.0f} min)", None)
        return ArrivalVerdict("error", f"{source}: {folder} {what}; due {due:%Y-%m-%d %H:%M} UTC, "
                                       f"{late:.0f} min ago", round(late, 1))
    if seen_missing:
        late = max(0.0, (now - due).total_seconds() / 60)
        return ArrivalVerdict("warn", f"{source}: {folder} landed late: missing at its due time "
                                      f"{due:%Y-%m-%d %H:%M} UTC, present {late:.0f} min after it", round(late, 1))
    return ArrivalVerdict("pass", f"{source}: {folder} present with {files} file(s) (due {due:%Y-%m-%d %H:%M} UTC)", 0.0)


def latest_due_day(arrival: Arrival, now: dt.datetime) -> dt.date:
    """The most recent landing day whose folder is due at or before `now`."""
    day = day_due(arrival, now)
    while due_at(arrival, day) > now:
        day -= dt.timedelta(days=1)
    return day


def days_to_check(arrival: Arrival, now: dt.datetime, last_judged: dt.date | None, missing: list[dt.date],
                  max_catch_up: int = 7) -> list[dt.date]:
    """Days an arrival tick must judge: every day due since the last one judged (at most
    `max_catch_up`; a first tick judges only the latest due day, never the whole history) plus
    the days still missing, so a late arrival is recorded when it lands."""
    latest = latest_due_day(arrival, now)
    start = latest if last_judged is None else max(last_judged + dt.timedelta(days=1),
                                                   latest - dt.timedelta(days=max_catch_up - 1))
    new = [start + dt.timedelta(days=i) for i in range((latest - start).days + 1)]
    return sorted(set(new) | {d for d in missing if d > latest - dt.timedelta(days=max_catch_up)})
