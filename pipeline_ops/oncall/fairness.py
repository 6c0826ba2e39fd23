"""Fairness figures per member over a range: the numbers to decide who covers next.

Hours are elapsed time (UTC), never wall-clock differences, and are split by the team-timezone
calendar: `holiday` (a team holiday) beats `weekend` (not a business weekday) beats `business`
(inside business hours) / `off_hours` (the rest of a business day). Only primary time is split;
backup time is reported as one figure. A holiday is "worked" by whoever is primary at 12:00 on
it (the same rule that earns plan 001's compensating day off).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from pipeline_ops.oncall.timeline import Segment, member_spans, segments
from pipeline_ops.oncall.timeutil import day_bounds

if TYPE_CHECKING:
    from pipeline_ops.oncall.engine import OnCallEngine


@dataclass
class Fairness:
    member: str
    shifts: int = 0  # contiguous spans as primary
    primary_hours: float = 0.0
    business: float = 0.0
    off_hours: float = 0.0
    weekend: float = 0.0
    holiday: float = 0.0
    backup_hours: float = 0.0
    holidays_worked: int = 0
    comp_days_owed: int = 0

    def as_dict(self) -> dict:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _day_parts(engine: OnCallEngine, day: dt.date) -> list[tuple[dt.datetime, dt.datetime, str]]:
    start, end = day_bounds(day, engine.tz)
    business = engine.business
    if business.holiday(day):
        return [(start, end, "holiday")]
    if day.weekday() not in business.days:
        return [(start, end, "weekend")]
    open_, close = business.hours_of(day)
    return [(start, open_, "off_hours"), (open_, close, "business"), (close, end, "off_hours")]


def figures(engine: OnCallEngine, a: dt.datetime, b: dt.datetime, segs: list[Segment] | None = None) -> list[Fairness]:
    segs = segs if segs is not None else segments(engine, a, b)
    members = engine.member_ids()
    out = {m: Fairness(m) for m in members}
    tz = engine.tz
    day, last = a.astimezone(tz).date(), b.astimezone(tz).date()
    i = 0
    while day <= last and i < len(segs):
        for lo, hi, kind in _day_parts(engine, day):
            lo, hi = max(lo, a), min(hi, b)
            j = i
            while j < len(segs) and segs[j].start < hi:
                s = segs[j]
                overlap = (min(s.end, hi) - max(s.start, lo)).total_seconds() / 3600.0
                if overlap > 0 and s.primary in out:
                    f = out[s.primary]
                    setattr(f, kind, getattr(f, kind) + overlap)
                    f.primary_hours += overlap
                j += 1
        day += dt.timedelta(days=1)
        while i < len(segs) and segs[i].end <= day_bounds(day, tz)[0]:
            i += 1
    for m, f in out.items():
        f.shifts = sum(1 for *_, role in member_spans(segs, m) if role == "primary")
        f.backup_hours = sum((s.end - s.start).total_seconds() / 3600.0 for s in segs if s.backup == m)
    _holidays(engine, a, b, out)
    return [out[m] for m in members]


def _holidays(engine: OnCallEngine, a: dt.datetime, b: dt.datetime, out: dict[str, Fairness]) -> None:
    cal, tz = engine.team_calendar, engine.tz
    if cal is None:
        return
    worked = []
    for day, name in cal.between(a.astimezone(tz).date(), b.astimezone(tz).date()):
        noon = day_bounds(day, tz)[0] + dt.timedelta(hours=12)
        who = engine.off.worked_by(day)
        if a <= noon < b and who in out:
            out[who].holidays_worked += 1
            worked.append((who, f"{day} {name}"))
    if not engine.off.comp_enabled:
        return
    taken = set()
    for layer in engine.layers:
        horizon = b + dt.timedelta(days=layer.step * (layer.n + 1))
        for shift in layer.shifts_overlapping(a, horizon):
            for comp_day, label in engine.off.comp_days(layer, shift.index).items():
                if day_bounds(comp_day, tz)[0] < b:
                    taken.add((shift.primary, label))
    for who, label in worked:
        if (who, label) not in taken:
            out[who].comp_days_owed += 1


def spread(rows: list[Fairness], members: list[str] | None = None) -> float:
    """(max - min) / mean primary hours over `members` (default: all); 0 when nobody served."""
    values = [f.primary_hours for f in rows if members is None or f.member in members]
    mean = sum(values) / len(values) if values else 0.0
    return (max(values) - min(values)) / mean if mean else 0.0
