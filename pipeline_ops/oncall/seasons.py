"""Compiled holiday seasons: the window of each year's season and its day-by-day volunteers.

Season Y runs from `start_holiday` in year Y (e.g. Thanksgiving) to the first `end_holiday`
after it (New Year's Day of Y + 1), both inclusive as team-timezone days. Each season day is a
24 h slot from `handoff_time` to the next day's `handoff_time`, so the season window is
[start day handoff, day after end handoff). Observed-day variants never start or end a season.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline_ops.config.oncall import hhmm_time
from pipeline_ops.oncall.season import SeasonShift, assign_days, group_shifts
from pipeline_ops.oncall.timeutil import wall_to_utc

if TYPE_CHECKING:
    from pipeline_ops.oncall.engine import OnCallEngine


@dataclass(frozen=True)
class SeasonPlan:
    year: int
    first: dt.date
    last: dt.date
    days: list[dt.date]
    owners: list[str | None]
    shifts: list[SeasonShift]
    starts: list[dt.datetime]  # UTC start of each day's slot, plus the season's end

    @property
    def start(self) -> dt.datetime:
        return self.starts[0]

    @property
    def end(self) -> dt.datetime:
        return self.starts[-1]


class Seasons:
    def __init__(self, engine: OnCallEngine):
        self.engine = engine
        self.spec = engine.oc.holiday_season
        self.calendar = engine.calendars[self.spec.calendar]
        self.handoff = hhmm_time(self.spec.handoff_time)
        self._plans: dict[int, SeasonPlan | None] = {}

    def slot_start(self, day: dt.date) -> dt.datetime:
        return wall_to_utc(dt.datetime.combine(day, self.handoff), self.engine.tz)

    def plan(self, year: int) -> SeasonPlan | None:
        """The season starting in `year` (None if its holidays are not in the calendar)."""
        if year in self._plans:
            return self._plans[year]
        self._plans[year] = None  # guards against re-entry while the plan is being built
        spec, cal = self.spec, self.calendar
        first = cal.find(spec.start_holiday, year)
        last = cal.find(spec.end_holiday, year)
        if last is None or (first and last <= first):
            last = cal.find(spec.end_holiday, year + 1)
        if first is None or last is None:
            return None
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        layer = self.engine.layer_at(self.slot_start(first))
        members = list(spec.members) or (layer.members if layer else self.engine.member_ids())
        prefs = spec.preferences.get(year, {})
        off = self.engine.off

        def unavailable(member: str, day: dt.date) -> bool:
            return off.pto_reason(member, self.slot_start(day)) is not None

        owners = assign_days(
            days, members,
            prefer={m: set(p.prefer) for m, p in prefs.items()},
            avoid={m: set(p.avoid) for m, p in prefs.items()},
            unavailable=unavailable, min_len=spec.min_shift_days, max_len=spec.max_shift_days,
        )
        starts = [self.slot_start(d) for d in days] + [self.slot_start(last + dt.timedelta(days=1))]
        plan = SeasonPlan(year, first, last, days, owners, group_shifts(days, owners), starts)
        self._plans[year] = plan
        return plan

    def plan_at(self, t: dt.datetime) -> SeasonPlan | None:
        year = t.astimezone(self.engine.tz).year
        for y in (year, year - 1):
            plan = self.plan(y)
            if plan and plan.start <= t < plan.end:
                return plan
        return None

    def volunteer(self, t: dt.datetime) -> str | None:
        plan = self.plan_at(t)
        if plan is None:
            return None
        return plan.owners[bisect.bisect_right(plan.starts, t) - 1]
