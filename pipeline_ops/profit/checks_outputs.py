"""Reconciliation checks of the profit outputs against their published inputs.

- `cost_allocation_balanced` (profit_unit_level): the day's allocations add up to the day's total
  cost in stg_costs_usd, go only to accounts active in stg_account_daily, and at one rate per
  licence (total cost / active licences). A change in how cost is spread (by accounts instead of
  licences, over churned accounts, a dropped account) breaks one of the three.
- `ratios_defined` (profit_aggregate): each ratio is null exactly when its denominator is 0, is
  otherwise finite and equal to numerator / denominator; no float column holds NaN or infinity.
- `experiment_excluded` (profit_aggregate): the investor figures equal what the published inputs
  give without experiment traffic: revenue and excluded revenue vs stg_revenue_recognised's
  investor split, billed revenue and refunds vs the documents not flagged exclude_from_investor,
  accounts and licences vs the active non-excluded accounts of stg_account_daily, and every
  document's flag vs its account's flag in that day's snapshot. Any difference is an ERROR.

Tolerance everywhere: 0.01 USD (or 1e-9 relative for large sums): float sums in another order.
Inputs are upstream assets, already published when these run (also within one backfill run).
Re-run behaviour: each verdict depends only on the day's staged rows and the day's published
inputs, so re-running the day after fixing an input re-judges it from scratch.
"""

from __future__ import annotations

from pipeline_ops.profit import checks_lake as lake
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.generic import lake_query
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed


def _close(a: float | None, b: float | None, tol: float = 0.01) -> bool:
    a, b = a or 0.0, b or 0.0
    return abs(a - b) <= max(tol, 1e-9 * max(abs(a), abs(b)))


def _cost_allocation(ctx: AuditContext, partition: str) -> Outcome:
    costs = lake.table(ctx, "stg_costs_usd", [partition], "amount_usd")
    accounts = lake.table(ctx, "stg_account_daily", [partition], "account_id, is_active, licences")
    if costs is None or accounts is None:
        return Outcome("error", f"no published stg_costs_usd / stg_account_daily for {partition} to reconcile with",
                       failing_count=1)
    cost = lake.query(ctx, f"SELECT coalesce(sum(amount_usd), 0.0) AS usd FROM ({costs})")[0]
    active = {r["account_id"]: r["licences"] for r in lake.query(ctx, f"SELECT * FROM ({accounts})") if r["is_active"]}
    rows = ctx.rows("SELECT account_id, licences, allocated_cost_usd FROM {t}", partition)
    total, licences = cost["usd"], sum(active.values())
    rate = total / licences if licences else 0.0
    allocated = sum(r["allocated_cost_usd"] for r in rows)
    bad = [r | {"rule": "inactive account allocated cost"} for r in rows
           if r["account_id"] not in active and not _close(r["allocated_cost_usd"], 0.0)]
    bad += [r | {"rule": f"not {rate:.6f} USD per licence"} for r in rows
            if r["account_id"] in active and not _close(r["allocated_cost_usd"], rate * r["licences"], 1e-6)]
    missing = sorted(set(active) - {r["account_id"] for r in rows})
    bad += [{"account_id": a, "licences": active[a], "allocated_cost_usd": None, "rule": "active account missing"}
            for a in missing]
    expected = total if licences else 0.0
    observed = {"total_cost_usd": total, "allocated_usd": allocated, "active_licences": licences,
                "cost_per_licence_usd": rate, "unallocated_usd": total - allocated}
    bound = {"sum": "allocations = the day's total cost of stg_costs_usd (0 when no active licence)",
             "rule": "active accounts: cost per licence x licences; others 0", "tolerance_usd": 0.01}
    if _close(allocated, expected) and not bad:
        note = "" if licences else " (no active licence: nothing to allocate)"
        return passed(f"{allocated:,.2f} USD allocated = the day's total cost {total:,.2f}{note}", observed=observed, bound=bound)
    return Outcome(
        "error", f"cost allocation of {partition} unbalanced: {allocated:,.2f} USD allocated vs total cost {expected:,.2f} "
        f"({allocated - expected:+,.2f}); {len(bad)} account row(s) break the per-licence rule",
        observed, bound, failing_count=len(bad) + (not _close(allocated, expected)), sample=bad[:20],
        sql=lake_query(f"select u.account_id, u.licences, u.allocated_cost_usd, a.is_active, u.allocated_cost_usd / "
                       f"nullif(u.licences, 0) as per_licence from profit_unit_level u left join stg_account_daily a "
                       f"using (date, account_id) where u.date = '{partition}' order by per_licence desc nulls first"),
    )


