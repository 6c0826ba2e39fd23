"""profit_unit_level and profit_aggregate as DuckDB SQL over the staging tables.

`acc` is stg_account_daily, `rev` stg_revenue_usd (documents issued that day: billed revenue),
`rec` stg_revenue_recognised (revenue earned that day), `cost` stg_costs_usd, `days` the run's days
with `history_complete` (the recognition look-back of the day lies inside the lake's history).
Revenue, profit and margin are recognised revenue; billed revenue is kept beside them. Investor
exclusion follows the document: one issued while its account was exclude_from_investor stays out
of investor revenue (billed on its issue day, recognised on every day of its period).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline_ops.profit.recognition import complete
from pipeline_ops.staging.common import DataContractError, day_str
from pipeline_ops.staging.duck import days_frame, query

# A day is recognition-complete when its recognised rows say so (they were built with the lake's
# history at the time); a day without any recognised row falls back to the history it has now.
_COMPLETE = """k AS (SELECT days.date, coalesce(bool_and(rec.recognition_complete), any_value(days.history_complete)) AS recognition_complete
           FROM days LEFT JOIN rec USING (date) GROUP BY ALL)"""

# Cost is shared by licences of active accounts only, so the allocations of a day add up to its cost.
UNIT_SQL = f"""
WITH b AS (SELECT date, account_id, sum(amount_usd) AS billed_revenue_usd FROM rev GROUP BY ALL),
     r AS (SELECT date, account_id, recognised_usd FROM rec),
     c AS (SELECT date, sum(amount_usd) AS total_cost_usd FROM cost GROUP BY ALL),
     l AS (SELECT date, sum(licences) FILTER (WHERE is_active) AS active_licences FROM acc GROUP BY ALL),
     {_COMPLETE},
     u AS (
        SELECT acc.date, acc.account_id, plan, region, licences, is_active, experiment_id, variant,
               exclude_from_investor, coalesce(r.recognised_usd, 0.0) AS revenue_usd,
               coalesce(b.billed_revenue_usd, 0.0) AS billed_revenue_usd,
               CASE WHEN coalesce(l.active_licences, 0) = 0 OR NOT is_active THEN 0.0
                    ELSE coalesce(c.total_cost_usd, 0.0) * licences / l.active_licences END AS allocated_cost_usd
        FROM acc LEFT JOIN r USING (date, account_id) LEFT JOIN b USING (date, account_id)
                 LEFT JOIN c USING (date) LEFT JOIN l USING (date)
        WHERE is_active OR r.account_id IS NOT NULL OR b.account_id IS NOT NULL)
SELECT date, account_id, plan, region, licences, revenue_usd, billed_revenue_usd, allocated_cost_usd,
       revenue_usd - allocated_cost_usd AS profit_usd,
       CASE WHEN licences = 0 THEN NULL ELSE (revenue_usd - allocated_cost_usd) / licences END AS profit_per_licence_usd,
       experiment_id, variant, exclude_from_investor, recognition_complete
