"""Quality checks of the engagement assets (framework and severity policy: pipeline_ops/quality).

All four assets are on the investor path: an ERROR blocks the partition (not published, downstream
skipped), a WARN publishes. Checks read the staged Parquet with DuckDB/polars and the per-day counts
stg_click_events hands over (`audit_extra`), never the Spark plan. Runbook: runbooks/engagement_aggregate.md.

| asset                   | checks (module)                                                                       |
|-------------------------|---------------------------------------------------------------------------------------|
| stg_click_events        | contract, events_present, duplicate_rate, quarantine_share, late_share, event_volume (checks_events); bot_share, day_window (checks_traffic) |
| stg_sessions            | contract, session_length_drift (checks_activity)                                      |
| stg_user_activity_daily | contract, join_integrity (checks_activity)                                            |
| engagement_aggregate    | contract, plausibility, experiment_excluded (checks_aggregate), settled_day_unchanged (quality/accuracy), dau_volume |
"""

from __future__ import annotations

from pipeline_ops.engagement.checks_activity import ACTIVITY_METRICS, JOIN_INTEGRITY, SESSION_LENGTH_DRIFT, SESSION_METRICS
from pipeline_ops.engagement.checks_aggregate import (
    ADOPTION, AGGREGATE_METRICS, EXPERIMENT_EXCLUDED, PER_USER, PLAUSIBILITY,
)
from pipeline_ops.engagement.checks_events import (
    DUPLICATE_RATE, EVENT_VOLUME, EVENTS_PRESENT, LATE_SHARE, QUARANTINE_SHARE,
)
from pipeline_ops.engagement.checks_traffic import BOT_SHARE, DAY_WINDOW, TRAFFIC_METRICS
from pipeline_ops.engagement.common import PIPELINE
from pipeline_ops.landing.contract import CLICK_EVENT_TYPES, FEATURES
from pipeline_ops.metrics.engagement import ACTIVITY_SCHEMA, AGGREGATE_SCHEMA, EVENTS_SCHEMA, SESSIONS_SCHEMA
from pipeline_ops.quality.accuracy import settled_day_unchanged
from pipeline_ops.quality.contracts import Range
from pipeline_ops.quality.generic import contract, volume
from pipeline_ops.quality.spec import AssetQuality

SCHEMA_SECTION = "schema-drift"
_UNIT = Range(ge=0, le=1)

QUALITY: list[AssetQuality] = [
    AssetQuality(
        EVENTS_SCHEMA.asset, PIPELINE, schema=EVENTS_SCHEMA, metrics=TRAFFIC_METRICS,
        checks=(
            contract(EVENTS_SCHEMA, SCHEMA_SECTION, keys=("event_id",),
                     allowed={"event_type": CLICK_EVENT_TYPES, "feature": FEATURES}),
            EVENTS_PRESENT, DUPLICATE_RATE, BOT_SHARE, QUARANTINE_SHARE, LATE_SHARE, DAY_WINDOW, EVENT_VOLUME,
        ),
    ),
    AssetQuality(
        SESSIONS_SCHEMA.asset, PIPELINE, schema=SESSIONS_SCHEMA, metrics=SESSION_METRICS,
        checks=(
            contract(SESSIONS_SCHEMA, SCHEMA_SECTION, keys=("session_id",),
                     ranges={"duration_s": Range(ge=0, le=86_400), "events": Range(ge=1), "features_used": Range(ge=0)}),
            SESSION_LENGTH_DRIFT,
        ),
    ),
    AssetQuality(
        ACTIVITY_SCHEMA.asset, PIPELINE, schema=ACTIVITY_SCHEMA, metrics=ACTIVITY_METRICS,
        checks=(
            contract(ACTIVITY_SCHEMA, SCHEMA_SECTION, keys=("user_id",), allowed={"variant": ("control", "treatment")},
                     ranges={"events": Range(ge=1), "clicks": Range(ge=0), "sessions": Range(ge=0),
                             "time_in_app_s": Range(ge=0, le=86_400)}),
            JOIN_INTEGRITY,
        ),
    ),
    AssetQuality(
        AGGREGATE_SCHEMA.asset, PIPELINE, schema=AGGREGATE_SCHEMA, metrics=AGGREGATE_METRICS,
        checks=(
            contract(AGGREGATE_SCHEMA, SCHEMA_SECTION,
                     ranges={"dau": Range(ge=0), "wau": Range(ge=0), "mau": Range(ge=0), "d7_retention": _UNIT,
                             **{c: _UNIT for c in ADOPTION}, "sessions_per_user": Range(ge=0),
                             "time_in_app_min_per_user": Range(ge=0), "clicks_per_user": Range(ge=0),
                             "window_days_available": Range(ge=1, le=28)}),
            PLAUSIBILITY, EXPERIMENT_EXCLUDED,
            settled_day_unchanged(AGGREGATE_SCHEMA.asset, amounts=("dau", "wau", "mau", *PER_USER[:3]),
                                  points={c: 100.0 for c in ("d7_retention", *ADOPTION)}),
            volume(AGGREGATE_SCHEMA.asset, "dau", "row-count-drop", "dau_volume",
                   "daily active users (investor population)", ("row-count-drop", "bot-traffic", "experiment-traffic-leak")),
        ),
    ),
]