RATIOS = (("profit_margin", "profit_usd", "revenue_usd"), ("profit_per_account_usd", "profit_usd", "active_accounts"),
          ("profit_per_licence_usd", "profit_usd", "licences"))
FLOATS = ("revenue_usd", "billed_revenue_usd", "refunds_usd", "expenses_usd", "salaries_usd", "profit_usd",
          "excluded_revenue_usd", *(r[0] for r in RATIOS))


def _ratios(ctx: AuditContext, partition: str) -> Outcome:
    row = ctx.rows("SELECT * FROM {t}", partition)[0]
    problems = [f"{c} is {row[c]}" for c in FLOATS if row[c] is not None and (row[c] != row[c] or abs(row[c]) == float("inf"))]
    for ratio, num, den in RATIOS:
        value, d = row[ratio], row[den]
        if d == 0 and value is not None:
            problems.append(f"{ratio} = {value} with {den} = 0 (must be null)")
        elif d != 0 and value is None:
            problems.append(f"{ratio} is null with {den} = {d}")
        elif d != 0 and value == value and not _close(value, row[num] / d, 1e-9):
            problems.append(f"{ratio} = {value} but {num} / {den} = {row[num] / d}")
    observed = {c: (str(row[c]) if row[c] is not None and row[c] != row[c] else row[c]) for c in (*FLOATS, "active_accounts", "licences")}
    bound = {"rule": "ratio null exactly when its denominator is 0, else finite and = numerator / denominator; no NaN/inf"}
    if not problems:
        return passed("profit_margin, profit_per_account_usd and profit_per_licence_usd are defined correctly",
                      observed=observed, bound=bound)
    return Outcome("error", f"{len(problems)} ratio problem(s) on {partition}: " + "; ".join(problems), observed, bound,
                   failing_count=len(problems), sample=[{"date": partition, **observed}],
                   sql=lake_query(f"select * from profit_aggregate where date = '{partition}'"))


