"""Engagement metrics (definition version engagement/1.0): daily, for investors, built with Spark.

The day is the UTC day of `event_ts` (when the user acted), not the delivery day. Events count
once (deduplicated by event_id, first delivery kept), only when delivered within
`processing.lateness_hours` (48) of `event_ts`, and never from bots (user-agent rules and a
rate rule, versioned in `pipeline_ops/engagement/rules.py`). Investor numbers leave out activity
flagged `exclude_from_investor` on its own day: the user is in an excluded user-level
experiment, or the user's account is in an excluded account-level experiment.

The definition version written to every row is `engagement/1.0` plus the settings that change
numbers, e.g. `engagement/1.0;bots=2025.1;lateness=48h;idle=30m` (see `recorded_version`).
"""

from __future__ import annotations

from pipeline_ops.landing.contract import FEATURES
from pipeline_ops.lake.schema import Field, OutputSchema
from pipeline_ops.metrics.model import Metric

DEFINITION_VERSION = "engagement/1.0"
EVENTS, SESSIONS, ACTIVITY, AGG = "stg_click_events", "stg_sessions", "stg_user_activity_daily", "engagement_aggregate"
QUARANTINE = "quarantine_click_events"
QUARANTINE_LINE_CHARS = 2000  # raw_line keeps this many characters; raw_line_chars says how long the line was
# Bot rules: pipeline_ops/engagement/rules.py BOT_RULES (2025.1), applied in engagement/clean.py classify_events.
_EXCL = ("activity rows with exclude_from_investor (user or account in an excluded experiment that day); bots (an "
         "event whose user_agent matches bot|crawler|spider|headless, any case; all events of a user on a UTC day with "
         "> 300 of them in some 60 min); duplicates; events delivered > 48 h late; impossible timestamps (event_ts > "
         "received_ts + 5 min, or before 2000-01-01)")
_DAU = "dau (null when 0)"


def recorded_version(bot_rules_version: str, lateness_hours: int, session_idle_minutes: int) -> str:
    """The definition version written to outputs: the metric version plus every number-changing setting."""
    return f"{DEFINITION_VERSION};bots={bot_rules_version};lateness={lateness_hours}h;idle={session_idle_minutes}m"


METRICS = [
    Metric("dau", AGG, "Users active on the day.", "distinct users with >= 1 clean event on the day", unit="users", exclusions=_EXCL),
    Metric("wau", AGG, "Users active in the 7 days ending on the day.", "distinct users active on any of D-6..D (days that exist)", unit="users", day_boundary="UTC days D-6..D", exclusions=_EXCL),
    Metric("mau", AGG, "Users active in the 28 days ending on the day.", "distinct users active on any of D-27..D (days that exist)", unit="users", day_boundary="UTC days D-27..D", exclusions=_EXCL),
    Metric("sessions_per_user", AGG, "Sessions per active user.", "sessions of the day's active users (a gap >= 30 min starts a session; sessions cut at midnight UTC)", _DAU, unit="sessions/user", exclusions=_EXCL),
    Metric("time_in_app_min_per_user", AGG, "Minutes in the app per active user.", "sum of session durations (last event - first event; a one-event session is 0) / 60", _DAU, unit="minutes/user", exclusions=_EXCL),
    Metric("clicks_per_user", AGG, "Clicks per active user.", "events with event_type 'click'", _DAU, unit="clicks/user", exclusions=_EXCL),
    Metric("d7_retention", AGG, "Share of the users active 7 days earlier who are active again on the day.",
           "|users active on D-7 and on D|", "|users active on D-7| (null when 0 or D-7 not materialized)", unit="ratio",
           day_boundary="UTC days D-7 and D", exclusions=_EXCL + "; a user excluded on either day is left out of that day's set"),
    *[
        Metric(f"adoption_{f}", AGG, f"Share of active users who used the '{f}' feature.",
               f"distinct users with a feature_use event of '{f}' on the day", _DAU, unit="ratio in [0, 1]", exclusions=_EXCL)
        for f in FEATURES
    ],
    Metric("window_days_available", AGG, "Days of D-27..D whose user activity exists (28 when the MAU window is complete).",
           "count of materialized stg_user_activity_daily partitions in D-27..D", unit="days"),
]

_V = Field("definition_version", "string", "engagement/1.0 plus bot-rule version, lateness and idle settings")
_D = Field("date", "date", "UTC day of event_ts")

EVENTS_SCHEMA = OutputSchema(
    asset=EVENTS,
    grain="one row per clean event (unique event_id), partitioned by the UTC day of event_ts",
    fields=(
        Field("event_id", "string", "unique event identifier; first delivery kept"),
        Field("user_id", "string", "acting user"),
        Field("account_id", "string", "the user's account", nullable=True),
        Field("event_ts", "timestamp", "when the user acted, UTC"),
        Field("received_ts", "timestamp", "Kafka append time of the kept (first) delivery, UTC"),
        Field("event_type", "string", "page_view, click or feature_use", nullable=True),
        Field("feature", "string", "product feature (feature_use events)", nullable=True),
        Field("page", "string", "app page path", nullable=True),
        Field("is_late", "bool", "delivered on a later UTC day than it happened"),
        _D,
        _V,
    ),
)

