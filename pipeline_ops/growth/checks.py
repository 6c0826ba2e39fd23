"""Quality checks of the growth assets (framework and severity policy: pipeline_ops/quality).

stg_account_daily, stg_subscription_events_usd and growth_aggregate are on the investor path (an
ERROR blocks the partition and everything downstream); growth_daily is experiment-facing (errors
are WARN and it publishes). Runbook sections: runbooks/growth_aggregate.md (the staging assets and
growth_aggregate) and runbooks/growth_daily.md. Thresholds: `quality.defaults` in the config
(pipeline_ops/config/quality.py documents each default). Re-run behaviour: a re-run of a day evaluates
it again against the day before as staged in the same run, else as published (never against
whatever ran last), and records a new result for that partition.

| asset | check | detects | bound |
|---|---|---|---|
| stg_account_daily | landing_accounts_contract | snapshot unlike the contract or yesterday's | ERROR, before reading |
| | contract | types, nulls, one row per account, allowed values, seats/MRR >= 0 | ERROR |
| | accounts_complete | yesterday's active accounts missing today | 99.5 %; any: WARN |
| | duplicate_accounts | one company under several account_ids | 0.1 %; any: WARN |
| | account_volume | accounts / active accounts moving overnight | 10 % WARN, 25 % ERROR |
| stg_subscription_events_usd | landing_subscription_events_contract | events file unlike the contract | ERROR, before reading |
| | contract | types, nulls, one row per event_id, allowed values | ERROR |
| | duplicate_events | an event repeated under a new event_id | 0.1 %; any: WARN |
| | events_plausible | impossible seats/MRR for the event type, churn of an active account | any: ERROR |
| growth_daily | contract | types, nulls, one row per (experiment_id, variant) | WARN (experiment-facing) |
| | plausibility | impossible arm rows | WARN |
| growth_aggregate | contract | types, nulls, one row per day | ERROR |
| | plausibility | impossible investor figures, stock-flow identity broken | ERROR |
| | growth_volume | active accounts, licences or MRR moving overnight | 10 % WARN, 25 % ERROR |
| | experiment_excluded | experiment-excluded traffic in investor counts | any difference: ERROR |
| | accuracy_drift | the day published 3 days ago, recomputed from landing now, differs | 0.5 pp / 0.5 %: ERROR on that day, never blocks |
"""

from __future__ import annotations

from pipeline_ops.growth.accuracy import GROWTH_ACCURACY_DRIFT
from pipeline_ops.growth.checks_accounts import ACCOUNTS_COMPLETE, DUPLICATE_ACCOUNTS
from pipeline_ops.growth.checks_common import stock_change
from pipeline_ops.growth.checks_events import DUPLICATE_EVENTS, EVENTS_PLAUSIBLE
from pipeline_ops.growth.checks_outputs import (
    AGGREGATE_PLAUSIBILITY, DAILY_PLAUSIBILITY, EXPERIMENT_EXCLUDED, one_row_per_day,
)
from pipeline_ops.growth.schemas import ACCOUNT_DAILY, SUBSCRIPTION_EVENTS_USD
from pipeline_ops.landing.contract import CURRENCIES, PLANS, REGIONS, SUBSCRIPTION_EVENT_TYPES
from pipeline_ops.metrics.growth import AGGREGATE_SCHEMA, DAILY_SCHEMA
from pipeline_ops.quality.contracts import Range
from pipeline_ops.quality.generic import contract
from pipeline_ops.quality.landing import landing_contract
from pipeline_ops.quality.spec import AssetQuality

SCHEMA = "schema-drift"
_VARIANTS = ("control", "treatment")
_NON_NEGATIVE = Range(ge=0)

