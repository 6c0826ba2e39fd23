"""Profit outputs: `profit_unit_level` (experiment-facing) and `profit_aggregate` (investor-facing).

Both are DuckDB aggregations of stg_account_daily, stg_revenue_usd and stg_costs_usd read from
the lake for every day of the run in one pass. Nothing is rounded; money is USD. A failed run
publishes nothing; re-running a day replaces its rows (same inputs give the same checksum).
"""

from collections.abc import Iterator

import dagster as dg

from pipeline_ops.quality.dagster_checks import check_specs
from dagster import AssetExecutionContext

from pipeline_ops.asset_meta import pipeline_asset_args
from pipeline_ops.lake.publish import now_utc, publish_frame
from pipeline_ops.metrics.profit import AGGREGATE_SCHEMA, DEFINITION_VERSION, UNIT_LEVEL_SCHEMA
from pipeline_ops.partitions import daily_partitions
from pipeline_ops.profit import compute
from pipeline_ops.profit.staging import ASSETS as STAGING_ASSETS
from pipeline_ops.resources.lake import LakeResource
from pipeline_ops.staging.common import run_days

_DEPS = [dg.AssetKey("stg_account_daily"), dg.AssetKey("stg_revenue_usd"), dg.AssetKey("stg_costs_usd")]


def _build(context: AssetExecutionContext, lake: LakeResource, schema, compute_fn) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    keys, days = run_days(context)
    store = lake.lake()
    frame = compute_fn(
        store.read("stg_account_daily", keys), store.read("stg_revenue_usd", keys), store.read("stg_costs_usd", keys), days
    )
    frame["definition_version"] = DEFINITION_VERSION
    yield from publish_frame(context, store, schema, frame, keys, started, DEFINITION_VERSION)


@dg.asset(
    key=UNIT_LEVEL_SCHEMA.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(UNIT_LEVEL_SCHEMA.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=_DEPS,
    description=(
        "Experiment-facing profit per account per UTC day, for every account active that day or billed that "
        "day (all accounts kept, with experiment_id/variant and exclude_from_investor): net revenue (invoices - "
        "refunds issued that day, USD), allocated cost = the day's total cost (expenses + daily salary share) x "
        "the account's licences / licences of all active accounts (0 when none), profit = revenue - allocated "
        "cost, profit per licence (null at 0 licences). Fails if revenue bills an account missing from the "
        "snapshot. Re-run: replaces the day."
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
        "Investor-facing profit, one row per UTC day, in USD: net revenue and refunds excluding accounts flagged "
        "exclude_from_investor that day (excluded_revenue_usd shows what was left out), expenses, salaries "
        "(monthly payroll / days in month), profit = revenue - expenses - salaries, profit margin (null when "
        "revenue is 0), active accounts and licences (non-excluded), profit per account and per licence (null "
        "at 0). Fails closed on any missing input day or FX rate. Re-run: replaces the day."
    ),
    **pipeline_asset_args("profit_aggregate", kinds={"duckdb", "parquet"}),
)
def profit_aggregate(context: AssetExecutionContext, lake: LakeResource) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    yield from _build(context, lake, AGGREGATE_SCHEMA, compute.profit_aggregate)


ASSETS = [*STAGING_ASSETS, profit_unit_level, profit_aggregate]