FROM u JOIN k USING (date) ORDER BY date, account_id
"""

AGGREGATE_SQL = f"""
WITH b AS (
        SELECT date,
               coalesce(sum(amount_usd) FILTER (WHERE NOT exclude_from_investor), 0.0) AS billed_revenue_usd,
               coalesce(sum(-amount_usd) FILTER (WHERE NOT exclude_from_investor AND kind = 'refund'), 0.0) AS refunds_usd
        FROM rev GROUP BY ALL),
     r AS (
        SELECT date, sum(investor_recognised_usd) AS revenue_usd,
               sum(recognised_usd - investor_recognised_usd) AS excluded_revenue_usd
        FROM rec GROUP BY ALL),
     c AS (
        SELECT date,
               coalesce(sum(amount_usd) FILTER (WHERE source = 'expense'), 0.0) AS expenses_usd,
               coalesce(sum(amount_usd) FILTER (WHERE source = 'salary'), 0.0) AS salaries_usd
        FROM cost GROUP BY ALL),
     a AS (
        SELECT date, count(*) AS active_accounts, sum(licences) AS licences
        FROM acc WHERE is_active AND NOT exclude_from_investor GROUP BY ALL),
     {_COMPLETE},
     d AS (
        SELECT days.date, coalesce(revenue_usd, 0.0) AS revenue_usd, coalesce(billed_revenue_usd, 0.0) AS billed_revenue_usd,
               coalesce(refunds_usd, 0.0) AS refunds_usd,
               coalesce(expenses_usd, 0.0) AS expenses_usd, coalesce(salaries_usd, 0.0) AS salaries_usd,
               coalesce(active_accounts, 0)::BIGINT AS active_accounts, coalesce(licences, 0)::BIGINT AS licences,
               coalesce(excluded_revenue_usd, 0.0) AS excluded_revenue_usd, k.recognition_complete
        FROM days LEFT JOIN r USING (date) LEFT JOIN b USING (date) LEFT JOIN c USING (date) LEFT JOIN a USING (date)
                  JOIN k USING (date))
SELECT *, revenue_usd - expenses_usd - salaries_usd AS profit_usd,
       CASE WHEN revenue_usd = 0 THEN NULL ELSE (revenue_usd - expenses_usd - salaries_usd) / revenue_usd END AS profit_margin,
       CASE WHEN active_accounts = 0 THEN NULL ELSE (revenue_usd - expenses_usd - salaries_usd) / active_accounts END AS profit_per_account_usd,
       CASE WHEN licences = 0 THEN NULL ELSE (revenue_usd - expenses_usd - salaries_usd) / licences END AS profit_per_licence_usd
FROM d ORDER BY date
"""


def check_billed_accounts_known(accounts: pd.DataFrame, revenue: pd.DataFrame, what: str = "stg_revenue_usd",
                                id_column: str = "invoice_id") -> None:
    """Revenue of an account missing from that day's snapshot would be dropped by the joins: raise."""
    known = pd.MultiIndex.from_frame(accounts[["date", "account_id"]].astype({"account_id": str}))
    billed = pd.MultiIndex.from_frame(revenue[["date", "account_id"]].astype({"account_id": str}))
    orphan = revenue[~billed.isin(known)]
    if len(orphan):
        row = orphan.iloc[0]
        first = f"{row[id_column]} for {row['account_id']}" if id_column in orphan.columns else row["account_id"]
        raise DataContractError(
            f"{what} {day_str(row['date'])}: {len(orphan)} row(s) give revenue to accounts missing from that "
            f"day's accounts snapshot (first: {first}); their revenue would be lost."
        )


def _inputs(accounts, revenue, recognised, costs, days, history) -> dict[str, pd.DataFrame]:
    check_billed_accounts_known(accounts, revenue)
    check_billed_accounts_known(accounts, recognised, "stg_revenue_recognised", "")
    frame = days_frame(days).assign(history_complete=[complete(d, history) for d in days])
    return {"acc": accounts, "rev": revenue, "rec": recognised, "cost": costs, "days": frame}


def profit_unit_level(accounts: pd.DataFrame, revenue: pd.DataFrame, recognised: pd.DataFrame, costs: pd.DataFrame,
                      days: list[dt.date], history: dt.date) -> pd.DataFrame:
    """Per account and day: recognised and billed revenue, cost share, profit (see metrics/profit.py)."""
    return query(UNIT_SQL, **_inputs(accounts, revenue, recognised, costs, days, history))


def profit_aggregate(accounts: pd.DataFrame, revenue: pd.DataFrame, recognised: pd.DataFrame, costs: pd.DataFrame,
                     days: list[dt.date], history: dt.date) -> pd.DataFrame:
    """One row per day for investors: recognised revenue, billed revenue, costs, profit, margin."""
    return query(AGGREGATE_SQL, **_inputs(accounts, revenue, recognised, costs, days, history))
