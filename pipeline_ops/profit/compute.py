"""profit_unit_level and profit_aggregate as DuckDB SQL over the staging tables.

`acc` is stg_account_daily, `rev` stg_revenue_usd, `cost` stg_costs_usd, `days` the run's days.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline_ops.staging.common import DataContractError, day_str
from pipeline_ops.staging.duck import days_frame, query

# Cost is shared by licences of active accounts only, so the allocations of a day add up to its cost.
UNIT_SQL = """
WITH r AS (SELECT date, account_id, sum(amount_usd) AS revenue_usd FROM rev GROUP BY ALL),
     c AS (SELECT date, sum(amount_usd) AS total_cost_usd FROM cost GROUP BY ALL),
     l AS (SELECT date, sum(licences) FILTER (WHERE is_active) AS active_licences FROM acc GROUP BY ALL),
     u AS (
        SELECT acc.date, acc.account_id, plan, region, licences, is_active, experiment_id, variant,
               exclude_from_investor, coalesce(r.revenue_usd, 0.0) AS revenue_usd,
               CASE WHEN coalesce(l.active_licences, 0) = 0 OR NOT is_active THEN 0.0
                    ELSE coalesce(c.total_cost_usd, 0.0) * licences / l.active_licences END AS allocated_cost_usd
        FROM acc LEFT JOIN r USING (date, account_id) LEFT JOIN c USING (date) LEFT JOIN l USING (date)
        WHERE is_active OR r.account_id IS NOT NULL)
SELECT date, account_id, plan, region, licences, revenue_usd, allocated_cost_usd,
       revenue_usd - allocated_cost_usd AS profit_usd,
       CASE WHEN licences = 0 THEN NULL ELSE (revenue_usd - allocated_cost_usd) / licences END AS profit_per_licence_usd,
       experiment_id, variant, exclude_from_investor
FROM u ORDER BY date, account_id
"""

AGGREGATE_SQL = """
WITH r AS (
        SELECT rev.date,
               coalesce(sum(amount_usd) FILTER (WHERE NOT exclude_from_investor), 0.0) AS revenue_usd,
               coalesce(sum(-amount_usd) FILTER (WHERE NOT exclude_from_investor AND kind = 'refund'), 0.0) AS refunds_usd,
               coalesce(sum(amount_usd) FILTER (WHERE exclude_from_investor), 0.0) AS excluded_revenue_usd
        FROM rev JOIN acc USING (date, account_id) GROUP BY ALL),
     c AS (
        SELECT date,
               coalesce(sum(amount_usd) FILTER (WHERE source = 'expense'), 0.0) AS expenses_usd,
               coalesce(sum(amount_usd) FILTER (WHERE source = 'salary'), 0.0) AS salaries_usd
        FROM cost GROUP BY ALL),
     a AS (
        SELECT date, count(*) AS active_accounts, sum(licences) AS licences
        FROM acc WHERE is_active AND NOT exclude_from_investor GROUP BY ALL),
     d AS (
        SELECT days.date, coalesce(revenue_usd, 0.0) AS revenue_usd, coalesce(refunds_usd, 0.0) AS refunds_usd,
               coalesce(expenses_usd, 0.0) AS expenses_usd, coalesce(salaries_usd, 0.0) AS salaries_usd,
               coalesce(active_accounts, 0)::BIGINT AS active_accounts, coalesce(licences, 0)::BIGINT AS licences,
               coalesce(excluded_revenue_usd, 0.0) AS excluded_revenue_usd
        FROM days LEFT JOIN r USING (date) LEFT JOIN c USING (date) LEFT JOIN a USING (date))
SELECT *, revenue_usd - expenses_usd - salaries_usd AS profit_usd,
       CASE WHEN revenue_usd = 0 THEN NULL ELSE (revenue_usd - expenses_usd - salaries_usd) / revenue_usd END AS profit_margin,
       CASE WHEN active_accounts = 0 THEN NULL ELSE (revenue_usd - expenses_usd - salaries_usd) / active_accounts END AS profit_per_account_usd,
       CASE WHEN licences = 0 THEN NULL ELSE (revenue_usd - expenses_usd - salaries_usd) / licences END AS profit_per_licence_usd
FROM d ORDER BY date
"""


def check_billed_accounts_known(accounts: pd.DataFrame, revenue: pd.DataFrame) -> None:
    """Revenue of an account missing from that day's snapshot would be dropped by the joins: raise."""
    known = pd.MultiIndex.from_frame(accounts[["date", "account_id"]].astype({"account_id": str}))
    billed = pd.MultiIndex.from_frame(revenue[["date", "account_id"]].astype({"account_id": str}))
    orphan = revenue[~billed.isin(known)]
    if len(orphan):
        row = orphan.iloc[0]
        raise DataContractError(
            f"stg_revenue_usd {day_str(row['date'])}: {len(orphan)} document(s) bill accounts missing from that "
            f"day's accounts snapshot (first: {row['invoice_id']} for {row['account_id']}); their revenue would be lost."
        )


def profit_unit_level(accounts: pd.DataFrame, revenue: pd.DataFrame, costs: pd.DataFrame, days: list[dt.date]) -> pd.DataFrame:
    check_billed_accounts_known(accounts, revenue)
    return query(UNIT_SQL, acc=accounts, rev=revenue, cost=costs, days=days_frame(days))


def profit_aggregate(accounts: pd.DataFrame, revenue: pd.DataFrame, costs: pd.DataFrame, days: list[dt.date]) -> pd.DataFrame:
    check_billed_accounts_known(accounts, revenue)
    return query(AGGREGATE_SQL, acc=accounts, rev=revenue, cost=costs, days=days_frame(days))
