"""Checks of the growth outputs: growth_daily (experiment-facing: an ERROR is reported as WARN and the
day publishes) and growth_aggregate (investor-facing: an ERROR blocks the day and the monthly report).

- `plausibility` (both): every row's numbers can be true: no negative counts, seats or MRR (MRR
  components of growth_daily too), net_new_accounts = new - churned, new <= active, licences >=
  active accounts (an active account has seats), no NaN or infinity. growth_aggregate also: one row
  per day, mrr_growth_pct null exactly when start-of-day MRR is 0 and else equal to its definition,
  active <= registered (non-excluded accounts in the day's snapshot), churned <= yesterday's active,
  and the stock-flow identity: the change in active accounts (licences) since yesterday equals
  net_new_accounts (net_licence_adds) within max(stock_flow_gap_min, stock_flow_gap_share x
  yesterday's stock), which holds exactly on clean data (a gap means events missing from the day or
  accounts appearing or vanishing without events). Negative growth (more churned than won) is fine.
- `experiment_excluded` (growth_aggregate): recomputes the investor figures from the published
  stg_account_daily and stg_subscription_events_usd without accounts flagged exclude_from_investor,
  and checks the flags there agree with stg_experiment_assignments: any difference is ERROR.
"""

from __future__ import annotations

import math
from dataclasses import replace

from pipeline_ops.metrics.growth import AGGREGATE_SCHEMA, DAILY_SCHEMA
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.generic import lake_query
from pipeline_ops.quality.neighbours import partition_table
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed

_ROW_RULES = """CASE
    WHEN least(new_accounts, churned_accounts, active_accounts, licences) < 0 THEN 'negative count'
    WHEN NOT (mrr_usd >= 0 {money}) THEN 'negative, NaN or infinite MRR'
    WHEN net_new_accounts <> new_accounts - churned_accounts THEN 'net_new_accounts <> new - churned'
    WHEN new_accounts > active_accounts THEN 'more new accounts than active accounts'
    WHEN licences < active_accounts THEN 'fewer licences than active accounts'
    WHEN NOT isfinite(net_new_mrr_usd) THEN 'NaN or infinite net_new_mrr_usd'
    {extra}
END"""
_DAILY_MONEY = "AND new_mrr_usd >= 0 AND expansion_mrr_usd >= 0 AND contraction_mrr_usd >= 0 AND churned_mrr_usd >= 0 " \
               "AND isfinite(mrr_usd)"
# mrr_growth_pct = 100 x net_new / (mrr - net_new), null when that start-of-day MRR is 0.
_GROWTH_PCT = """WHEN (mrr_usd - net_new_mrr_usd = 0) <> (mrr_growth_pct IS NULL)
        OR abs(mrr_growth_pct - 100 * net_new_mrr_usd / nullif(mrr_usd - net_new_mrr_usd, 0)) > 1e-9 * (1 + abs(mrr_growth_pct))
        OR NOT isfinite(coalesce(mrr_growth_pct, 0)) THEN 'mrr_growth_pct undefined or not its definition'"""


def _row_problems(ctx: AuditContext, partition: str, rules: str, columns: str) -> list[dict]:
    return ctx.rows(f"SELECT * FROM (SELECT {columns}, {rules} AS problem FROM {{t}}) WHERE problem IS NOT NULL", partition)


def _daily_plausibility(ctx: AuditContext, partition: str) -> Outcome:
    bad = _row_problems(ctx, partition, _ROW_RULES.format(money=_DAILY_MONEY, extra=""), "*")
    observed = {"rows": int(ctx.metric("rows", partition)), "implausible_rows": len(bad)}
    if not bad:
        return passed(f"all {observed['rows']} arm rows are plausible", observed=observed, bound={"implausible_rows": 0})
    return Outcome("error", f"{len(bad)} arm row(s) impossible: " + "; ".join(
        sorted({f"{r['experiment_id']}/{r['variant']}: {r['problem']}" for r in bad})[:5]), observed,
        {"implausible_rows": 0}, failing_count=len(bad), sample=bad[:20],
        sql=lake_query(f"select * from {DAILY_SCHEMA.asset} where date = '{partition}' and (new_accounts < 0 or "
                       "churned_accounts < 0 or active_accounts < 0 or licences < 0 or mrr_usd < 0 or net_new_accounts <> "
                       "new_accounts - churned_accounts or new_accounts > active_accounts or licences < active_accounts)"))


DAILY_PLAUSIBILITY = CheckDef(
    "plausibility", DAILY_SCHEMA.asset, "plausibility",
    "Every arm row can be true: counts, seats and MRR (and its components) >= 0 and finite, net_new_accounts = "
    "new - churned, new <= active accounts, licences >= active accounts. Experiment-facing: reported as WARN.",
    "impossible-growth-counts", _daily_plausibility, failure_modes=("impossible-growth-counts",),
)


