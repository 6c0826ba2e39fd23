"""growth_aggregate.accuracy_drift: the day published three days ago, rebuilt from landing now.

The rebuild re-stages the day's FX rates, accounts snapshot and subscription events from the
landing zone with the same pure transforms the staging assets use (experiment assignments come from
the lake, as published), then runs the aggregate's query on them; nothing is written. Framework,
tolerance and severity: pipeline_ops/quality/accuracy.py.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline_ops.growth import compute
from pipeline_ops.growth.schemas import ACCOUNT_DAILY, SUBSCRIPTION_EVENTS_USD
from pipeline_ops.growth.transform import stage_account_daily, stage_events
from pipeline_ops.metrics.growth import AGGREGATE_SCHEMA, DEFINITION_VERSION
from pipeline_ops.quality.accuracy import accuracy_drift
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.staging.schemas import DEFINITION_VERSION as STAGING_VERSION, FX_RATES
from pipeline_ops.staging.transform import stage_fx


def conformed(schema, frame: pd.DataFrame, version: str) -> pd.DataFrame:
    """A re-staged frame as its asset publishes it (the definition version is part of the schema)."""
    return schema.conform(frame.assign(definition_version=version))


def restaged_fx(ctx: AuditContext, day: dt.date) -> pd.DataFrame:
    """stg_fx_rates of `day` as the landing zone has it now."""
    return conformed(FX_RATES, stage_fx(ctx.extra["landing"].read("fx_rates", [day]), [day]), STAGING_VERSION)


def restaged_accounts(ctx: AuditContext, day: dt.date, rates: pd.DataFrame) -> pd.DataFrame:
    """stg_account_daily of `day` from the landing snapshot now and the published assignments."""
    assignments = ctx.lake.read("stg_experiment_assignments", [day.isoformat()])
    frame = stage_account_daily(ctx.extra["landing"].read("accounts", [day]), assignments, rates)
    return conformed(ACCOUNT_DAILY, frame, DEFINITION_VERSION)


def recompute_growth_aggregate(ctx: AuditContext, day: dt.date) -> pd.DataFrame:
    rates = restaged_fx(ctx, day)
    accounts = restaged_accounts(ctx, day, rates)
    assignments = ctx.lake.read("stg_experiment_assignments", [day.isoformat()])
    events, _ = stage_events(ctx.extra["landing"].read("subscription_events", [day]), assignments, rates)
    frame = compute.growth_aggregate(accounts, conformed(SUBSCRIPTION_EVENTS_USD, events, DEFINITION_VERSION), [day])
    return conformed(AGGREGATE_SCHEMA, frame, DEFINITION_VERSION)


GROWTH_ACCURACY_DRIFT = accuracy_drift(
    AGGREGATE_SCHEMA.asset, recompute_growth_aggregate,
    amounts=("new_accounts", "churned_accounts", "net_new_accounts", "net_licence_adds", "active_accounts",
             "licences", "mrr_usd", "net_new_mrr_usd"),
    points={"mrr_growth_pct": 1.0},
)
