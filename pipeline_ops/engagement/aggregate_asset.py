"""`engagement_aggregate` (investor-facing, Spark): one row per UTC day from 28 days of user activity."""

from collections.abc import Iterator

import datetime as dt

import dagster as dg

from pipeline_ops.backfills.guard import INVESTOR_RESOURCES, InvestorApprovalGuard
from pipeline_ops.quality.dagster_checks import check_specs

from pipeline_ops.asset_meta import pipeline_asset_args
from pipeline_ops.engagement.aggregate import MAU_DAYS, aggregate_engagement, out_of_range
from pipeline_ops.engagement.common import PIPELINE, day_range, iso, version
from pipeline_ops.lake.publish import now_utc
from pipeline_ops.lake.spark_frames import read_lake_partitions, require_utc
from pipeline_ops.lake.spark_publish import publish_spark_frame
from pipeline_ops.metrics.engagement import ACTIVITY_SCHEMA, AGGREGATE_SCHEMA
from pipeline_ops.partitions import daily_partitions
from pipeline_ops.resources.lake import LakeResource
from pipeline_ops.resources.spark import SparkResource
from pipeline_ops.staging.common import DataContractError, run_days
from pipeline_ops.staging.schemas import EXPERIMENT_ASSIGNMENTS


@dg.asset(
    key=AGGREGATE_SCHEMA.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(AGGREGATE_SCHEMA.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetDep(ACTIVITY_SCHEMA.asset, partition_mapping=dg.TimeWindowPartitionMapping(
        start_offset=-(MAU_DAYS - 1), end_offset=0, allow_nonexistent_upstream_partitions=True))],
    description=(
        "Investor engagement, one row per UTC day: dau, wau (D-6..D), mau (D-27..D), sessions, minutes in app "
        "and clicks per active user, d7_retention (users of D-7 active again on D), adoption share of every "
        "product feature, and window_days_available (activity days of the 28 that exist). Activity flagged "
        "exclude_from_investor is left out. dau = 0 gives null ratios; d7_retention is null when D-7 has no "
        "users or is not materialized. Fails closed when a ratio leaves [0, 1] or dau > wau > mau breaks. "
        "Re-run: replaces the day(s); a changed day also changes the next 27 days' wau/mau/d7_retention."
    ),
    resource_defs=INVESTOR_RESOURCES,  # replacing a published day needs an approval
    **pipeline_asset_args(PIPELINE, kinds={"spark", "parquet"}),
)
def engagement_aggregate(context: dg.AssetExecutionContext, lake: LakeResource, spark: SparkResource, investor_approval: InvestorApprovalGuard) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    from pyspark.sql import functions as F

    started = now_utc()
    keys, days = run_days(context)
    session, store = spark.spark_session, lake.lake()
    require_utc(session)
    window = iso(day_range(days[0] - dt.timedelta(days=MAU_DAYS - 1), days[-1]))
    available = {dt.date.fromisoformat(k) for k in window if store.has_partition(ACTIVITY_SCHEMA.asset, k)}
    missing_targets = [k for k in keys if dt.date.fromisoformat(k) not in available]
    if missing_targets:
        raise FileNotFoundError(
            f"stg_user_activity_daily is not materialized for {missing_targets} "
            f"({store.table_dir(ACTIVITY_SCHEMA.asset)}); materialize it first"
        )
    activity = read_lake_partitions(session, store, ACTIVITY_SCHEMA, window, required=False)
    recorded = version()
    result = aggregate_engagement(activity, days, available).withColumn("definition_version", F.lit(recorded)).cache()
    try:
        bad = out_of_range(result)
        if bad:
            raise DataContractError(f"engagement_aggregate breaks its invariants (ratios in [0, 1], dau <= wau <= mau): {bad}")
        rows = {r["date"].isoformat(): r for r in result.select("date", "dau", "window_days_available", "d7_retention").collect()}
        assignments = [k for k in keys if not store.has_partition(EXPERIMENT_ASSIGNMENTS.asset, k)]
        extra = {
            "dau": int(rows[keys[-1]]["dau"]),
            "window_days_available": int(rows[keys[-1]]["window_days_available"]),
            "d7_retention_available": rows[keys[-1]]["d7_retention"] is not None,
            "assignments_available": not assignments,
            "assignments_missing_days": ", ".join(assignments) or "none",
        }
        if assignments:
            context.log.warning(f"no experiment assignments for {assignments}: excluded experiment users may be counted")
        if len(keys) > 1:
            extra["dau_by_day"] = dg.MetadataValue.json({k: int(r["dau"]) for k, r in rows.items()})
        yield from publish_spark_frame(context, store, AGGREGATE_SCHEMA, result, keys, started, recorded, extra)
    finally:
        result.unpersist()
