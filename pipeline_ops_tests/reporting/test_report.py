"""Investor monthly report (Spark) on a hand-built February 2025 (28 days).

Every expected figure is worked out by hand in the comments next to it.
"""

import datetime as dt
import math

import dagster as dg
import pandas as pd
import pytest

from pipeline_ops.growth.schemas import ACCOUNT_DAILY
from pipeline_ops.lake.publish import split_by_partition
from pipeline_ops.lake.spark_frames import read_lake_partitions
from pipeline_ops.lake.storage import Lake
from pipeline_ops.metrics.engagement import ACTIVITY_SCHEMA
from pipeline_ops.profit.schemas import RECOGNISED_USD
from pipeline_ops.reporting.assets import investor_monthly_report
from pipeline_ops.reporting.report import paying_seat_usage
from pipeline_ops.resources.lake import LakeResource
from pipeline_ops.resources.spark import SparkResource

pytestmark = pytest.mark.spark

DAYS = pd.date_range("2025-02-01", "2025-02-28", freq="D")
KEYS = [d.strftime("%Y-%m-%d") for d in DAYS]
LAST = pd.Timestamp("2025-02-28")


def profit() -> pd.DataFrame:
    # Every day: recognised revenue 100, expenses 30, salaries 20 -> profit 50. Billed: 2000 on the
    # 1st (the month-end run of January, for February), 30 on each other day -> 2000 + 27 x 30 = 2810.
    return pd.DataFrame({"date": DAYS, "revenue_usd": 100.0, "billed_revenue_usd": [2000.0] + [30.0] * (len(DAYS) - 1),
                         "expenses_usd": 30.0, "salaries_usd": 20.0, "profit_usd": 50.0, "recognition_complete": True,
                         "definition_version": "profit/2.0"})


def growth() -> pd.DataFrame:
    # 10 accounts on day 1, +1 net every day -> 37 on day 28; MRR ends at 1280 after +10/day.
    n = len(DAYS)
    return pd.DataFrame({
        "date": DAYS, "active_accounts": [10 + i for i in range(n)], "new_accounts": 2, "churned_accounts": 1,
        "net_new_accounts": 1, "licences": [100 + i for i in range(n)],
        "mrr_usd": [1010.0 + 10 * i for i in range(n)], "net_new_mrr_usd": 10.0, "definition_version": "growth/1.0",
    })


def engagement() -> pd.DataFrame:
    n = len(DAYS)
    return pd.DataFrame({
        "date": DAYS, "dau": [100 if i % 2 == 0 else 200 for i in range(n)], "mau": [400] * (n - 1) + [500],
        "sessions_per_user": 2.0, "time_in_app_min_per_user": 12.0,
        "d7_retention": [None] * 7 + [0.5] * (n - 7), "definition_version": "engagement/1.0",
    })


# Accounts, the same every day except acc_12, whose experiment is excluded on 10 February only.
# Paying on the 28th: acc_01 (10 seats), acc_02 (5), acc_03..acc_11 (1 each), acc_12 (20) = 44 seats.
# acc_x is excluded all month; acc_gone has churned.
ACCOUNTS = [("acc_01", True, 10), ("acc_02", True, 5), *[(f"acc_{i:02d}", True, 1) for i in range(3, 12)],
            ("acc_12", True, 20), ("acc_x", True, 4), ("acc_gone", False, 0)]


def accounts() -> pd.DataFrame:
    rows = []
    for day in DAYS:
        for account, active, seats in ACCOUNTS:
            excluded = account == "acc_x" or (account == "acc_12" and day == pd.Timestamp("2025-02-10"))
            rows.append({"date": day, "account_id": account, "plan": "team", "region": "emea", "currency": "USD",
                         "status": "active" if active else "churned", "licences": seats, "mrr": 10.0 * seats,
                         "mrr_usd": 10.0 * seats, "is_active": active and seats > 0, "experiment_id": None,
                         "variant": None, "exclude_from_investor": excluded, "definition_version": "growth/1.0"})
    return pd.DataFrame(rows)