ACCOUNT_VOLUME = stock_change(
    ACCOUNT_DAILY.asset, "account_volume", "row-count-drop",
    {"rows": "accounts in the snapshot", "active_accounts": "active accounts"}, "active_accounts",
    "select date, count(*) as accounts, count(*) filter (where is_active) as active from stg_account_daily "
    "where date in ('{prev}', '{day}') group by date order by date",
    failure_modes=("row-count-drop", "completeness-drop", "duplicate-accounts"),
)
GROWTH_VOLUME = stock_change(
    AGGREGATE_SCHEMA.asset, "growth_volume", "row-count-drop",
    {"active_accounts": "active accounts", "licences": "licences", "mrr_usd": "MRR (USD)"}, "active_accounts",
    "select date, active_accounts, licences, mrr_usd, net_new_accounts, net_new_mrr_usd from growth_aggregate "
    "where date between '{prev}' and '{day}' order by date",
    failure_modes=("row-count-drop", "fx-rate-missing-or-misaligned"),
)
_STOCKS = {"active_accounts": "count(*) FILTER (WHERE is_active)",
           "licences": "coalesce(sum(licences) FILTER (WHERE is_active), 0)",
           "mrr_usd": "coalesce(sum(mrr_usd) FILTER (WHERE is_active), 0)"}

QUALITY: list[AssetQuality] = [
    AssetQuality(
        ACCOUNT_DAILY.asset, "growth_aggregate", schema=ACCOUNT_DAILY,
        checks=(
            landing_contract("accounts", ACCOUNT_DAILY.asset, SCHEMA),
            contract(ACCOUNT_DAILY, SCHEMA, keys=("account_id",),
                     allowed={"plan": PLANS, "region": REGIONS, "currency": CURRENCIES, "status": ("active", "churned"),
                              "variant": _VARIANTS},
                     ranges={"licences": _NON_NEGATIVE, "mrr": _NON_NEGATIVE, "mrr_usd": _NON_NEGATIVE}),
            ACCOUNTS_COMPLETE, DUPLICATE_ACCOUNTS, ACCOUNT_VOLUME,
        ),
        metrics=_STOCKS,
    ),
    AssetQuality(
        SUBSCRIPTION_EVENTS_USD.asset, "growth_aggregate", schema=SUBSCRIPTION_EVENTS_USD,
        checks=(
            # Deliveries are at-least-once: staging keeps the earliest row per event_id, so a repeated id is no break.
            landing_contract("subscription_events", SUBSCRIPTION_EVENTS_USD.asset, SCHEMA, unique=()),
            contract(SUBSCRIPTION_EVENTS_USD, SCHEMA, keys=("event_id",),
                     allowed={"event_type": SUBSCRIPTION_EVENT_TYPES, "currency": CURRENCIES, "variant": _VARIANTS}),
            DUPLICATE_EVENTS, EVENTS_PLAUSIBLE,
        ),
        metrics={"new_events": "count(*) FILTER (WHERE event_type = 'new')",
                 "churn_events": "count(*) FILTER (WHERE event_type = 'churn')"},
    ),
    AssetQuality(
        DAILY_SCHEMA.asset, "growth_daily", schema=DAILY_SCHEMA,
        checks=(
            contract(DAILY_SCHEMA, SCHEMA, keys=("experiment_id", "variant"), allowed={"variant": (*_VARIANTS, "none")}),
            DAILY_PLAUSIBILITY,
        ),
        metrics={"active_accounts": "sum(active_accounts)"},
    ),
    AssetQuality(
        AGGREGATE_SCHEMA.asset, "growth_aggregate", schema=AGGREGATE_SCHEMA,
        checks=(
            one_row_per_day(contract(AGGREGATE_SCHEMA, SCHEMA)),
            AGGREGATE_PLAUSIBILITY, GROWTH_VOLUME, EXPERIMENT_EXCLUDED, GROWTH_ACCURACY_DRIFT,
        ),
        metrics={"active_accounts": "sum(active_accounts)", "licences": "sum(licences)", "mrr_usd": "sum(mrr_usd)",
                 "new_accounts": "sum(new_accounts)", "churned_accounts": "sum(churned_accounts)"},
    ),
]
