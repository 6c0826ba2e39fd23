"""Engagement pipeline on Spark: click events -> sessions -> user activity -> investor aggregate.

Pure Spark transformations live in `clean`, `sessions` and `aggregate` (tests call them on small
DataFrames); the Dagster assets that read the landing zone / lake and publish are in
`events_asset`, `activity_assets` and `aggregate_asset`. Nothing here imports pyspark at module
level, so loading definitions never starts Spark.
"""

from pipeline_ops.engagement.activity_assets import stg_sessions, stg_user_activity_daily
from pipeline_ops.engagement.aggregate_asset import engagement_aggregate
from pipeline_ops.engagement.events_asset import stg_click_events

ASSETS: list = [stg_click_events, stg_sessions, stg_user_activity_daily, engagement_aggregate]

__all__ = ["ASSETS", "engagement_aggregate", "stg_click_events", "stg_sessions", "stg_user_activity_daily"]
