"""margin_variance: the investor profit margin moving far more than its own day-to-day noise.

Gates, all on `profit_margin` (profit / recognised revenue; moves in margin points, 0.10 = 10 points):

1. *material*: the margin moved more than `margin_variance` (0.10) against the previous day AND
   against the same weekday a week earlier, in the same direction (the comparison days: the run's
   staged rows for days in the run, else the published lake);
2. *unusual*: |z| > warn_z against each of its two seasonal expectations (same weekday; same
   day of the previous month, which carries the 1st's recurring bills), each spread at least the
   pooled day-to-day noise of the margin (checks_seasonal.py; about 0.2 margin points at scale 1).

Both: WARN. Moves beyond `margin_variance_error` (0.50) with |z| > error_z while recognised revenue
also moved more than warn_pct (10 %) against the previous day: ERROR (the investor partition is not
published). A swing of the costs alone stays a WARN: cost_volume judges the costs, and a large real
expense must not block the investor numbers. Recognised revenue made revenue smooth (about 1 % a day), but the
margin still carries the day's cost noise (ad-hoc expenses, the 1st's bills), which the second
gate knows about; so a margin that merely swings with normal spending does not fire, and a 12 %
cost spike (a few margin points at scale 1) is not claimed: on clean generated data a third of the
days move more than 10 points against both comparison days, none beyond 4 pooled spreads. Days with recognition_complete =
false (the lake's first 31 days of revenue) understate revenue: they are neither judged nor used
as comparison or baseline. With fewer than baseline_min_points comparable same weekdays the check
passes and says so (never fails for lack of history); a null margin (revenue 0) is ratios_defined's.
Re-run behaviour: baselines come from the stored profiles (flagged days left out), comparison days
from this run or the lake, so re-auditing a day with its history unchanged gives the same verdict.
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


def _day(ctx: AuditContext, day: dt.date) -> tuple[float | None, float | None]:
    """(margin, revenue_usd) of `day` if comparable (recognition complete): staged in this run, else published."""
    key = day.isoformat()
    if key in ctx.profiles:
        m = ctx.profiles[key].metrics
        ok, value, revenue = m.get("recognition_complete") == 1, m.get("profit_margin"), m.get("revenue_usd")
    else:
        published = lake.table(ctx, ASSET, [key], "profit_margin, revenue_usd, recognition_complete")
        rows = lake.query(ctx, published) if published else []
        if not rows:
            return None, None
        ok, value, revenue = bool(rows[0]["recognition_complete"]), rows[0]["profit_margin"], rows[0]["revenue_usd"]
    if not ok or value is None or math.isnan(value):
        return None, None
    return value, revenue


def _comparable(metrics: dict) -> bool:
    return metrics.get("recognition_complete") == 1


def _margin_variance(ctx: AuditContext, partition: str) -> Outcome:
    t = ctx.thresholds
    day = dt.date.fromisoformat(partition)
    m = ctx.metric("profit_margin", partition)
    bound = {"material": f"|move| > {t.margin_variance} vs previous day and same weekday, same direction",
             "warn": f"and |z| > {t.warn_z} vs each seasonal expectation (spread >= pooled noise)",
             "error": f"|move| > {t.margin_variance_error} and |z| > {t.error_z} and |revenue change| > {t.warn_pct:.0%}"}
    if math.isnan(m) or ctx.metric("recognition_complete", partition) != 1:
        why = "null (revenue 0, see ratios_defined)" if math.isnan(m) else "not comparable (recognition incomplete)"
        return passed(f"margin of {partition} {why}", observed={"profit_margin": None if math.isnan(m) else m}, bound=bound)
    (prev, prev_revenue), (week, _) = (_day(ctx, day - dt.timedelta(days=k)) for k in (1, 7))
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
    revenue = ctx.metric("revenue_usd", partition)
    revenue_move = revenue / prev_revenue - 1 if prev_revenue else math.inf
    observed["revenue_change_vs_previous_day"] = round(revenue_move, 4) if abs(revenue_move) != math.inf else "inf"
    # Recognised revenue moves ~1 % a day (~8 % at a month boundary); a margin swing with steady revenue
    # is the costs' (stg_costs_usd.cost_volume judges those): WARN here, never a block.
    blocking = smallest > t.margin_variance_error and abs(revenue_move) > t.warn_pct
    level, ref = exp.level(m, lambda r: "error" if blocking and abs(r.z(m)) > t.error_z
                           else "warn" if abs(r.z(m)) > t.warn_z else "pass")
    z = ref.z(m)
    observed.update(closest=ref.name, z=round(z, 2) if abs(z) != math.inf else "inf")
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
    "week earlier, in one direction, and is unusual (|z| > warn_z) against each of its seasonal expectations "
    "(same weekday; same day of the previous month): WARN; beyond margin_variance_error (50 points) and error_z with "
    "revenue also moving > warn_pct: ERROR. "
    "Days with incomplete revenue recognition are not judged; too little history: passes (static bounds only).",
    "profit-margin-variance", _margin_variance, failure_modes=("profit-margin-variance",),
)
