"""Where a daily profit figure should be, given both calendars it follows: the week and the month.

Daily costs (and so the margin) follow two seasonal patterns at once (see generate/finance.py and
any real ledger): ad-hoc spend follows the week (busy weekdays, quiet weekends), while recurring
vendor bills (cloud, rent, software) are booked on fixed days of the month: the 1st of a month
costs three to eight times an ordinary day. A same-weekday baseline alone flags every month's
recurring day; a same-day-of-month baseline alone compares a Saturday with a Wednesday. So a value
is judged against two expectations and counts as unusual only when it is unusual against both
(`Expectation.level`):

1. *week*: the robust same-weekday baseline (median/MAD of the previous `baseline_weeks` same
   weekdays, the day itself and flagged days left out, at least `baseline_min_points` points),
   its spread at least the *pooled* spread: the robust spread of every day's distance from its own
   weekday median over the previous 4 weeks (4-8 points of one weekday often agree by chance, and
   heavy-tailed spending then turns an ordinary day into a large z);
2. *month*: the same day of the previous month (`month_ago`), carried over to the day's weekday
   level: ``E2 = value(R) + (week level of D - week level of R)`` (R's week level from its
   same-weekday neighbours before D; without them, value(R) itself), with a spread widened by
   `warn_pct` of the carried-over difference (a recurring bill may change by that much from one
   month to the next).

Each check applies its own gates to the z-scores (and material changes) this returns.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from pipeline_ops.config.quality import Thresholds
from pipeline_ops.quality.baseline import MAD_SCALE, Baseline, same_weekday_baseline

POOL_DAYS, POOL_MIN = 28, 7  # pooled noise: the previous 4 weeks, at least a week of usable days
Values = Callable[[dt.date], "float | None"]  # a day's metric, None when unknown, flagged or not comparable


@dataclass(frozen=True)
class Reference:
    """One expectation: a centre and a robust spread (an estimate of one standard deviation)."""

    name: str
    centre: float
    spread: float

    def z(self, value: float) -> float:
        if self.spread == 0:
            return 0.0 if value == self.centre else math.copysign(math.inf, value - self.centre)
        return (value - self.centre) / self.spread

    def pct(self, value: float) -> float:
        if self.centre == 0:
            return 0.0 if value == 0 else math.inf
        return (value - self.centre) / abs(self.centre)


@dataclass(frozen=True)
class Expectation:
    week: Baseline
    references: tuple[Reference, ...]  # empty when the week baseline has too few points
    month_day: str | None = None

    @property
    def sufficient(self) -> bool:
        return bool(self.references)

    def level(self, value: float, gate: Callable[[Reference], str]) -> tuple[str, Reference]:
        """The mildest of `gate`'s levels over the references (unusual only if unusual against each), and that reference."""
        rank = {"pass": 0, "warn": 1, "error": 2}
        return min(((gate(r), r) for r in self.references), key=lambda lr: (rank[lr[0]], abs(lr[1].z(value))))

    def describe(self) -> dict:
        return {"method": "same weekday and same day of the previous month" if self.sufficient else self.week.method,
                "weekday_points": self.week.points, "weekday_days": list(self.week.days),
                "month_day": self.month_day,
                "references": [{"name": r.name, "centre": r.centre, "spread": r.spread} for r in self.references]}


def month_ago(day: dt.date) -> dt.date | None:
    """The same day of the previous month; a month's last day maps to the previous month's last day;
    None when the previous month has no such day (29th-30th after a shorter month)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    last = calendar.monthrange(year, month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return dt.date(year, month, last)
    return dt.date(year, month, day.day) if day.day <= last else None


def _level(values: Values, around: dt.date, before: dt.date, weeks: int) -> float | None:
    """Median of `around`'s same-weekday neighbours (both sides) that lie before `before`."""
    points = [v for k in range(-weeks, weeks + 1) if k
              for d in [around + dt.timedelta(days=7 * k)] if d < before
              for v in [values(d)] if v is not None and not math.isnan(v)]
    return statistics.median(points) if len(points) >= 2 else None


def _week(values: Values, day: dt.date, t: Thresholds) -> Baseline:
    history = {d: v for k in range(1, t.baseline_weeks + 1)
               for d in [day - dt.timedelta(days=7 * k)] for v in [values(d)] if v is not None}
    return same_weekday_baseline(history, day, t.baseline_weeks, t.baseline_min_points)


def pooled_spread(values: Values, day: dt.date, t: Thresholds) -> float | None:
    """Robust spread of every day's distance from its own same-weekday median over the POOL_DAYS before
    `day` (all weekdays together): a steadier noise estimate than one weekday's 4-8 points."""
    residuals = [v - b.median for k in range(1, POOL_DAYS + 1) for d in [day - dt.timedelta(days=k)]
                 for v in [values(d)] if v is not None for b in [_week(values, d, t)] if b.median is not None]
    if len(residuals) < POOL_MIN:
        return None
    return MAD_SCALE * statistics.median(abs(r) for r in residuals)


def expect(values: Values, day: dt.date, t: Thresholds) -> Expectation:
    """The week and month expectations of `day` (see the module docstring).

    The spread of each is at least the pooled spread (noise of all weekdays), so a weekday whose own
    few points happen to agree closely does not turn an ordinary move into a large z.
    """
    week = _week(values, day, t)
    if week.median is None:
        return Expectation(week, ())
    spread = max(MAD_SCALE * (week.mad or 0.0), pooled_spread(values, day, t) or 0.0)
    refs = [Reference("same_weekday", week.median, spread)]
    month_day = month_ago(day)
    carried = values(month_day) if month_day is not None else None
    if carried is not None and not math.isnan(carried):
        level = _level(values, month_day, day, t.baseline_weeks)
        centre = carried + (week.median - level) if level is not None else carried
        excess = centre - week.median
        refs.append(Reference("same_day_previous_month", centre, math.hypot(spread, t.warn_pct * excess)))
    return Expectation(week, tuple(refs), month_day.isoformat() if carried is not None else None)


def profile_values(ctx, metric: str, asset: str | None = None, usable: Callable[[dict], bool] | None = None) -> Values:
    """A day's profiled `metric` (the run's own profile, else the stored one); None when the day has no
    profile, the metric was flagged there, or `usable(metrics)` says the day is not comparable."""
    def value(day: dt.date) -> float | None:
        prof = ctx.profile_of(day.isoformat(), asset)
        if prof is None or metric not in prof.metrics or metric in prof.flagged:
            return None
        if usable is not None and not usable(prof.metrics):
            return None
        v = prof.metrics[metric]
        return None if v is None or math.isnan(v) else v

    return value
