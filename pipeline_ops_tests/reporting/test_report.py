"""Investor monthly report on a hand-built February 2025 (28 days)."""

import math

import dagster as dg
import pandas as pd
import pytest

from pipeline_ops.lake.publish import split_by_partition
from pipeline_ops.lake.storage import Lake
from pipeline_ops.reporting.assets import investor_monthly_report
from pipeline_ops.reporting.report import IncompleteMonthError, build_report
from pipeline_ops.resources.lake import LakeResource

DAYS = pd.date_range("2025-02-01", "2025-02-28", freq="D")


def profit() -> pd.DataFrame:
    # Every day: revenue 100, expenses 30, salaries 20 -> profit 50.
    return pd.DataFrame({"date": DAYS, "revenue_usd": 100.0, "expenses_usd": 30.0, "salaries_usd": 20.0,
                         "profit_usd": 50.0, "definition_version": "profit/1.0"})


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


def test_report_matches_hand_computation():
    row = build_report("2025-02", profit(), growth(), engagement()).iloc[0]
    assert row["revenue_usd"] == 2800.0  # 28 x 100
    assert row["profit_usd"] == 1400.0  # 28 x 50
    assert row["profit_margin"] == 0.5  # 1400 / 2800
    assert row["active_accounts_end"] == 37  # 10 + 27
    assert row["new_accounts"] == 56 and row["churned_accounts"] == 28 and row["net_new_accounts"] == 28
    assert row["mrr_end_usd"] == 1280.0  # 1010 + 27 x 10
    # net new 280 over the month; start = 1280 - 280 = 1000 -> 28 %
    assert math.isclose(row["mrr_growth_pct"], 28.0)
    assert row["avg_dau"] == 150.0  # 14 days of 100 and 14 of 200
    assert row["mau_end"] == 500
    assert math.isclose(row["stickiness"], 0.3)  # 150 / 500
    assert row["d7_retention"] == 0.5  # days without a value are left out, not counted as 0
    assert row["definition_version"] == "report/1.0 (engagement/1.0, growth/1.0, profit/1.0)"


def test_zero_revenue_gives_null_margin_not_error():
    zero = profit().assign(revenue_usd=0.0, profit_usd=-50.0)
    row = build_report("2025-02", zero, growth(), engagement()).iloc[0]
    assert pd.isna(row["profit_margin"])


def test_missing_day_fails_closed_naming_table_and_day():
    with pytest.raises(IncompleteMonthError, match=r"growth_aggregate: 1 day\(s\) missing, first \['2025-02-14'\]"):
        build_report("2025-02", profit(), growth().drop(index=13), engagement())


def test_asset_publishes_one_row_and_nothing_when_incomplete(tmp_path):
    lake = Lake(str(tmp_path))
    days = [d.strftime("%Y-%m-%d") for d in DAYS]
    for name, frame in [("profit_aggregate", profit()), ("growth_aggregate", growth()), ("engagement_aggregate", engagement())]:
        lake.commit(lake.stage_frames(name, split_by_partition(frame, days)))
    resources = {"lake": LakeResource(url=str(tmp_path))}
    result = dg.materialize([investor_monthly_report], partition_key="2025-02", resources=resources,
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    published = lake.read("investor_monthly_report", ["2025-02"])
    assert published["revenue_usd"].tolist() == [2800.0]

    # March has no upstream days at all: the run fails and publishes nothing.
    failed = dg.materialize([investor_monthly_report], partition_key="2025-03", resources=resources,
                            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not failed.success
    assert not lake.has_partition("investor_monthly_report", "2025-03")