# Not a metric table: the landing lines stg_click_events set aside, published by the same run.
QUARANTINE_SCHEMA = OutputSchema(
    asset=QUARANTINE,
    grain="one row per set-aside landing line, partitioned by the UTC day of the delivery folder it was read from",
    fields=(
        Field("reason", "string", "malformed, missing_event_id, missing_user_id, unparsable_ts or impossible_ts "
              "(event_ts > received_ts + 5 min, or event_ts before 2000-01-01T00:00:00Z)"),
        Field("detail", "string", "the rule the line broke, with its timestamps where they are the problem"),
        Field("source_file", "string", "landing file the line was read from"),
        Field("raw_line", "string", f"the line as delivered, first {QUARANTINE_LINE_CHARS:,} characters"),
        Field("raw_line_chars", "int64", f"length of the whole line (> {QUARANTINE_LINE_CHARS:,}: raw_line is cut)"),
        Field("event_id", "string", "event_id when the line parsed", nullable=True),
        Field("user_id", "string", "user_id when the line parsed", nullable=True),
        Field("event_ts_raw", "string", "event_ts exactly as delivered, when the line parsed", nullable=True),
        Field("received_ts_raw", "string", "received_ts exactly as delivered, when the line parsed", nullable=True),
        Field("kafka_partition", "int64", "Kafka partition of the message, when it parsed", nullable=True),
        Field("kafka_offset", "int64", "Kafka offset of the message, when it parsed", nullable=True),
        Field("date", "date", "UTC day of the delivery folder (date=...) the line was read from, not the event day"),
        Field("run_id", "string", "Dagster run that published this partition (so its checksum changes every run)"),
        _V,
    ),
)

SESSIONS_SCHEMA = OutputSchema(
    asset=SESSIONS,
    grain="one row per user session; a gap >= session_idle_minutes starts a new one; cut at midnight UTC",
    fields=(
        Field("session_id", "string", "deterministic: '<user_id>@<first event_ts, ISO UTC, microseconds>'"),
        Field("user_id", "string", "the user"),
        Field("account_id", "string", "the user's account", nullable=True),
        Field("session_start", "timestamp", "first event_ts of the session, UTC"),
        Field("session_end", "timestamp", "last event_ts of the session, UTC"),
        Field("duration_s", "float64", "session_end - session_start in seconds (0 for a one-event session)"),
        Field("events", "int64", "events in the session"),
        Field("features_used", "int64", "distinct features used in the session"),
        _D,
        _V,
    ),
)

ACTIVITY_SCHEMA = OutputSchema(
    asset=ACTIVITY,
    grain="one row per UTC day per active user",
    fields=(
        Field("user_id", "string", "the user"),
        Field("account_id", "string", "the user's account", nullable=True),
        Field("events", "int64", "clean events on the day"),
        Field("clicks", "int64", "events with event_type 'click'"),
        Field("sessions", "int64", "sessions on the day"),
        Field("time_in_app_s", "float64", "sum of the day's session durations, seconds"),
        Field("features", "string", "distinct features used, sorted, comma-separated ('' when none)"),
        Field("experiment_id", "string", "user-level experiment in effect that day (null: unassigned)", nullable=True),
        Field("variant", "string", "'control' or 'treatment' (null: unassigned)", nullable=True),
        Field("exclude_from_investor", "bool", "user's experiment, or the account's experiment, is excluded from investor numbers"),
        _D,
        _V,
    ),
)

AGGREGATE_SCHEMA = OutputSchema(
    asset=AGG,
    grain="one row per UTC day",
    fields=(
        _D,
        Field("dau", "int64", "distinct active users on D (investor population)"),
        Field("wau", "int64", "distinct active users on D-6..D"),
        Field("mau", "int64", "distinct active users on D-27..D"),
        Field("sessions_per_user", "float64", "sessions / dau; null when dau = 0", nullable=True),
        Field("time_in_app_min_per_user", "float64", "session minutes / dau; null when dau = 0", nullable=True),
        Field("clicks_per_user", "float64", "clicks / dau; null when dau = 0", nullable=True),
        Field("d7_retention", "float64", "|active D-7 and D| / |active D-7|; null when D-7 has no users or is not materialized", nullable=True),
        *[Field(f"adoption_{f}", "float64", f"users of '{f}' on D / dau, in [0, 1]; null when dau = 0", nullable=True) for f in FEATURES],
        Field("window_days_available", "int64", "materialized activity days in D-27..D (28 = complete)"),
        _V,
    ),
)

SCHEMAS = [EVENTS_SCHEMA, QUARANTINE_SCHEMA, SESSIONS_SCHEMA, ACTIVITY_SCHEMA, AGGREGATE_SCHEMA]