def _gap_bound(ctx: AuditContext, stock_before: float) -> float:
    t = ctx.thresholds
    return max(t.stock_flow_gap_min, t.stock_flow_gap_share * stock_before)


def _aggregate_plausibility(ctx: AuditContext, partition: str) -> Outcome:
    problems = [f"row: {r['problem']}" for r in _row_problems(
        ctx, partition, _ROW_RULES.format(money="AND isfinite(mrr_usd)", extra=_GROWTH_PCT), "*")]
    row = ctx.rows("SELECT * FROM {t}", partition)
    if len(row) != 1:
        return Outcome("error", f"{len(row)} rows for {partition} (one per day expected)", {"rows": len(row)},
                       {"rows": 1}, failing_count=1, sample=row[:20])
    row = row[0]
    observed: dict = {k: row[k] for k in ("active_accounts", "new_accounts", "churned_accounts", "licences", "net_licence_adds")}
    accounts = partition_table(ctx, "stg_account_daily", partition)
    if accounts is not None:
        registered = ctx.rows(f"SELECT count(*) AS n FROM {accounts} WHERE NOT exclude_from_investor", partition)[0]["n"]
        observed["registered_accounts"] = registered
        if row["active_accounts"] > registered:
            problems.append(f"active_accounts {row['active_accounts']} > {registered} registered (non-excluded) accounts")
    prev = ctx.previous_partition(partition)
    before_table = partition_table(ctx, AGGREGATE_SCHEMA.asset, prev)
    before = ctx.rows(f"SELECT active_accounts, licences FROM {before_table}", partition) if before_table else []
    if len(before) == 1:
        b = before[0]
        observed["previous_day"] = {"date": prev, **b}
        if row["churned_accounts"] > b["active_accounts"]:
            problems.append(f"{row['churned_accounts']} churned > {b['active_accounts']} active on {prev}")
        for stock, flow in (("active_accounts", "net_new_accounts"), ("licences", "net_licence_adds")):
            gap = (row[stock] - b[stock]) - row[flow]
            observed[f"{stock}_gap"] = gap
            if abs(gap) > _gap_bound(ctx, b[stock]):
                problems.append(f"{stock} moved {row[stock] - b[stock]:+d} since {prev} but {flow} = {row[flow]:+d} "
                                f"(gap {gap:+d}, bound {_gap_bound(ctx, b[stock]):g})")
    t = ctx.thresholds
    bound = {"rules": "counts >= 0; net = new - churned; new <= active <= registered; licences >= active; churned <= "
                      "previous active; mrr_growth_pct as defined",
             "stock_flow_gap": f"<= max({t.stock_flow_gap_min}, {t.stock_flow_gap_share:.1%} of the previous day's stock)"}
    if not problems:
        return passed(f"{partition}: growth figures are plausible", observed=observed, bound=bound)
    return Outcome("error", f"impossible growth figures on {partition}: " + "; ".join(problems), observed, bound,
                   failing_count=len(problems), sample=[row],
                   sql=lake_query(f"select date, active_accounts, new_accounts, churned_accounts, net_new_accounts, "
                                  "active_accounts - lag(active_accounts) over (order by date) as change_in_active, "
                                  f"licences, net_licence_adds, mrr_usd, mrr_growth_pct from {AGGREGATE_SCHEMA.asset} "
                                  f"where date between '{prev}' and '{partition}' order by date"))


AGGREGATE_PLAUSIBILITY = CheckDef(
    "plausibility", AGGREGATE_SCHEMA.asset, "plausibility",
    "The day's investor growth can be true: counts, seats, MRR >= 0 and finite; net_new_accounts = new - churned; new "
    "<= active <= registered accounts; licences >= active; mrr_growth_pct null exactly at zero start-of-day MRR; "
    "churned <= yesterday's active; change in active accounts (licences) since yesterday = net new accounts (net "
    "licence adds) within max(stock_flow_gap_min, stock_flow_gap_share of the stock). ERROR.",
    "impossible-growth-counts", _aggregate_plausibility, failure_modes=("impossible-growth-counts", "na-or-divide-by-zero"),
)

