"""`stg_sessions` and `stg_user_activity_daily` (Spark), read from the lake's stg_click_events."""

from collections.abc import Iterator

import dagster as dg

from pipeline_ops.quality.dagster_checks import check_specs

from pipeline_ops.asset_meta import pipeline_asset_args
from pipeline_ops.config import current_config
from pipeline_ops.engagement.common import PIPELINE, version
from pipeline_ops.engagement.sessions import duplicate_user_assignments, sessionize, user_activity
from pipeline_ops.lake.publish import now_utc
from pipeline_ops.lake.spark_frames import read_lake_partitions, require_utc
from pipeline_ops.lake.spark_publish import publish_spark_frame
from pipeline_ops.metrics.engagement import ACTIVITY_SCHEMA, EVENTS_SCHEMA, SESSIONS_SCHEMA
from pipeline_ops.partitions import daily_partitions
from pipeline_ops.resources.lake import LakeResource
from pipeline_ops.resources.spark import SparkResource
from pipeline_ops.staging.common import DataContractError, run_days
from pipeline_ops.staging.schemas import EXPERIMENT_ASSIGNMENTS


@dg.asset(
    key=SESSIONS_SCHEMA.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(SESSIONS_SCHEMA.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetDep(EVENTS_SCHEMA.asset)],
    description=(
        "User sessions of each UTC day from stg_click_events: a user's events in time order, a gap of "
        "processing.session_idle_minutes (30) or more starts a new session (exactly 30:00 splits, 29:59 does "
        "not); sessions are cut at midnight UTC. session_id = '<user_id>@<first event_ts>' (deterministic); "
        "duration_s = last - first event (0 for one event). Re-run: replaces the day(s)."
    ),
    **pipeline_asset_args(PIPELINE, kinds={"spark", "parquet"}, section="sessionization-change"),
)
def stg_sessions(context: dg.AssetExecutionContext, lake: LakeResource, spark: SparkResource) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    from pyspark.sql import functions as F

    started = now_utc()
    keys, _ = run_days(context)
    session = spark.spark_session
    require_utc(session)
    idle = current_config().processing.session_idle_minutes
    events = read_lake_partitions(session, lake.lake(), EVENTS_SCHEMA, keys)
    recorded = version()
    sessions = sessionize(events, idle).withColumn("definition_version", F.lit(recorded))
    yield from publish_spark_frame(context, lake.lake(), SESSIONS_SCHEMA, sessions, keys, started, recorded,
                               {"session_idle_minutes": idle})


@dg.asset(
    key=ACTIVITY_SCHEMA.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(ACTIVITY_SCHEMA.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetDep(EVENTS_SCHEMA.asset), dg.AssetDep(SESSIONS_SCHEMA.asset), dg.AssetDep(EXPERIMENT_ASSIGNMENTS.asset)],
    description=(
        "One row per user per UTC day: events, clicks, sessions, time in app (sum of session durations, s), "
        "distinct features (sorted, comma-separated), the user's experiment and variant, and "
        "exclude_from_investor (user-level or account-level experiment flagged so). When the day's "
        "stg_experiment_assignments partition is absent every user is treated as unassigned and the "
        "materialization says assignments_available=false. Fails closed when a user has two user-level "
        "assignments on a day (fan-out). Re-run: replaces the day(s)."
    ),
    **pipeline_asset_args(PIPELINE, kinds={"spark", "parquet"}, section="experiment-traffic-leak"),
)
def stg_user_activity_daily(
    context: dg.AssetExecutionContext, lake: LakeResource, spark: SparkResource
) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    from pyspark.sql import functions as F

    started = now_utc()
    keys, _ = run_days(context)
    session, store = spark.spark_session, lake.lake()
    require_utc(session)
    available = {k: store.has_partition(EXPERIMENT_ASSIGNMENTS.asset, k) for k in keys}
    missing = [k for k, ok in available.items() if not ok]
    if missing:
        context.log.warning(f"stg_experiment_assignments missing for {missing}: users treated as unassigned, "
                            "nobody excluded from investor numbers for those days")
    assignments = read_lake_partitions(session, store, EXPERIMENT_ASSIGNMENTS, keys, required=False)
    duplicates = duplicate_user_assignments(assignments)
    if duplicates:
        raise DataContractError(
            f"stg_experiment_assignments has users with more than one user-level assignment on a day (joining "
            f"would fan out activity rows); (date, user_id, rows): {duplicates}"
        )
    events = read_lake_partitions(session, store, EVENTS_SCHEMA, keys)
    sessions = read_lake_partitions(session, store, SESSIONS_SCHEMA, keys)
    recorded = version()
    activity = user_activity(events, sessions, assignments).withColumn("definition_version", F.lit(recorded)).persist()
    try:
        row = activity.agg(F.count(F.lit(1)).alias("users"),
                           F.sum(F.col("exclude_from_investor").cast("int")).alias("excluded")).first()
        extra = {
            "assignments_available": not missing,
            "assignments_missing_days": ", ".join(missing) or "none",
            "active_users": int(row["users"] or 0),
            "excluded_from_investor_users": int(row["excluded"] or 0),
        }
        yield from publish_spark_frame(context, store, ACTIVITY_SCHEMA, activity, keys, started, recorded, extra)
    finally:
        activity.unpersist()

