"""The resolved schedule over a range as half-open segments [start, end) of constant on-call.

Between two consecutive "interesting" instants (handoffs, layer changes, team-timezone midnights
of promotion holidays, season slots, swap/override/PTO edges, compensating days) nothing can
change, so resolving each segment at its start is exact -- no sampling.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline_ops.oncall.engine import Assignment
from pipeline_ops.oncall.timeutil import day_bounds

if TYPE_CHECKING:
    from pipeline_ops.oncall.engine import OnCallEngine


@dataclass(frozen=True)
class Segment:
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive
    assignment: Assignment

    @property
    def primary(self) -> str | None:
        return self.assignment.primary

    @property
    def backup(self) -> str | None:
        return self.assignment.backup

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600.0


def boundaries(engine: OnCallEngine, a: dt.datetime, b: dt.datetime) -> list[dt.datetime]:
    points = {a, b}
    tz = engine.tz
    for layer in engine.layers:
        points.update((layer.start, layer.end))
        for shift in layer.shifts_overlapping(a, b):
            points.update((shift.start, shift.end))
            if engine.off.comp_enabled:
                for day in engine.off.comp_days(layer, shift.index):
                    points.update(day_bounds(day, tz))
    first, last = a.astimezone(tz).date(), b.astimezone(tz).date()
    if engine.promotion_calendar is not None:
        for day, _ in engine.promotion_calendar.between(first, last):
            points.update(day_bounds(day, tz))
    if engine.seasons is not None:
        for year in range(first.year - 1, last.year + 1):
            plan = engine.seasons.plan(year)
            if plan:
                points.update(plan.starts)
    for w in engine.swaps + engine.overrides:
        points.update((w.start, w.end))
    for spans in engine.off.pto.values():
        for start, end, _ in spans:
            points.update((start, end))
    return sorted(p for p in points if a <= p <= b)


def segments(engine: OnCallEngine, a: dt.datetime, b: dt.datetime, merge: bool = True) -> list[Segment]:
    """Resolved segments covering [a, b); with merge, neighbours with the same pair are joined."""
    pts = boundaries(engine, a, b)
    out: list[Segment] = []
    for start, end in zip(pts, pts[1:]):
        assignment = engine.resolve(start)
        if merge and out and (out[-1].primary, out[-1].backup) == (assignment.primary, assignment.backup):
            out[-1] = Segment(out[-1].start, end, out[-1].assignment)
        else:
            out.append(Segment(start, end, assignment))
    return out


def member_spans(segs: list[Segment], member: str) -> list[tuple[dt.datetime, dt.datetime, str]]:
    """Contiguous spans in which `member` holds one role: (start, end, "primary" | "backup")."""
    out: list[tuple[dt.datetime, dt.datetime, str]] = []
    for s in segs:
        role = "primary" if s.primary == member else "backup" if s.backup == member else None
        if role is None:
            continue
        if out and out[-1][1] == s.start and out[-1][2] == role:
            out[-1] = (out[-1][0], s.end, role)
        else:
            out.append((s.start, s.end, role))
    return out
