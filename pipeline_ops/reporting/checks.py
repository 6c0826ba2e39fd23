"""Quality checks of the reporting assets (framework and severity policy: pipeline_ops/quality).

`investor_monthly_report` (monthly partitions "YYYY-MM", investor path: an ERROR blocks the month):
- contract: the staged row against the report schema (types, nulls, ranges; the partition column is
  `month`). Same-weekday baselines do not apply to months; neither check uses one.
- ties_to_daily: every headline figure recomputed with DuckDB from the *published* daily investor
  outputs of the month (profit_aggregate, growth_aggregate, engagement_aggregate): sums (amounts to
  the cent, counts exactly), last-day values, means of the days with a value and the derived ratios;
  and each daily table has exactly one row for every day of the month. A difference is a fan-out or
  a lost day in the report's joins, or a daily output changed while the report was built. The
  account section (seat utilisation, revenue concentration) reads account-level tables and is
  reconciled by the asset itself (recognised revenue must agree with profit_aggregate).
Re-run behaviour: the check reads the lake as it is when the report is audited; re-run the report
after re-running any daily output of the month.
"""

from __future__ import annotations

import math

from pipeline_ops.metrics.reporting import SCHEMA
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.contracts import Range
from pipeline_ops.quality.generic import contract, lake_query
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed
from pipeline_ops.quality.spec import AssetQuality
from pipeline_ops.reporting.report import month_days

PIPELINE = "investor_monthly_report"
AMOUNT_TOLERANCE_USD = 0.01  # sums of doubles in another engine and order: equal to the cent
RATIO_TOLERANCE = 1e-9       # relative, for means and ratios
# report column -> (daily table, DuckDB aggregate over the month's rows of that table, kind)
FIGURES = {
    "revenue_usd": ("profit_aggregate", "sum(revenue_usd)", "amount"),
    "billed_revenue_usd": ("profit_aggregate", "sum(billed_revenue_usd)", "amount"),
    "expenses_usd": ("profit_aggregate", "sum(expenses_usd)", "amount"),
    "salaries_usd": ("profit_aggregate", "sum(salaries_usd)", "amount"),
    "profit_usd": ("profit_aggregate", "sum(profit_usd)", "amount"),
    "recognition_complete": ("profit_aggregate", "bool_and(recognition_complete)", "exact"),
    "active_accounts_end": ("growth_aggregate", "max(active_accounts) filter (where date = {last})", "exact"),
    "new_accounts": ("growth_aggregate", "sum(new_accounts)", "exact"),
    "churned_accounts": ("growth_aggregate", "sum(churned_accounts)", "exact"),
    "net_new_accounts": ("growth_aggregate", "sum(net_new_accounts)", "exact"),
    "licences_end": ("growth_aggregate", "max(licences) filter (where date = {last})", "exact"),
    "mrr_end_usd": ("growth_aggregate", "max(mrr_usd) filter (where date = {last})", "amount"),
    "net_new_mrr_usd": ("growth_aggregate", "sum(net_new_mrr_usd)", "amount"),
    "avg_dau": ("engagement_aggregate", "avg(dau)", "ratio"),
    "mau_end": ("engagement_aggregate", "max(mau) filter (where date = {last})", "exact"),
    "sessions_per_user": ("engagement_aggregate", "avg(sessions_per_user)", "ratio"),
    "time_in_app_min_per_user": ("engagement_aggregate", "avg(time_in_app_min_per_user)", "ratio"),
    "d7_retention": ("engagement_aggregate", "avg(d7_retention)", "ratio"),
}
TABLES = tuple(dict.fromkeys(t for t, _, _ in FIGURES.values()))


def _ratio(n: float | None, d: float | None) -> float | None:
    return None if n is None or d is None or d == 0 else n / d


def _differs(kind: str, got, want) -> bool:
    if got is None or want is None:
        return (got is None) != (want is None)
    if isinstance(got, float) and math.isnan(got):
        return True
    if kind == "exact":
        return got != want
    tol = AMOUNT_TOLERANCE_USD if kind == "amount" else RATIO_TOLERANCE * max(1.0, abs(want))
    return abs(got - want) > tol


def _recompute(ctx: AuditContext, month: str) -> tuple[dict, dict[str, dict]]:
    days = month_days(month)
    first, last = f"DATE '{days[0]}'", f"DATE '{days[-1]}'"
    want: dict = {"days_in_month": len(days)}
    coverage: dict[str, dict] = {}
    for table in TABLES:
        figures = {c: sql for c, (t, sql, _) in FIGURES.items() if t == table}
        exprs = ", ".join(f"{sql.format(last=last)} as {c}" for c, sql in figures.items())
        row = ctx.lake_rows(f"select count(*) as _rows, count(distinct date) as _days, {exprs} from {table} "
                            f"where date between {first} and {last}")[0]
        coverage[table] = {"rows": row.pop("_rows"), "days": row.pop("_days")}
        want.update(row)
    want["profit_margin"] = _ratio(want["profit_usd"], want["revenue_usd"])
    mrr_start = None if want["mrr_end_usd"] is None or want["net_new_mrr_usd"] is None else (
        want["mrr_end_usd"] - want["net_new_mrr_usd"])
    growth = _ratio(want["net_new_mrr_usd"], mrr_start)
    want["mrr_growth_pct"] = None if growth is None else 100 * growth
    want["stickiness"] = _ratio(want["avg_dau"], want["mau_end"])
    return want, coverage


