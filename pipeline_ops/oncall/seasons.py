"""Compiled holiday seasons: the window of each year's season and its day-by-day volunteers.

Season Y runs from `start_holiday` in year Y (e.g. Thanksgiving) to the first `end_holiday`
after it (New Year's Day of Y + 1), both inclusive as team-timezone days. Each season day is a
24 h slot from `handoff_time` to the next day's `handoff_time`, so the season window is
[start day handoff, day after end handoff). Observed-day variants never start or end a season.

A member is off for a slot when any hour of it falls in their PTO (PTO is whole team-timezone
days, so PTO on day d rules out the slots of d - 1 and d). The days are assigned by
`season_solver.solve` (the rules in priority order are in season.py and docs/oncall.md).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline_ops.config.oncall import hhmm_time
from pipeline_ops.oncall.season import SeasonProblem, SeasonShift, group_shifts
from pipeline_ops.oncall.season_solver import SeasonResult, solve
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
    problem: SeasonProblem | None = field(default=None, compare=False)
    result: SeasonResult | None = field(default=None, compare=False)

    @property
    def notes(self) -> tuple[str, ...]:
        """Warnings about how the schedule was found (e.g. the solver's time limit was reached)."""
        return self.result.notes if self.result else ()

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
        starts = [self.slot_start(d) for d in days] + [self.slot_start(last + dt.timedelta(days=1))]
        slot = {d: (starts[i], starts[i + 1]) for i, d in enumerate(days)}
        pto = self.engine.off.pto

        def unavailable(member: str, day: dt.date) -> bool:
            a, b = slot[day]
            return any(s < b and a < e for s, e, _ in pto.get(member, ()))

        problem = SeasonProblem.build(
            days, members,
            prefer={m: set(p.prefer) for m, p in prefs.items()},
            avoid={m: set(p.avoid) for m, p in prefs.items()},
            unavailable=unavailable, min_len=spec.min_shift_days, max_len=spec.max_shift_days,
        )
        result = solve(problem)
        owners = problem.owners_of(list(result.picks))
        plan = SeasonPlan(year, first, last, days, owners, group_shifts(days, owners), starts, problem, result)
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
