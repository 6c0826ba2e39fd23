"""Growth outputs: `growth_daily` (experiment-facing, per arm) and `growth_aggregate` (investor-facing).

Both are DuckDB aggregations of stg_account_daily (stocks at end of day) and
stg_subscription_events_usd (the day's flows), read from the lake for every day of the run in one
pass. Nothing is rounded; money is USD/month. A failed run publishes nothing; re-running a day
replaces its rows (same inputs give the same checksum).
"""

from collections.abc import Iterator

import dagster as dg

from pipeline_ops.backfills.guard import INVESTOR_RESOURCES, InvestorApprovalGuard
from pipeline_ops.quality.dagster_checks import check_specs
from dagster import AssetExecutionContext

from pipeline_ops.asset_meta import pipeline_asset_args
from pipeline_ops.growth import compute
from pipeline_ops.growth.staging import ASSETS as STAGING_ASSETS
from pipeline_ops.lake.publish import now_utc, publish_frame
from pipeline_ops.metrics.growth import AGGREGATE_SCHEMA, DAILY_SCHEMA, DEFINITION_VERSION
from pipeline_ops.partitions import daily_partitions
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops.staging.common import run_days

_DEPS = [dg.AssetKey("stg_account_daily"), dg.AssetKey("stg_subscription_events_usd")]


def _build(context: AssetExecutionContext, lake: LakeResource, schema, compute_fn, landing: LandingResource | None = None) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    keys, days = run_days(context)
    store = lake.lake()
    frame = compute_fn(store.read("stg_account_daily", keys), store.read("stg_subscription_events_usd", keys), days)
    frame["definition_version"] = DEFINITION_VERSION
    yield from publish_frame(context, store, schema, frame, keys, started, DEFINITION_VERSION,
                             audit_extra={"landing": landing.zone()} if landing else None)


@dg.asset(
    key=DAILY_SCHEMA.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(DAILY_SCHEMA.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=_DEPS,
    description=(
        "Experiment-facing daily growth per (experiment_id, variant), all accounts kept (excluded experiments "
        "too), plus one row experiment_id = variant = 'none' for unassigned accounts, every day. Flows from the "
        "day's events: new/churned/net new accounts, net licence adds, new, expansion (positive deltas of "
        "upgrade/licence_change/renewal), contraction (negative deltas of downgrade/licence_change/renewal, as a "
        "positive number), churned (mrr_before of churns) and net new MRR (all deltas); stocks at end of day: "
        "active accounts, licences, MRR (USD/month). Re-run: replaces the day."
    ),
    **pipeline_asset_args("growth_daily", kinds={"duckdb", "parquet"}),
)
def growth_daily(context: AssetExecutionContext, lake: LakeResource) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    yield from _build(context, lake, DAILY_SCHEMA, compute.growth_daily)


@dg.asset(
    key=AGGREGATE_SCHEMA.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(AGGREGATE_SCHEMA.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=_DEPS,
    description=(
        "Investor-facing daily growth, one row per UTC day, excluding accounts flagged exclude_from_investor "
        "that day: new, churned and net new accounts, net licence adds, active accounts, licences, MRR "
        "(end-of-day, USD/month at the day's rate), net new MRR (sum of the day's event deltas) and "
        "mrr_growth_pct = 100 x net_new_mrr_usd / (mrr_usd - net_new_mrr_usd), null when that start-of-day MRR "
        "is 0. Fails closed on any missing input day. Each run also recomputes the day published 3 days earlier "
        "from landing (check accuracy_drift). Re-run: replaces the day."
    ),
    resource_defs=INVESTOR_RESOURCES,  # replacing a published day needs an approval
    **pipeline_asset_args("growth_aggregate", kinds={"duckdb", "parquet"}),
)
def growth_aggregate(context: AssetExecutionContext, lake: LakeResource, landing: LandingResource, investor_approval: InvestorApprovalGuard) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    yield from _build(context, lake, AGGREGATE_SCHEMA, compute.growth_aggregate, landing)


ASSETS = [*STAGING_ASSETS, growth_daily, growth_aggregate]
