"""cost_volume: the day's cost lines in USD against what the calendar says they should be.

Two parts, the worse one decides:

- **payroll**: salaries_usd x days in month is the month's payroll at the day's rate. It equals
  the previous day's within a month (only FX moves it, well under 1 %) and changes by a few
  percent from one month to the next (hiring). WARN beyond warn_pct (10 %), ERROR beyond
  error_pct (25 %): a team counted twice or missing, payroll in the wrong unit.
- **total cost** (expenses + payroll share) against its two seasonal expectations
  (profit/checks_seasonal.py: same weekday; same day of the previous month, which carries the
  recurring vendor bills of the 1st). Day-to-day noise is large: ad-hoc expense lines are
  lognormal and few (robust CV of weekday totals 15-30 % at scale 1, ~100 % at scale 0.1), so
  only gross errors are separable from business: WARN when |z| > warn_z and |change| >
  cost_warn_pct (75 %) against *each* expectation (the spread is at least the pooled noise of
  all weekdays), ERROR beyond error_z and cost_error_pct (900 %: ten times the expected cost, a
  unit or duplication error no spending explains; single large lines reach +800 % on clean days
  at scale 0.1). A uniform 12 % rise of the day's cost is inside that noise (about 0.5 robust sd
  on a weekday) and is not claimed. With too little history the static bound only: total cost
  > 0 (payroll is never 0).

Re-run behaviour: reads only profiles (this run's, else the stored ones), so re-auditing a day
gives the same verdict as long as its history is unchanged.
"""

from __future__ import annotations

import calendar
import datetime as dt

from pipeline_ops.profit.checks_seasonal import expect, profile_values
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.generic import lake_query
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed

SECTION = "profit-margin-variance"
_RANK = {"pass": 0, "warn": 1, "error": 2}


def _monthly_payroll(ctx: AuditContext, day: dt.date) -> float | None:
    value = profile_values(ctx, "salaries_usd")(day)
    return None if value is None else value * calendar.monthrange(day.year, day.month)[1]


def _payroll(ctx: AuditContext, day: dt.date) -> tuple[str, str, dict]:
    t = ctx.thresholds
    now, before = _monthly_payroll(ctx, day), _monthly_payroll(ctx, day - dt.timedelta(days=1))
    info = {"monthly_payroll_usd": now, "previous_day_monthly_payroll_usd": before}
    if now is None or not now > 0:
        return "error", f"payroll share of the day is {now} (a month's salaries are never 0)", info
    if before is None or not before > 0:
        return "pass", "no previous day to compare payroll with", info
    change = now / before - 1
    info["payroll_change"] = round(change, 5)
    level = "error" if abs(change) > t.error_pct else "warn" if abs(change) > t.warn_pct else "pass"
    return level, f"monthly payroll {now:,.0f} USD vs {before:,.0f} the day before ({change:+.1%})", info


def _total(ctx: AuditContext, day: dt.date, total: float) -> tuple[str, str, dict]:
    t = ctx.thresholds
    exp = expect(profile_values(ctx, "total_cost_usd"), day, t)
    info = {"total_cost_usd": total, "expectation": exp.describe()}
    if not total > 0:
        return "error", f"total cost of the day is {total:g} USD (payroll alone is > 0)", info
    if not exp.sufficient:
        return "pass", f"total cost {total:,.0f} USD; {exp.week.points} usable same-weekday day(s): static bound (> 0) only", info

    def gate(ref) -> str:
        z, pct = abs(ref.z(total)), abs(ref.pct(total))
        return "error" if z > t.error_z and pct > t.cost_error_pct else \
            "warn" if z > t.warn_z and pct > t.cost_warn_pct else "pass"

    level, ref = exp.level(total, gate)
    z, pct = ref.z(total), ref.pct(total)
    info.update(closest=ref.name, z=round(z, 2) if abs(z) != float("inf") else "inf", change=round(pct, 4))
    return level, f"total cost {total:,.0f} USD vs {ref.centre:,.0f} expected ({ref.name}, {pct:+.0%}, z {z:+.1f})", info


def _cost_volume(ctx: AuditContext, partition: str) -> Outcome:
    day = dt.date.fromisoformat(partition)
    t = ctx.thresholds
    p_level, p_text, p_info = _payroll(ctx, day)
    c_level, c_text, c_info = _total(ctx, day, ctx.metric("total_cost_usd", partition))
    level = max(p_level, c_level, key=_RANK.__getitem__)
    observed = {"payroll": p_info, "total": c_info, "expense_lines": ctx.metric("expense_lines", partition)}
    bound = {"payroll": f"|change of monthly payroll vs previous day| WARN > {t.warn_pct:.0%}, ERROR > {t.error_pct:.0%}",
             "total": f"against each seasonal expectation: WARN |z| > {t.warn_z} and |change| > {t.cost_warn_pct:.0%}, "
                      f"ERROR |z| > {t.error_z} and |change| > {t.cost_error_pct:.0%}"}
    summary = f"{c_text}; {p_text}"
    if level == "pass":
        return passed(summary, observed=observed, bound=bound)
    first = (day - dt.timedelta(days=35)).isoformat()
    sql = lake_query(
        "select date, dayname(date) as weekday, source, category, count(*) as lines, sum(amount_usd) as usd "
        f"from stg_costs_usd where date between '{first}' and '{partition}' group by all order by date desc, usd desc")
    flags = tuple(m for m, lv in (("salaries_usd", p_level), ("total_cost_usd", c_level)) if lv != "pass")
    return Outcome(level, ("payroll: " if p_level == level else "total cost: ") + summary, observed, bound,
                   failing_count=len(flags), sql=sql, flag_metrics=flags)


COST_VOLUME = CheckDef(
    "cost_volume", "stg_costs_usd", "drift",
    "The day's cost in USD against the calendar: monthly payroll implied by the day's salary share vs the day before "
    "(WARN > warn_pct 10 %, ERROR > error_pct 25 %), and total cost (expenses + payroll share) vs two seasonal "
    "expectations, same weekday and same day of the previous month (recurring bills of the 1st), unusual only if "
    "unusual against both: WARN when |z| > warn_z and |change| > cost_warn_pct (75 %), ERROR beyond error_z and "
    "cost_error_pct (900 %). Ad-hoc spend is lumpy, so this catches gross errors (payroll twice, an expenses file "
    "booked several times over or in the wrong unit), not a 12 % rise. Static bound without history: total > 0.",
    SECTION, _cost_volume, failure_modes=("profit-margin-variance", "row-count-drop", "cost-allocation-change"),
)