_FIGURES = ("active_accounts", "licences", "mrr_usd", "new_accounts", "churned_accounts", "net_licence_adds", "net_new_mrr_usd")
_EXPECTED_SQL = """
SELECT count(*) FILTER (WHERE is_active AND NOT exclude_from_investor) AS active_accounts,
       coalesce(sum(licences) FILTER (WHERE is_active AND NOT exclude_from_investor), 0) AS licences,
       coalesce(sum(mrr_usd) FILTER (WHERE is_active AND NOT exclude_from_investor), 0.0) AS mrr_usd,
       count(*) FILTER (WHERE is_active AND exclude_from_investor) AS excluded_active_accounts,
       count(*) FILTER (WHERE is_active) AS all_active_accounts,
       (SELECT count(*) FILTER (WHERE event_type = 'new' AND NOT exclude_from_investor) FROM {ev}) AS new_accounts,
       (SELECT count(*) FILTER (WHERE event_type = 'churn' AND NOT exclude_from_investor) FROM {ev}) AS churned_accounts,
       (SELECT coalesce(sum(licence_delta) FILTER (WHERE NOT exclude_from_investor), 0) FROM {ev}) AS net_licence_adds,
       (SELECT coalesce(sum(mrr_delta_usd) FILTER (WHERE NOT exclude_from_investor), 0.0) FROM {ev}) AS net_new_mrr_usd,
       (SELECT count(*) FILTER (WHERE exclude_from_investor) FROM {ev}) AS excluded_events
FROM {acc}
"""
# Accounts whose flag in stg_account_daily differs from the assignment in effect that day.
_FLAGS_SQL = """
SELECT a.account_id, a.exclude_from_investor AS account_flag, coalesce(bool_or(e.exclude_from_investor), false) AS assignment_flag
FROM {acc} a LEFT JOIN (SELECT * FROM {asg} WHERE unit_type = 'account') e ON e.unit_id = a.account_id
GROUP BY ALL HAVING a.exclude_from_investor <> coalesce(bool_or(e.exclude_from_investor), false) ORDER BY 1 LIMIT 20
"""


def _experiment_excluded(ctx: AuditContext, partition: str) -> Outcome:
    acc, ev = partition_table(ctx, "stg_account_daily", partition), partition_table(ctx, "stg_subscription_events_usd", partition)
    if acc is None or ev is None:
        raise LookupError(f"stg_account_daily or stg_subscription_events_usd is not published for {partition}")
    expected = ctx.rows(_EXPECTED_SQL.format(acc=acc, ev=ev), partition)[0]
    got = ctx.rows("SELECT * FROM {t}", partition)[0]
    diffs = {f: {"published": got[f], "without_excluded": expected[f]} for f in _FIGURES
             if not math.isclose(got[f], expected[f], rel_tol=1e-9, abs_tol=1e-6)}
    asg = partition_table(ctx, "stg_experiment_assignments", partition)
    flags = ctx.rows(_FLAGS_SQL.format(acc=acc, asg=asg), partition) if asg else []
    observed = {"excluded_active_accounts": expected["excluded_active_accounts"], "excluded_events": expected["excluded_events"],
                "all_active_accounts": expected["all_active_accounts"], "differences": diffs,
                "flags_disagreeing_with_assignments": len(flags), "assignments_read": asg is not None}
    bound = {"investor_figures": "equal to the recomputation without exclude_from_investor accounts",
             "flag_mismatches": 0}
    if not diffs and not flags:
        return passed(f"investor figures exclude {expected['excluded_active_accounts']} active excluded account(s) and "
                      f"{expected['excluded_events']} excluded event(s)", observed=observed, bound=bound)
    parts = [f"{f} {d['published']} published vs {d['without_excluded']} without excluded accounts" for f, d in diffs.items()]
    if flags:
        parts.append(f"{len(flags)}+ account(s) carry an exclude_from_investor flag unlike their assignment")
    return Outcome("error", "experiment traffic in investor growth: " + "; ".join(parts), observed, bound,
                   failing_count=len(diffs) + len(flags), sample=flags or [got],
                   sql=lake_query(f"select count(*) filter (where is_active) as all_active, count(*) filter (where is_active "
                                  f"and not exclude_from_investor) as active_without_excluded, (select active_accounts from "
                                  f"{AGGREGATE_SCHEMA.asset} where date = '{partition}') as published_active from "
                                  f"stg_account_daily where date = '{partition}'"))


EXPERIMENT_EXCLUDED = CheckDef(
    "experiment_excluded", AGGREGATE_SCHEMA.asset, "plausibility",
    "The day's investor figures equal a recomputation from the published stg_account_daily and "
    "stg_subscription_events_usd without accounts flagged exclude_from_investor, and those flags agree with "
    "stg_experiment_assignments for the day: any difference is experiment traffic in investor numbers (ERROR).",
    "experiment-traffic-leak", _experiment_excluded, failure_modes=("experiment-traffic-leak",),
)


def one_row_per_day(check: CheckDef) -> CheckDef:
    """An aggregate's contract plus its grain: exactly one row per day (two rows = a join fanned out)."""
    def evaluate(ctx: AuditContext, partition: str) -> Outcome:
        rows = int(ctx.metric("rows", partition))
        if rows != 1:
            return Outcome("error", f"{rows} rows for {partition} (the grain is one row per UTC day)", {"rows": rows},
                           {"rows": 1}, failing_count=abs(rows - 1), sample=ctx.rows("SELECT * FROM {t} LIMIT 20", partition))
        return check.evaluate(ctx, partition)

    return replace(check, evaluate=evaluate, description=check.description + " Exactly one row per day.")
