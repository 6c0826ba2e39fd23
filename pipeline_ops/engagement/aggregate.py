"""Pure Spark function behind `engagement_aggregate`: one row per target day from user activity.

Investor population: activity rows with `exclude_from_investor` false on their own day (a user
enrolled in an excluded experiment mid-window still counts on the days before enrolment).

For target day D, over the activity of D-27..D (days that exist):
- dau: distinct users on D; wau: on D-6..D; mau: on D-27..D.
- sessions_per_user, time_in_app_min_per_user, clicks_per_user: totals of D / dau.
- d7_retention: |users on D-7 and on D| / |users on D-7|.
- adoption_<feature>: distinct users on D whose features include it / dau (within [0, 1] by
  construction: the numerator is a subset of the denominator's users).
Guards: dau = 0 gives null ratios (never an error or infinity); d7_retention is null when D-7
has no users or its activity partition is not materialized; `window_days_available` says how many
of the 28 days existed, so a short MAU window is visible.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pipeline_ops.engagement.sessions import EXACT_SECONDS, FEATURE_SEPARATOR
from pipeline_ops.landing.contract import FEATURES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

MAU_DAYS, WAU_DAYS, RETENTION_LAG = 28, 7, 7


def window_days(day: dt.date, n: int = MAU_DAYS) -> list[dt.date]:
    """The n days ending on `day`, oldest first."""
    return [day - dt.timedelta(days=i) for i in range(n - 1, -1, -1)]


def aggregate_engagement(activity: "DataFrame", targets: list[dt.date], available: set[dt.date]) -> "DataFrame":
    """The engagement row of every day in `targets` (rows appear even when a day had no activity).

    `activity`: stg_user_activity_daily rows covering D-27..D of every target; `available`: the
    days whose activity partition exists (materialized, possibly empty).
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    spark = activity.sparkSession
    rows = [(d, sum(w in available for w in window_days(d)), (d - dt.timedelta(days=RETENTION_LAG)) in available) for d in targets]
    days = spark.createDataFrame(rows, "target date, window_days_available bigint, d7_available boolean")
    act = activity.filter(~F.col("exclude_from_investor")).select("date", "user_id", "sessions", "time_in_app_s", "clicks", "features")
    joined = F.broadcast(days.select("target")).join(
        act, (act["date"] >= F.date_sub("target", MAU_DAYS - 1)) & (act["date"] <= F.col("target"))
    )
    on_d = F.col("date") == F.col("target")
    used = F.split(F.col("features"), FEATURE_SEPARATOR)
    flag = lambda cond: F.max(cond.cast("int"))  # noqa: E731
    per_user = joined.groupBy("target", "user_id").agg(
        flag(on_d).alias("on_d"),
        flag(F.col("date") >= F.date_sub("target", WAU_DAYS - 1)).alias("in_wau"),
        flag(F.col("date") == F.date_sub("target", RETENTION_LAG)).alias("on_d7"),
        F.sum(F.when(on_d, F.col("sessions"))).alias("sessions"),
        F.sum(F.when(on_d, F.col("time_in_app_s").cast(EXACT_SECONDS))).alias("time_in_app_s"),  # exact: order-free
        F.sum(F.when(on_d, F.col("clicks"))).alias("clicks"),
        *[flag(on_d & F.array_contains(used, f)).alias(f"f_{f}") for f in FEATURES],
    )
    per_day = per_user.groupBy("target").agg(
        F.sum("on_d").alias("dau"), F.sum("in_wau").alias("wau"), F.count(F.lit(1)).alias("mau"),
        F.sum("sessions").alias("sessions"), F.sum("time_in_app_s").cast("double").alias("time_in_app_s"), F.sum("clicks").alias("clicks"),
        F.sum("on_d7").alias("cohort"), F.sum(F.col("on_d7") * F.col("on_d")).alias("retained"),
        *[F.sum(f"f_{f}").alias(f"f_{f}") for f in FEATURES],
    )
    out = days.join(per_day, "target", "left")
    count = lambda c: F.coalesce(F.col(c), F.lit(0)).cast("bigint")  # noqa: E731
    dau = count("dau")

    def per_dau(numerator, scale: float = 1.0):
        return F.when(dau > 0, F.coalesce(numerator, F.lit(0)).cast("double") / dau / F.lit(scale)).otherwise(F.lit(None).cast(T.DoubleType()))

    cohort = count("cohort")
    return out.select(
        F.col("target").alias("date"),
        dau.alias("dau"), count("wau").alias("wau"), count("mau").alias("mau"),
        per_dau(F.col("sessions")).alias("sessions_per_user"),
        per_dau(F.col("time_in_app_s"), 60.0).alias("time_in_app_min_per_user"),
        per_dau(F.col("clicks")).alias("clicks_per_user"),
        F.when(F.col("d7_available") & (cohort > 0), count("retained").cast("double") / cohort)
        .otherwise(F.lit(None).cast(T.DoubleType())).alias("d7_retention"),
        *[per_dau(F.col(f"f_{f}")).alias(f"adoption_{f}") for f in FEATURES],
        "window_days_available",
    )


def out_of_range(aggregate: "DataFrame") -> list[dict]:
    """Rows breaking the aggregate's invariants (ratios in [0, 1], dau <= wau <= mau); empty when fine."""
    from pyspark.sql import functions as F

    ratios = ["d7_retention", *[f"adoption_{f}" for f in FEATURES]]
    bad = F.lit(False)
    for c in ratios:
        bad = bad | F.coalesce((F.col(c) < 0) | (F.col(c) > 1), F.lit(False))
    bad = bad | (F.col("dau") > F.col("wau")) | (F.col("wau") > F.col("mau"))
    return [r.asDict() for r in aggregate.filter(bad).limit(5).collect()]
