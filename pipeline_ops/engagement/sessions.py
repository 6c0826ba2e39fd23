"""Pure Spark functions behind `stg_sessions` and `stg_user_activity_daily`.

Sessions: a user's clean events of one UTC day in event_ts order; a gap of `idle_minutes` or
more between two consecutive events starts a new session. A gap of exactly the timeout splits
(29:59 stays in the session, 30:00 starts a new one). Sessions are cut at the UTC day boundary:
events after midnight start a new session on the next day, so each session belongs to one day.
A session lasts from its first to its last event (a one-event session lasts 0 s); the session id
is deterministic, `<user_id>@<first event_ts in UTC with microseconds>`.

User activity: one row per user and day with the day's events, clicks, sessions, time in app
(sum of session durations) and distinct features (sorted, comma-separated), joined to the day's
experiment assignments: `experiment_id`/`variant` from the user-level assignment (null when
unassigned) and `exclude_from_investor` when the user's experiment or the user's account's
account-level experiment is excluded from investor numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

FEATURE_SEPARATOR = ","
# Seconds with microsecond precision, summed exactly (38 digits: no overflow at any realistic volume).
EXACT_SECONDS = "decimal(38,6)"


def sessionize(events: "DataFrame", idle_minutes: int) -> "DataFrame":
    """Sessions of clean events (columns of stg_click_events; `date` = UTC day of event_ts)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    us = F.unix_micros("event_ts")
    order = Window.partitionBy("date", "user_id").orderBy(us, F.col("event_id"))
    gap = us - F.lag(us).over(order)
    starts = F.when(gap.isNull() | (gap >= F.lit(idle_minutes * 60_000_000)), 1).otherwise(0)
    numbered = (events.withColumn("_start", starts)
                .withColumn("_session", F.sum("_start").over(order.rowsBetween(Window.unboundedPreceding, 0))))
    sessions = numbered.groupBy("date", "user_id", "_session").agg(
        F.min("account_id").alias("account_id"),
        F.min("event_ts").alias("session_start"),
        F.max("event_ts").alias("session_end"),
        F.count(F.lit(1)).alias("events"),
        F.countDistinct("feature").alias("features_used"),
    )
    stamp = F.date_format("session_start", "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
    return sessions.select(
        F.concat_ws("@", "user_id", stamp).alias("session_id"),
        "user_id", "account_id", "session_start", "session_end",
        ((F.unix_micros("session_end") - F.unix_micros("session_start")) / 1_000_000).cast("double").alias("duration_s"),
        F.col("events").cast("bigint"), F.col("features_used").cast("bigint"), "date",
    )


def user_activity(events: "DataFrame", sessions: "DataFrame", assignments: "DataFrame") -> "DataFrame":
    """One row per (date, user_id); `assignments` has the stg_experiment_assignments columns (may be empty)."""
    from pyspark.sql import functions as F

    per_user = events.groupBy("date", "user_id").agg(
        F.min("account_id").alias("account_id"),
        F.count(F.lit(1)).alias("events"),
        F.sum((F.col("event_type") == "click").cast("int")).alias("clicks"),
        F.array_join(F.array_sort(F.collect_set("feature")), FEATURE_SEPARATOR).alias("features"),
    )
    per_session = sessions.groupBy("date", "user_id").agg(
        # Summed as exact decimals (durations are whole microseconds): a sum of doubles would
        # depend on the order rows meet, i.e. on partitioning, and so would the checksum.
        F.count(F.lit(1)).alias("sessions"), F.sum(F.col("duration_s").cast(EXACT_SECONDS)).cast("double").alias("time_in_app_s")
    )
    users = assignments.filter(F.col("unit_type") == "user").select(
        "date", F.col("unit_id").alias("user_id"), "experiment_id", "variant",
        F.col("exclude_from_investor").alias("_user_excluded"),
    )
    accounts = (assignments.filter((F.col("unit_type") == "account") & F.col("exclude_from_investor"))
                .select("date", F.col("unit_id").alias("account_id"), F.lit(True).alias("_account_excluded")).distinct())
    out = (per_user.join(per_session, ["date", "user_id"], "left")
           .join(users, ["date", "user_id"], "left")
           .join(accounts, ["date", "account_id"], "left"))
    excluded = F.coalesce(F.col("_user_excluded"), F.lit(False)) | F.coalesce(F.col("_account_excluded"), F.lit(False))
    return out.select(
        "user_id", "account_id", F.col("events").cast("bigint"), F.coalesce(F.col("clicks"), F.lit(0)).cast("bigint").alias("clicks"),
        F.coalesce(F.col("sessions"), F.lit(0)).cast("bigint").alias("sessions"),
        F.coalesce(F.col("time_in_app_s"), F.lit(0.0)).alias("time_in_app_s"),
        F.coalesce(F.col("features"), F.lit("")).alias("features"),
        "experiment_id", "variant", excluded.alias("exclude_from_investor"), "date",
    )


def duplicate_user_assignments(assignments: "DataFrame", limit: int = 5) -> list[tuple]:
    """(date, user_id, rows) of users with more than one user-level assignment on a day (fan-out guard)."""
    from pyspark.sql import functions as F

    dup = (assignments.filter(F.col("unit_type") == "user").groupBy("date", "unit_id").count()
           .filter(F.col("count") > 1).limit(limit).collect())
    return [(r["date"].isoformat(), r["unit_id"], int(r["count"])) for r in dup]
