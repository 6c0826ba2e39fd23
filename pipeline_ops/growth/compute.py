"""growth_daily and growth_aggregate as DuckDB SQL over the two growth staging tables.

Stocks (active accounts, licences, MRR) come from `acc` (stg_account_daily), flows from `ev`
(stg_subscription_events_usd); `days` makes sure every requested day has its row(s).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline_ops.staging.duck import days_frame, query

_STOCKS = """
    count(*) FILTER (WHERE is_active) AS active_accounts,
    coalesce(sum(licences) FILTER (WHERE is_active), 0) AS licences,
    coalesce(sum(mrr_usd) FILTER (WHERE is_active), 0.0) AS mrr_usd"""
_FLOWS = """
    count(*) FILTER (WHERE event_type = 'new') AS new_accounts,
    count(*) FILTER (WHERE event_type = 'churn') AS churned_accounts,
    coalesce(sum(licence_delta), 0) AS net_licence_adds,
    coalesce(sum(mrr_delta_usd) FILTER (WHERE event_type = 'new'), 0.0) AS new_mrr_usd,
    coalesce(sum(mrr_delta_usd) FILTER (
        WHERE event_type IN ('upgrade', 'licence_change', 'renewal') AND mrr_delta_usd > 0), 0.0) AS expansion_mrr_usd,
    coalesce(sum(-mrr_delta_usd) FILTER (
        WHERE event_type IN ('downgrade', 'licence_change', 'renewal') AND mrr_delta_usd < 0), 0.0) AS contraction_mrr_usd,
    coalesce(sum(mrr_before_usd) FILTER (WHERE event_type = 'churn'), 0.0) AS churned_mrr_usd,
    coalesce(sum(mrr_delta_usd), 0.0) AS net_new_mrr_usd"""
_ARM = "coalesce(experiment_id, 'none') AS experiment_id, coalesce(variant, 'none') AS variant"
_OUT = """
    coalesce(e.new_accounts, 0)::BIGINT AS new_accounts,
    coalesce(e.churned_accounts, 0)::BIGINT AS churned_accounts,
    (coalesce(e.new_accounts, 0) - coalesce(e.churned_accounts, 0))::BIGINT AS net_new_accounts,
    coalesce(e.net_licence_adds, 0)::BIGINT AS net_licence_adds,
    coalesce(a.active_accounts, 0)::BIGINT AS active_accounts,
    coalesce(a.licences, 0)::BIGINT AS licences,
    coalesce(a.mrr_usd, 0.0) AS mrr_usd,
    coalesce(e.net_new_mrr_usd, 0.0) AS net_new_mrr_usd"""

DAILY_SQL = f"""
WITH a AS (SELECT date, {_ARM}, {_STOCKS} FROM acc GROUP BY ALL),
     e AS (SELECT date, {_ARM}, {_FLOWS} FROM ev GROUP BY ALL),
     arms AS (SELECT date, experiment_id, variant FROM a
              UNION SELECT date, experiment_id, variant FROM e
              UNION SELECT date, 'none', 'none' FROM days)
SELECT arms.date, arms.experiment_id, arms.variant, {_OUT},
    coalesce(e.new_mrr_usd, 0.0) AS new_mrr_usd,
    coalesce(e.expansion_mrr_usd, 0.0) AS expansion_mrr_usd,
    coalesce(e.contraction_mrr_usd, 0.0) AS contraction_mrr_usd,
    coalesce(e.churned_mrr_usd, 0.0) AS churned_mrr_usd
FROM arms
LEFT JOIN a USING (date, experiment_id, variant)
LEFT JOIN e USING (date, experiment_id, variant)
ORDER BY arms.date, arms.experiment_id, arms.variant
"""

# Investor view: the same stocks and flows without excluded accounts, one row per day.
AGGREGATE_SQL = f"""
WITH a AS (SELECT date, {_STOCKS} FROM acc WHERE NOT exclude_from_investor GROUP BY ALL),
     e AS (SELECT date, {_FLOWS} FROM ev WHERE NOT exclude_from_investor GROUP BY ALL)
SELECT days.date, {_OUT},
    CASE WHEN coalesce(a.mrr_usd, 0.0) - coalesce(e.net_new_mrr_usd, 0.0) = 0 THEN NULL
         ELSE 100 * coalesce(e.net_new_mrr_usd, 0.0) / (coalesce(a.mrr_usd, 0.0) - coalesce(e.net_new_mrr_usd, 0.0))
    END AS mrr_growth_pct
FROM days LEFT JOIN a USING (date) LEFT JOIN e USING (date)
ORDER BY days.date
"""


def _inputs(accounts: pd.DataFrame, events: pd.DataFrame, days: list[dt.date]) -> dict:
    return {"acc": accounts, "ev": events, "days": days_frame(days)}


def growth_daily(accounts: pd.DataFrame, events: pd.DataFrame, days: list[dt.date]) -> pd.DataFrame:
    return query(DAILY_SQL, **_inputs(accounts, events, days))


def growth_aggregate(accounts: pd.DataFrame, events: pd.DataFrame, days: list[dt.date]) -> pd.DataFrame:
    return query(AGGREGATE_SQL, **_inputs(accounts, events, days))
