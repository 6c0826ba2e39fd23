"""profit_aggregate.accuracy_drift: the day published three days ago, rebuilt from landing now.

The rebuild re-stages the day's FX rates, accounts snapshot, revenue documents and cost lines from
the landing zone with the staging assets' own pure transforms (assignments and the earlier days of
the 31-day recognition look-back come from the lake, as published), recognises the day's revenue
and runs the aggregate's query; nothing is written. So a revenue export corrected after the day was
published, a re-delivered snapshot, an FX correction or a re-booked expense all show as drift of
the investor row. Framework, tolerance and severity: pipeline_ops/quality/accuracy.py.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline_ops.growth.accuracy import conformed, restaged_accounts, restaged_fx
from pipeline_ops.metrics.profit import AGGREGATE_SCHEMA, DEFINITION_VERSION
from pipeline_ops.profit import compute, recognition
from pipeline_ops.profit.schemas import COSTS_USD, RECOGNISED_USD, REVENUE_USD
from pipeline_ops.profit.transform import stage_costs, stage_revenue
from pipeline_ops.quality.accuracy import accuracy_drift
from pipeline_ops.quality.audit import AuditContext


def _conformed(schema, frame: pd.DataFrame) -> pd.DataFrame:
    return conformed(schema, frame, DEFINITION_VERSION)


def recompute_profit_aggregate(ctx: AuditContext, day: dt.date) -> pd.DataFrame:
    zone, key = ctx.extra["landing"], day.isoformat()
    rates = restaged_fx(ctx, day)
    accounts = restaged_accounts(ctx, day, rates)
    docs = _conformed(REVENUE_USD, stage_revenue(zone.read("revenue", [day]), rates, accounts)[0])
    costs = _conformed(COSTS_USD, stage_costs(zone.read("expenses", [day]), zone.read("salaries", [day]), rates, [day]))
    history = recognition.history_start(ctx.cfg.processing.partitions_start, ctx.lake.partitions(REVENUE_USD.asset))
    earlier = [k for k in recognition.lookback_keys([day], history) if k != key]
    window = pd.concat([ctx.lake.read(REVENUE_USD.asset, earlier), docs], ignore_index=True) if earlier else docs
    recognised = _conformed(RECOGNISED_USD, recognition.recognise(window, [day], history))
    frame = compute.profit_aggregate(accounts, docs, recognised, costs, [day], history)
    return _conformed(AGGREGATE_SCHEMA, frame)


PROFIT_ACCURACY_DRIFT = accuracy_drift(
    AGGREGATE_SCHEMA.asset, recompute_profit_aggregate,
    amounts=("revenue_usd", "billed_revenue_usd", "refunds_usd", "expenses_usd", "salaries_usd",
             "excluded_revenue_usd", "active_accounts", "licences"),
    points={"profit_margin": 100.0},
)