def activity() -> pd.DataFrame:
    # Counted: acc_01's u01..u06 (u01 on three days, counted once), acc_02's u07, acc_12's 15 users
    # -> 22 active seat users. Not counted: u08 (user-level excluded experiment), u50 (excluded
    # account), u60 (churned account), u70 (no account).
    rows = [("2025-02-0%d" % d, "u01", "acc_01", False) for d in (1, 2, 3)]
    rows += [("2025-02-05", f"u0{i}", "acc_01", False) for i in range(2, 7)]
    rows += [("2025-02-06", "u07", "acc_02", False), ("2025-02-06", "u08", "acc_02", True),
             ("2025-02-07", "u50", "acc_x", True), ("2025-02-07", "u60", "acc_gone", False),
             ("2025-02-07", "u70", None, False)]
    rows += [(k, f"big{u:02d}", "acc_12", False) for k in KEYS for u in range(15)]
    return pd.DataFrame({
        "date": pd.to_datetime([r[0] for r in rows]), "user_id": [r[1] for r in rows],
        "account_id": [r[2] for r in rows], "events": 3, "clicks": 1, "sessions": 1, "time_in_app_s": 60.0,
        "features": "", "experiment_id": None, "variant": None, "exclude_from_investor": [r[3] for r in rows],
        "definition_version": "engagement/1.0",
    })


def recognised() -> pd.DataFrame:
    # stg_revenue_recognised (date, account, recognised, investor part). Investor revenue:
    # acc_01..acc_11 10 a day on Feb 5..24 (20 days = 200 each, 2200) + acc_12 700 on Feb 20 and
    # -100 (a refund) on Feb 21 (600) = 2800, which is profit_aggregate's 28 x 100. Recognised but
    # not investor revenue: acc_12's 500 on Feb 10 (a document issued while it was excluded) and
    # acc_x's 1000. Top 10 = 600 + 9 x 200 = 2400 -> share 2400 / 2800 = 6/7.
    rows = [(f"2025-02-{d:02d}", f"acc_{i:02d}", 10.0, 10.0) for i in range(1, 12) for d in range(5, 25)]
    rows += [("2025-02-20", "acc_12", 700.0, 700.0), ("2025-02-21", "acc_12", -100.0, -100.0),
             ("2025-02-10", "acc_12", 500.0, 0.0), ("2025-02-03", "acc_x", 1000.0, 0.0)]
    return pd.DataFrame({
        "date": pd.to_datetime([r[0] for r in rows]), "account_id": [r[1] for r in rows],
        "recognised_usd": [r[2] for r in rows], "investor_recognised_usd": [r[3] for r in rows],
        "recognised_refunds_usd": [100.0 if r[2] < 0 else 0.0 for r in rows], "documents": 1,
        "recognition_complete": True, "definition_version": "profit/2.0",
    })


def write_lake(root, **overrides) -> Lake:
    lake = Lake(str(root))
    tables = {"profit_aggregate": profit(), "growth_aggregate": growth(), "engagement_aggregate": engagement(),
              ACTIVITY_SCHEMA.asset: activity(), ACCOUNT_DAILY.asset: accounts(), RECOGNISED_USD.asset: recognised()}
    tables.update(overrides)
    for name, frame in tables.items():
        lake.commit(lake.stage_frames(name, split_by_partition(frame, KEYS)))
    return lake


