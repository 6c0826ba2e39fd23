"""margin_variance: the investor profit margin moving far more than its own day-to-day noise.

Gates, all on `profit_margin` (profit / recognised revenue; moves in margin points, 0.10 = 10 points):

1. *material*: the margin moved more than `margin_variance` (0.10) against the previous day AND
   against the same weekday a week earlier, in the same direction (the comparison days: the run's
   staged rows for days in the run, else the published lake);
2. *unusual*: |z| > warn_z against the closer of its two seasonal expectations (same weekday;
   same day of the previous month, which carries the 1st's recurring bills: checks_seasonal.py).

Both: WARN. Moves beyond `margin_variance_error` (0.50) with |z| > error_z: ERROR (the investor
partition is not published). Recognised revenue made revenue smooth (about 1 % a day), but the
margin still carries the day's cost noise (ad-hoc expenses, the 1st's bills), which the second
gate knows about; so a margin that merely swings with normal spending does not fire, and a 12 %
cost spike (a few margin points at scale 1) is not claimed. Days with recognition_complete =
false (the lake's first 31 days of revenue) understate revenue: they are neither judged nor used
as comparison or baseline. With fewer than baseline_min_points comparable same weekdays the check
passes and says so (never fails for lack of history); a null margin (revenue 0) is ratios_defined's.
"""

from __future__ import annotations

import datetime as dt
import math

from pipeline_ops.profit import checks_lake as lake
from pipeline_ops.profit.checks_seasonal import expect, profile_values
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.generic import lake_query
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed

ASSET = "profit_aggregate"


def _margin_on(ctx: AuditContext, day: dt.date) -> float | None:
    """The comparable margin of `day`: staged in this run, else published; None if absent or not comparable."""
    key = day.isoformat()
    if key in ctx.profiles:
        m = ctx.profiles[key].metrics
        ok, value = m.get("recognition_complete") == 1, m.get("profit_margin")
    else:
        published = lake.table(ctx, ASSET, [key], "profit_margin, recognition_complete")
        rows = lake.query(ctx, published) if published else []
        if not rows:
            return None
        ok, value = bool(rows[0]["recognition_complete"]), rows[0]["profit_margin"]
    return value if ok and value is not None and not math.isnan(value) else None


def _comparable(metrics: dict) -> bool:
    return metrics.get("recognition_complete") == 1


def _margin_variance(ctx: AuditContext, partition: str) -> Outcome:
    t = ctx.thresholds
    day = dt.date.fromisoformat(partition)
    m = ctx.metric("profit_margin", partition)
    bound = {"material": f"|move| > {t.margin_variance} vs previous day and same weekday, same direction",
             "warn": f"and |z| > {t.warn_z} vs the closest seasonal expectation",
             "error": f"|move| > {t.margin_variance_error} and |z| > {t.error_z}"}
    if math.isnan(m) or ctx.metric("recognition_complete", partition) != 1:
        why = "null (revenue 0, see ratios_defined)" if math.isnan(m) else "not comparable (recognition incomplete)"
        return passed(f"margin of {partition} {why}", observed={"profit_margin": None if math.isnan(m) else m}, bound=bound)
    prev, week = (_margin_on(ctx, day - dt.timedelta(days=k)) for k in (1, 7))
    exp = expect(profile_values(ctx, "profit_margin", usable=_comparable), day, t)
    observed = {"profit_margin": m, "previous_day": prev, "same_weekday_last_week": week, "expectation": exp.describe()}
    if prev is None or week is None:
        return passed(f"margin {m:.3f}; no comparable margin of the previous day and the same weekday", observed=observed, bound=bound)
    moves = (m - prev, m - week)
    observed["moves"] = [round(x, 4) for x in moves]
    same_way = moves[0] * moves[1] > 0
    smallest = min(abs(x) for x in moves)
    summary = f"margin {m:.3f} vs {prev:.3f} the day before and {week:.3f} a week earlier ({moves[0]:+.3f}, {moves[1]:+.3f})"
    if not same_way or smallest <= t.margin_variance:
        return passed(summary, observed=observed, bound=bound)
    if not exp.sufficient:
        return passed(f"{summary}; only {exp.week.points} comparable same-weekday margin(s): not judged (static bounds only)",
                      observed=observed, bound=bound)
    ref = exp.closest(m)
    z = ref.z(m)
    observed.update(closest=ref.name, z=round(z, 2) if abs(z) != math.inf else "inf")
    level = "error" if smallest > t.margin_variance_error and abs(z) > t.error_z else \
        "warn" if abs(z) > t.warn_z else "pass"
    summary += f"; {ref.name} expectation {ref.centre:.3f} (z {z:+.1f})"
    if level == "pass":
        return passed(summary, observed=observed, bound=bound)
    first = (day - dt.timedelta(days=14)).isoformat()
    return Outcome(level, summary, observed, bound, failing_count=1, flag_metrics=("profit_margin",),
                   sql=lake_query(f"select date, dayname(date) as weekday, revenue_usd, expenses_usd, salaries_usd, "
                                  f"profit_usd, profit_margin, definition_version from {ASSET} where date between "
                                  f"'{first}' and '{partition}' order by date desc"))


MARGIN_VARIANCE = CheckDef(
    "margin_variance", ASSET, "drift",
    "profit_margin moved more than margin_variance (10 points) against both the previous day and the same weekday a "
    "week earlier, in one direction, and is unusual (|z| > warn_z) against the closer of its seasonal expectations "
    "(same weekday; same day of the previous month): WARN; beyond margin_variance_error (50 points) and error_z: ERROR. "
    "Days with incomplete revenue recognition are not judged; too little history: passes (static bounds only).",
    "profit-margin-variance", _margin_variance, failure_modes=("profit-margin-variance",),
)
