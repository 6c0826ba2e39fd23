"""Business days and hours in the team timezone (pitfall 9: skip weekends *and* holidays)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pipeline_ops.config.oncall import hhmm_time
from pipeline_ops.oncall.timeutil import WEEKDAY_INDEX, wall_to_utc

if TYPE_CHECKING:
    from pipeline_ops.oncall.engine import OnCallEngine


class Business:
    def __init__(self, engine: OnCallEngine):
        self.engine = engine
        hours = engine.oc.business_hours
        self.days = {WEEKDAY_INDEX[d] for d in hours.weekdays}
        self.open = hhmm_time(hours.start)
        self.close = hhmm_time(hours.end)

    def holiday(self, day: dt.date) -> str | None:
        cal = self.engine.team_calendar
        return cal.name(day) if cal else None

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() in self.days and self.holiday(day) is None

    def hours_of(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """UTC [open, close) of `day`'s business hours (whether or not it is a business day)."""
        tz = self.engine.tz
        return (wall_to_utc(dt.datetime.combine(day, self.open), tz),
                wall_to_utc(dt.datetime.combine(day, self.close), tz))

    def in_business_hours(self, t: dt.datetime) -> bool:
        day = t.astimezone(self.engine.tz).date()
        if not self.is_business_day(day):
            return False
        start, end = self.hours_of(day)
        return start <= t < end

    def next_business_day(self, day: dt.date) -> dt.date:
        """The first business day strictly after `day`."""
        day += dt.timedelta(days=1)
        for _ in range(366):
            if self.is_business_day(day):
                return day
            day += dt.timedelta(days=1)
        raise ValueError("no business day within a year (check business_hours.weekdays)")

    def next_opening(self, t: dt.datetime) -> dt.datetime:
        """The next business-hours start at or after t (t itself if business hours are open)."""
        if self.in_business_hours(t):
            return t
        day = t.astimezone(self.engine.tz).date()
        if self.is_business_day(day) and t < self.hours_of(day)[0]:
            return self.hours_of(day)[0]
        return self.hours_of(self.next_business_day(day))[0]