def materialize(root, month="2025-02"):
    resources = {"lake": LakeResource(url=str(root)), "spark": SparkResource(master="local[2]", shuffle_partitions=2)}
    return dg.materialize([investor_monthly_report], partition_key=month, resources=resources,
                          instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def failure(result) -> str:
    """The error message of a failed report run (the run must have failed)."""
    assert not result.success
    return str(result.get_step_failure_events()[0].event_specific_data.error)


def test_report_matches_hand_computation(spark, tmp_path):
    lake = write_lake(tmp_path)
    assert materialize(tmp_path).success
    rows = lake.read("investor_monthly_report", ["2025-02"])
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["revenue_usd"] == 2800.0  # 28 x 100 (recognised)
    assert row["billed_revenue_usd"] == 2810.0  # 2000 + 27 x 30
    assert bool(row["recognition_complete"])  # every day complete
    assert row["profit_usd"] == 1400.0  # 28 x 50
    assert row["profit_margin"] == 0.5  # 1400 / 2800
    assert row["active_accounts_end"] == 37  # 10 + 27
    assert row["new_accounts"] == 56 and row["churned_accounts"] == 28 and row["net_new_accounts"] == 28
    assert row["licences_end"] == 127  # 100 + 27
    assert row["mrr_end_usd"] == 1280.0  # 1010 + 27 x 10
    # net new 280 over the month; start = 1280 - 280 = 1000 -> 28 %
    assert math.isclose(row["mrr_growth_pct"], 28.0)
    assert row["avg_dau"] == 150.0  # 14 days of 100 and 14 of 200
    assert row["mau_end"] == 500
    assert math.isclose(row["stickiness"], 0.3)  # 150 / 500
    assert row["d7_retention"] == 0.5  # days without a value are left out, not counted as 0
    assert math.isclose(row["seat_utilisation"], 22 / 44)
    assert math.isclose(row["top_accounts_revenue_share"], 6 / 7)
    assert row["definition_version"] == "report/1.2 (engagement/1.0, growth/1.0, profit/2.0)"

    # Re-running the month replaces its row.
    assert materialize(tmp_path).success
    assert len(lake.read("investor_monthly_report", ["2025-02"])) == 1


def test_zero_revenue_gives_null_ratios_not_errors(spark, tmp_path):
    # ... and one day of the month (the 1st) whose recognition look-back reached before the lake's history
    zero = profit().assign(revenue_usd=0.0, profit_usd=-50.0, recognition_complete=[False] + [True] * (len(DAYS) - 1))
    lake = write_lake(tmp_path, profit_aggregate=zero, stg_revenue_recognised=recognised().iloc[0:0])
    assert materialize(tmp_path).success
    row = lake.read("investor_monthly_report", ["2025-02"]).iloc[0]
    assert pd.isna(row["profit_margin"]) and pd.isna(row["top_accounts_revenue_share"])
    assert not row["recognition_complete"]


def test_missing_day_fails_closed_naming_table_and_day(spark, tmp_path):
    lake = write_lake(tmp_path)
    lake.fs.rm(lake.partition_dir("growth_aggregate", "2025-02-14"), recursive=True)
    message = failure(materialize(tmp_path))
    assert "growth_aggregate: 1 day(s) missing, first ['2025-02-14']" in message
    assert not lake.has_partition("investor_monthly_report", "2025-02")


def test_month_without_account_tables_fails_closed(spark, tmp_path):
    lake = write_lake(tmp_path)
    lake.fs.rm(lake.partition_dir(ACTIVITY_SCHEMA.asset, "2025-02-01"), recursive=True)
    assert "stg_user_activity_daily: 1 day(s) missing, first ['2025-02-01']" in failure(materialize(tmp_path))
    # March has no upstream days at all: fails and publishes nothing.
    assert not materialize(tmp_path, "2025-03").success
    assert not lake.has_partition("investor_monthly_report", "2025-03")


def test_revenue_disagreement_fails_closed(spark, tmp_path):
    # profit_aggregate re-run with one day's revenue changed, the account table not: totals differ by 40.
    changed = profit()
    changed.loc[4, "revenue_usd"] = 140.0
    lake = write_lake(tmp_path, profit_aggregate=changed)
    message = failure(materialize(tmp_path))
    assert "stg_revenue_recognised gives 2800.00 USD of investor revenue but profit_aggregate sums to 2840.00 USD" in message
    assert not lake.has_partition("investor_monthly_report", "2025-02")


def test_hot_account_is_joined_by_broadcast_and_counted_once_per_user(spark, tmp_path):
    # One account owns 20,000 of 20,010 users: the join must not shuffle activity by account_id.
    hot = pd.DataFrame({"date": pd.Timestamp("2025-02-28"), "user_id": [f"h{i}" for i in range(20_000)],
                        "account_id": "acc_hot", "exclude_from_investor": False})
    cold = pd.DataFrame({"date": pd.Timestamp("2025-02-28"), "user_id": [f"c{i}" for i in range(10)],
                         "account_id": [f"acc_{i}" for i in range(10)], "exclude_from_investor": False})
    twice = hot.head(500).assign(date=pd.Timestamp("2025-02-27"))  # same users another day: still 20,000
    lake = Lake(str(tmp_path))
    frame = pd.concat([hot, cold, twice], ignore_index=True)
    lake.commit(lake.stage_frames(ACTIVITY_SCHEMA.asset, split_by_partition(frame, ["2025-02-27", "2025-02-28"])))
    acc = pd.DataFrame({"date": pd.Timestamp("2025-02-28"), "account_id": ["acc_hot", *[f"acc_{i}" for i in range(10)]],
                        "is_active": True, "exclude_from_investor": False, "licences": [25_000, *[1] * 10]})
    lake.commit(lake.stage_frames(ACCOUNT_DAILY.asset, split_by_partition(acc, ["2025-02-28"])))
    # Size-based broadcasting off: only the code's explicit broadcast can avoid the shuffle join.
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")
    try:
        usage = paying_seat_usage(read_lake_partitions(spark, lake, ACTIVITY_SCHEMA, ["2025-02-27", "2025-02-28"]),
                                  read_lake_partitions(spark, lake, ACCOUNT_DAILY, ["2025-02-28"]), dt.date(2025, 2, 28))
        row = usage.collect()[0]
    finally:
        spark.conf.unset("spark.sql.autoBroadcastJoinThreshold")
    assert (row["active_seat_users"], row["paid_seats"]) == (20_010, 25_010)
    plan = usage._jdf.queryExecution().executedPlan().toString()
    assert "BroadcastHashJoin" in plan and "SortMergeJoin" not in plan
