"""Profit outputs: `profit_unit_level` (experiment-facing) and `profit_aggregate` (investor-facing).

Both are DuckDB aggregations of stg_account_daily, stg_revenue_recognised (revenue earned that
day: revenue, profit and margin), stg_revenue_usd (documents issued that day: billed revenue,
kept beside it) and stg_costs_usd, read from the lake for every day of the run in one pass.
Nothing is rounded; money is USD. Days whose recognition look-back reaches before the lake's
revenue history are published with recognition_complete = false (metadata lists them). A failed
run publishes nothing; re-running a day replaces its rows (same inputs give the same checksum).
"""

from collections.abc import Iterator

import dagster as dg

from pipeline_ops.backfills.guard import INVESTOR_RESOURCES, InvestorApprovalGuard
from pipeline_ops.quality.dagster_checks import check_specs
from dagster import AssetExecutionContext

from pipeline_ops.asset_meta import pipeline_asset_args
from pipeline_ops.lake.publish import now_utc, publish_frame
from pipeline_ops.metrics.profit import AGGREGATE_SCHEMA, DEFINITION_VERSION, UNIT_LEVEL_SCHEMA
from pipeline_ops.partitions import daily_partitions
from pipeline_ops.config import current_config
from pipeline_ops.profit import compute, recognition
from pipeline_ops.profit.schemas import RECOGNISED_USD, REVENUE_USD
from pipeline_ops.profit.staging import ASSETS as STAGING_ASSETS
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops.staging.common import run_days

_DEPS = [dg.AssetKey("stg_account_daily"), dg.AssetKey(REVENUE_USD.asset), dg.AssetKey(RECOGNISED_USD.asset),
         dg.AssetKey("stg_costs_usd")]


def _build(context: AssetExecutionContext, lake: LakeResource, schema, compute_fn, landing: LandingResource | None = None) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    keys, days = run_days(context)
    store = lake.lake()
    history = recognition.history_start(current_config().processing.partitions_start, store.partitions(REVENUE_USD.asset))
    frame = compute_fn(
        store.read("stg_account_daily", keys), store.read(REVENUE_USD.asset, keys), store.read(RECOGNISED_USD.asset, keys),
        store.read("stg_costs_usd", keys), days, history,
    )
    frame["definition_version"] = DEFINITION_VERSION
    incomplete = sorted({d.strftime("%Y-%m-%d") for d in frame.loc[~frame["recognition_complete"].astype(bool), "date"]})
    stats = {"recognition_complete": not incomplete, "recognition_incomplete_days": ", ".join(incomplete) or "none"}
    yield from publish_frame(context, store, schema, frame, keys, started, DEFINITION_VERSION, extra_metadata=stats,
                             audit_extra={"landing": landing.zone()} if landing else None)


@dg.asset(
    key=UNIT_LEVEL_SCHEMA.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(UNIT_LEVEL_SCHEMA.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=_DEPS,
    description=(
        "Experiment-facing profit per account per UTC day, for every account active, billed or recognising revenue "
        "that day (all accounts kept, with experiment_id/variant and exclude_from_investor): revenue = net revenue "
        "recognised that day (stg_revenue_recognised), billed_revenue = invoices - refunds issued that day, allocated "
        "cost = the day's total cost (expenses + daily salary share) x the account's licences / licences of all "
        "active accounts (0 when none), profit = revenue - allocated cost, profit per licence (null at 0 licences), "
        "recognition_complete. Fails if revenue belongs to an account missing from the snapshot. Re-run: replaces the day."
    ),
    **pipeline_asset_args("profit_unit_level", kinds={"duckdb", "parquet"}),
)
def profit_unit_level(context: AssetExecutionContext, lake: LakeResource) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    yield from _build(context, lake, UNIT_LEVEL_SCHEMA, compute.profit_unit_level)


@dg.asset(
    key=AGGREGATE_SCHEMA.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(AGGREGATE_SCHEMA.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=_DEPS,
    description=(
        "Investor-facing profit, one row per UTC day, in USD: revenue = net revenue recognised that day (each invoice "
        "and refund spread over its service period), billed revenue and refunds issued that day, all without the "
        "documents issued while their account was exclude_from_investor (excluded_revenue_usd shows the recognised "
        "revenue left out), "
        "expenses, salaries (monthly payroll / days in month), profit = revenue - expenses - salaries, profit margin "
        "(null when revenue is 0), active accounts and licences (non-excluded), profit per account and per licence "
        "(null at 0), recognition_complete (false in the lake's first 31 days of revenue history). Fails closed on "
        "any missing input day or FX rate. Each run also recomputes the day published 3 days earlier from landing "
        "(check accuracy_drift). Re-run: replaces the day."
    ),
    resource_defs=INVESTOR_RESOURCES,  # replacing a published day needs an approval
    **pipeline_asset_args("profit_aggregate", kinds={"duckdb", "parquet"}),
)
def profit_aggregate(context: AssetExecutionContext, lake: LakeResource, landing: LandingResource, investor_approval: InvestorApprovalGuard) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    yield from _build(context, lake, AGGREGATE_SCHEMA, compute.profit_aggregate, landing)


ASSETS = [*STAGING_ASSETS, profit_unit_level, profit_aggregate]