def _excluded(ctx: AuditContext, partition: str) -> Outcome:
    row = ctx.rows("SELECT * FROM {t}", partition)[0]
    rec, rev, acc = (lake.table(ctx, a, [partition]) for a in ("stg_revenue_recognised", "stg_revenue_usd",
                                                                  "stg_account_daily"))
    if rev is None or acc is None:
        return Outcome("error", f"cannot reconcile {partition}: published stg_revenue_usd and stg_account_daily required",
                       failing_count=1)
    recognised = (f"SELECT coalesce(sum(investor_recognised_usd), 0.0) FROM ({rec})",
                  f"SELECT coalesce(sum(recognised_usd - investor_recognised_usd), 0.0) FROM ({rec})") if rec else ("0.0", "0.0")
    inputs = lake.query(ctx, f"""SELECT ({recognised[0]}) AS revenue_usd, ({recognised[1]}) AS excluded_revenue_usd,
      (SELECT coalesce(sum(amount_usd) FILTER (WHERE NOT exclude_from_investor), 0.0) FROM ({rev})) AS billed_revenue_usd,
      (SELECT coalesce(sum(-amount_usd) FILTER (WHERE NOT exclude_from_investor AND kind = 'refund'), 0.0) FROM ({rev})) AS refunds_usd,
      (SELECT count(*) FILTER (WHERE is_active AND NOT exclude_from_investor) FROM ({acc})) AS active_accounts,
      (SELECT coalesce(sum(licences) FILTER (WHERE is_active AND NOT exclude_from_investor), 0) FROM ({acc})) AS licences""")[0]
    flags = lake.query(ctx, f"""SELECT r.invoice_id, r.account_id, r.amount_usd, r.exclude_from_investor AS document_flag,
        a.exclude_from_investor AS account_flag, a.experiment_id FROM ({rev}) r LEFT JOIN ({acc}) a USING (account_id)
        WHERE r.exclude_from_investor IS DISTINCT FROM a.exclude_from_investor ORDER BY abs(r.amount_usd) DESC LIMIT 1000""")
    diffs = {k: {"published": row[k], "from_inputs": v} for k, v in inputs.items() if not _close(row[k], v)}
    observed = {"investor_figures": {k: row[k] for k in inputs}, "from_inputs": inputs, "documents_with_wrong_flag": len(flags)}
    bound = {"rule": "investor figures = inputs without exclude_from_investor traffic; document flag = account flag on "
             "its issue day", "tolerance_usd": 0.01}
    if not diffs and not flags:
        return passed(f"investor figures of {partition} leave out experiment traffic (excluded revenue "
                      f"{row['excluded_revenue_usd']:,.2f} USD)", observed=observed, bound=bound)
    parts = [f"{k} {v['published']:,.2f} vs {v['from_inputs']:,.2f} without excluded traffic" for k, v in diffs.items()]
    parts += [f"{len(flags)} document(s) flagged unlike their account's experiment that day"] if flags else []
    return Outcome("error", f"experiment traffic in investor figures of {partition}: " + "; ".join(parts),
                   observed | {"differences": diffs}, bound, failing_count=len(diffs) + len(flags),
                   sample=flags[:20] or [{"field": k, **v} for k, v in diffs.items()],
                   sql=lake_query(f"select p.date, p.revenue_usd, p.excluded_revenue_usd, sum(r.investor_recognised_usd) "
                                  f"as investor_recognised, sum(r.recognised_usd - r.investor_recognised_usd) as excluded "
                                  f"from profit_aggregate p join stg_revenue_recognised r using (date) where p.date = "
                                  f"'{partition}' group by all"))


COST_ALLOCATION_BALANCED = CheckDef(
    "cost_allocation_balanced", "profit_unit_level", "accuracy",
    "The day's allocated costs add up to its total cost in stg_costs_usd (0 when no account has an active licence), "
    "only active accounts of stg_account_daily carry cost, each at total cost / active licences per licence (0.01 USD "
    "tolerance). Experiment-facing: reported as WARN, the partition is published.",
    "cost-allocation-change", _cost_allocation, failure_modes=("cost-allocation-change", "join-fan-out-or-null-explosion"),
)
RATIOS_DEFINED = CheckDef(
    "ratios_defined", "profit_aggregate", "plausibility",
    "profit_margin, profit_per_account_usd and profit_per_licence_usd are null exactly when revenue_usd, "
    "active_accounts or licences is 0, otherwise finite and equal to profit_usd / denominator; no money column is "
    "NaN or infinite. ERROR (blocks the investor partition).",
    "na-or-divide-by-zero", _ratios, failure_modes=("na-or-divide-by-zero",),
)
EXPERIMENT_EXCLUDED = CheckDef(
    "experiment_excluded", "profit_aggregate", "accuracy",
    "Investor revenue, excluded revenue, billed revenue, refunds, active accounts and licences equal what the "
    "published inputs give without exclude_from_investor traffic (stg_revenue_recognised's investor split, the "
    "documents not flagged, the active non-excluded accounts), and every document of the day carries its account's "
    "flag from that day's snapshot. ERROR on any difference (0.01 USD tolerance): experiment traffic in investor numbers.",
    "experiment-traffic-leak", _excluded, failure_modes=("experiment-traffic-leak",),
)
