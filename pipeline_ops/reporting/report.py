"""The investor monthly report as pure Spark functions over the lake's investor tables.

Two joins make the report:

- **Daily roll-up**: the month's calendar days left-joined to `profit_aggregate`,
  `growth_aggregate` and `engagement_aggregate` on `date` (all three broadcast: at most 31 rows
  each). A day with no row in some input is found by that join and the report fails closed.
- **Account section**: a month of `stg_user_activity_daily` (one row per active user and day:
  millions of rows at event scale, skewed, since a few very large accounts own most users) joined
  to the accounts paying on the month's last day (`stg_account_daily`, thousands of rows). The
  small side is broadcast, so the large side is never shuffled by `account_id` and a hot account
  cannot land on one executor; adaptive skew-join handling stays on as a backstop (see
  `resources/spark.py`). Revenue concentration sums `stg_revenue_recognised` (revenue earned per
  account and day, the basis of profit_aggregate.revenue_usd) by account; its investor column
  already leaves out the documents of excluded accounts.

Every ratio is guarded: a zero or missing denominator gives null, never an error or infinity.
pyspark is imported inside functions only, so importing this module never loads Spark.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING

from pipeline_ops.metrics.reporting import REVENUE_TOLERANCE_USD, TOP_ACCOUNTS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

# The columns the report reads from each investor-facing daily output (profit and growth both
# publish active_accounts and licences: growth's are the report's).
UPSTREAM = {
    "profit_aggregate": ("revenue_usd", "billed_revenue_usd", "expenses_usd", "salaries_usd", "profit_usd",
                         "recognition_complete"),
    "growth_aggregate": ("active_accounts", "new_accounts", "churned_accounts", "net_new_accounts", "licences",
                         "mrr_usd", "net_new_mrr_usd"),
    "engagement_aggregate": ("dau", "mau", "sessions_per_user", "time_in_app_min_per_user", "d7_retention"),
}


class IncompleteMonthError(RuntimeError):
    """An investor report would be built from a month with missing or inconsistent inputs: fail closed."""


def month_days(month: str) -> list[str]:
    year, mon = (int(x) for x in month.split("-"))
    return [f"{month}-{d:02d}" for d in range(1, calendar.monthrange(year, mon)[1] + 1)]


def ratio(numerator: "Column", denominator: "Column") -> "Column":
    """numerator / denominator; null when the denominator is 0 or null (published as null)."""
    from pyspark.sql import functions as F

    return F.when(denominator.isNotNull() & (denominator != 0), numerator / denominator)


def daily_rollup(spark: "SparkSession", month: str, inputs: dict[str, "DataFrame"]) -> tuple[dict, list[str]]:
    """The month's profit, growth and engagement figures, and the upstream definition versions.

    `inputs` maps each name of UPSTREAM to its rows for the month. Raises IncompleteMonthError
    naming each input and the days it lacks when any day of the month is missing from any input.
    """
    from pyspark.sql import functions as F

    days = spark.createDataFrame([(dt.date.fromisoformat(d),) for d in month_days(month)], "date date")
    joined = days
    for name, columns in UPSTREAM.items():
        frame = inputs[name].select("date", *columns, F.col("definition_version").alias(f"_v_{name}"),
                                    F.lit(True).alias(f"_has_{name}"))
        joined = joined.join(F.broadcast(frame), "date", "left")
    joined = joined.cache()
    try:
        _require_every_day(month, joined)
        last = joined.filter(F.col("date") == F.lit(dt.date.fromisoformat(month_days(month)[-1])))
        sums = joined.agg(
            F.sum("revenue_usd").alias("revenue_usd"), F.sum("billed_revenue_usd").alias("billed_revenue_usd"),
            F.sum("expenses_usd").alias("expenses_usd"),
            (F.min(F.col("recognition_complete").cast("int")) == 1).alias("recognition_complete"),
            F.sum("salaries_usd").alias("salaries_usd"), F.sum("profit_usd").alias("profit_usd"),
            F.sum("new_accounts").alias("new_accounts"), F.sum("churned_accounts").alias("churned_accounts"),
            F.sum("net_new_accounts").alias("net_new_accounts"), F.sum("net_new_mrr_usd").alias("net_new_mrr_usd"),
            F.avg("dau").alias("avg_dau"),
            # avg skips nulls: a day without a value (dau = 0, D-7 not materialized) is left out, not a 0.
            F.avg("sessions_per_user").alias("sessions_per_user"),
            F.avg("time_in_app_min_per_user").alias("time_in_app_min_per_user"),
            F.avg("d7_retention").alias("d7_retention"),
        )
        ends = last.select(
            F.col("active_accounts").alias("active_accounts_end"), F.col("licences").alias("licences_end"),
            F.col("mrr_usd").alias("mrr_end_usd"), F.col("mau").alias("mau_end"),
        )
        values = sums.crossJoin(ends).select(
            F.lit(month).alias("month"), F.lit(len(month_days(month))).cast("bigint").alias("days_in_month"),
            "revenue_usd", "billed_revenue_usd", "expenses_usd", "salaries_usd", "profit_usd",
            ratio(F.col("profit_usd"), F.col("revenue_usd")).alias("profit_margin"),
            "active_accounts_end", "new_accounts", "churned_accounts", "net_new_accounts", "licences_end",
            "mrr_end_usd", "net_new_mrr_usd",
            (100 * ratio(F.col("net_new_mrr_usd"), F.col("mrr_end_usd") - F.col("net_new_mrr_usd"))).alias("mrr_growth_pct"),
            "avg_dau", "mau_end", ratio(F.col("avg_dau"), F.col("mau_end")).alias("stickiness"),
            "sessions_per_user", "time_in_app_min_per_user", "d7_retention", "recognition_complete",
        ).collect()[0].asDict()
        return values, _versions(joined)
    finally:
        joined.unpersist()


def _require_every_day(month: str, joined: "DataFrame") -> None:
    from pyspark.sql import functions as F

    gaps = {}
    for name in UPSTREAM:
        rows = joined.filter(F.col(f"_has_{name}").isNull()).select("date").orderBy("date").collect()
        if rows:
            gaps[name] = [r["date"].isoformat() for r in rows]
    if gaps:
        detail = "; ".join(f"{k}: {len(v)} day(s) missing, first {v[:3]}" for k, v in gaps.items())
        raise IncompleteMonthError(f"investor report {month} not built, inputs incomplete: {detail}")


def _versions(joined: "DataFrame") -> list[str]:
    from pyspark.sql import functions as F

    cols = [F.col(f"_v_{name}") for name in UPSTREAM]
    values = joined.select(F.explode(F.array(*cols)).alias("v")).distinct().collect()
    return sorted(r["v"] for r in values if r["v"] is not None)


def paying_seat_usage(activity: "DataFrame", accounts: "DataFrame", last_day: dt.date) -> "DataFrame":
    """One row: `active_seat_users` and `paid_seats` of the accounts paying on `last_day`.

    Paying = is_active and not exclude_from_investor on `last_day`. Active seat users = distinct
    users with activity in the month not flagged exclude_from_investor, in those accounts.
    """
    from pyspark.sql import functions as F

    paying = (accounts.filter((F.col("date") == F.lit(last_day)) & F.col("is_active") & ~F.col("exclude_from_investor"))
              .select("account_id", "licences"))
    users = (activity.filter(~F.col("exclude_from_investor"))
             .join(F.broadcast(paying.select("account_id")), "account_id")  # the skewed side is never shuffled
             .select("account_id", "user_id").distinct().agg(F.count("*").alias("active_seat_users")))
    return users.crossJoin(paying.agg(F.sum("licences").alias("paid_seats")))


def revenue_concentration(recognised: "DataFrame") -> "DataFrame":
    """One row: `top_usd` (investor revenue of the TOP_ACCOUNTS largest accounts) and `investor_revenue_usd`.

    `recognised` is stg_revenue_recognised for the month's days; an account's investor revenue is its
    investor_recognised_usd (documents issued while it was exclude_from_investor are left out, as in
    profit_aggregate), so investor_revenue_usd is the month's sum of profit_aggregate.revenue_usd.
    Ties in the ranking are broken by account_id, so the figure is deterministic.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    per_account = recognised.groupBy("account_id").agg(F.sum("investor_recognised_usd").alias("net_usd"))
    # One window over a few thousand per-account rows (not over events): a single partition is fine.
    ranked = per_account.withColumn("rank", F.row_number().over(Window.orderBy(F.desc("net_usd"), "account_id")))
    return ranked.agg(
        F.sum(F.when(F.col("rank") <= TOP_ACCOUNTS, F.col("net_usd")).otherwise(0.0)).alias("top_usd"),
        F.coalesce(F.sum("net_usd"), F.lit(0.0)).alias("investor_revenue_usd"))