KINDS = {**{c: k for c, (_, _, k) in FIGURES.items()}, "days_in_month": "exact", "profit_margin": "ratio",
         "mrr_growth_pct": "ratio", "stickiness": "ratio"}


def _ties_to_daily(ctx: AuditContext, month: str) -> Outcome:
    missing = [t for t in TABLES if not ctx.lake_has(t)]
    bound = {"amounts": f"within {AMOUNT_TOLERANCE_USD} USD", "counts": "exact",
             "means_and_ratios": f"within {RATIO_TOLERANCE} relative", "daily_rows": "one per day of the month"}
    if missing:
        return Outcome("error", f"daily investor output(s) {missing} not in the lake: the report cannot tie to them",
                       bound=bound, failing_count=len(missing))
    staged = ctx.rows("select * from {t}", month)
    if len(staged) != 1:
        return Outcome("error", f"{len(staged)} report rows for {month} (exactly one expected)", {"rows": len(staged)},
                       bound, failing_count=abs(len(staged) - 1) or 1)
    got = staged[0]
    want, coverage = _recompute(ctx, month)
    n_days = len(month_days(month))
    gaps = {t: c for t, c in coverage.items() if c["rows"] != n_days or c["days"] != n_days}
    diffs = [{"figure": c, "report": got.get(c), "recomputed": want[c],
              "difference": (got[c] - want[c]) if isinstance(want[c], (int, float)) and isinstance(got.get(c), (int, float))
              and not isinstance(want[c], bool) else None}
             for c, kind in KINDS.items() if c in got and _differs(kind, got[c], want[c])]
    observed = {"daily_rows": coverage, "mismatches": len(diffs)}
    days = month_days(month)
    sql = lake_query(
        "select 'profit_aggregate' as input, count(*) as rows, count(distinct date) as days, sum(revenue_usd) as revenue_usd, "
        "sum(profit_usd) as profit_usd from profit_aggregate where date between "
        f"'{days[0]}' and '{days[-1]}' union all select 'engagement_aggregate', count(*), count(distinct date), avg(dau), "
        f"avg(d7_retention) from engagement_aggregate where date between '{days[0]}' and '{days[-1]}'")
    if not diffs and not gaps:
        return passed(f"{len(KINDS)} figures of {month} tie to the {n_days} days of {', '.join(TABLES)}",
                      observed=observed, bound=bound)
    parts = [f"{t}: {c['rows']} rows over {c['days']} of {n_days} days" for t, c in gaps.items()]
    parts += [f"{d['figure']} {d['report']} vs {d['recomputed']}" for d in diffs[:6]]
    return Outcome("error", f"investor report {month} does not tie to the daily outputs: " + "; ".join(parts),
                   observed, bound, failing_count=len(diffs) + len(gaps), sample=diffs[:20], sql=sql)


TIES_TO_DAILY = CheckDef(
    "ties_to_daily", SCHEMA.asset, "accuracy",
    "Every headline figure of the month equals its recomputation from the published daily investor outputs "
    "(profit_aggregate, growth_aggregate, engagement_aggregate): sums to the cent, counts exactly, last-day values, "
    "means of the days with a value and the ratios built from them; each daily table has one row per day of the "
    "month. ERROR (blocks): a fan-out or a lost day in the report's joins, or inputs changed under the report.",
    "accuracy-drift", _ties_to_daily,
    failure_modes=("accuracy-drift", "join-fan-out-or-null-explosion", "late-upstream-partition"),
)

_UNIT = Range(ge=0, le=1)
QUALITY: list[AssetQuality] = [
    AssetQuality(
        SCHEMA.asset, PIPELINE, schema=SCHEMA,
        checks=(
            contract(SCHEMA, "na-or-divide-by-zero", partition_column="month",
                     ranges={"days_in_month": Range(ge=28, le=31), "active_accounts_end": Range(ge=0),
                             "new_accounts": Range(ge=0), "churned_accounts": Range(ge=0), "licences_end": Range(ge=0),
                             "avg_dau": Range(ge=0), "mau_end": Range(ge=0), "stickiness": _UNIT, "d7_retention": _UNIT,
                             "seat_utilisation": Range(ge=0),
                             "sessions_per_user": Range(ge=0), "time_in_app_min_per_user": Range(ge=0)}),
            TIES_TO_DAILY,
        ),
    ),
]