def account_section(activity: "DataFrame", accounts: "DataFrame", recognised: "DataFrame", last_day: dt.date) -> dict:
    """seat_utilisation, top_accounts_revenue_share (null on a zero denominator) and investor_revenue_usd."""
    from pyspark.sql import functions as F

    row = paying_seat_usage(activity, accounts, last_day).crossJoin(revenue_concentration(recognised)).select(
        ratio(F.col("active_seat_users"), F.col("paid_seats")).alias("seat_utilisation"),
        ratio(F.col("top_usd"), F.col("investor_revenue_usd")).alias("top_accounts_revenue_share"),
        "investor_revenue_usd",
    ).collect()[0]
    return row.asDict()


def check_revenue_agrees(month: str, report_revenue: float, account_revenue: float) -> None:
    """Fail closed when account-level recognised revenue disagrees with profit_aggregate's (by > tolerance)."""
    if abs((report_revenue or 0.0) - account_revenue) > REVENUE_TOLERANCE_USD:
        raise IncompleteMonthError(
            f"investor report {month} not built: stg_revenue_recognised gives {account_revenue:.2f} USD of investor revenue "
            f"but profit_aggregate sums to {report_revenue:.2f} USD (tolerance {REVENUE_TOLERANCE_USD} USD); "
            "one of them was re-materialized after the other: re-run profit_aggregate for the month's days"
        )
