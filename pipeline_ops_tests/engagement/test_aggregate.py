"""engagement_aggregate on a hand-built multi-day activity table; expected values worked out by hand."""

import datetime as dt

import pytest

from pipeline_ops.engagement.aggregate import aggregate_engagement, out_of_range
from pipeline_ops.landing.contract import FEATURES

pytestmark = pytest.mark.spark

DDL = ("user_id string, account_id string, events bigint, clicks bigint, sessions bigint, time_in_app_s double, "
       "features string, experiment_id string, variant string, exclude_from_investor boolean, date date")


def d(day: int) -> dt.date:
    return dt.date(2025, 3, day)


def row(user, day, sessions=1, time_s=0.0, clicks=0, features="", excluded=False):
    return (user, "acc_1", clicks + 1, clicks, sessions, time_s, features, None, None, excluded, d(day))


ACTIVITY = [
    row("F", 1, time_s=60.0),                                  # 03-01: outside 03-29's window (D-28)
    row("E", 5, time_s=300.0, clicks=2, features="api"),
    row("X", 10),                                              # X before enrolment: counts
    row("A", 22, time_s=100.0, clicks=1),
    row("B", 22),
    row("Y", 22, excluded=True),                               # Y excluded on D-7: not in the cohort
    row("Dp", 25),
    row("A", 29, sessions=2, time_s=600.0, clicks=3, features="dashboards"),
    row("C", 29, time_s=1200.0, clicks=5, features="dashboards,reports"),
    row("Y", 29, time_s=0.0),
    row("X", 29, sessions=10, clicks=100, features="api", excluded=True),  # excluded on D: out
]
# Activity partitions that exist: 03-01..03-30 except 03-15 and 03-16 (never materialized).
AVAILABLE = {d(i) for i in range(1, 31)} - {d(15), d(16)}


@pytest.fixture(scope="module")
def result(spark):
    frame = spark.createDataFrame(ACTIVITY, DDL)
    rows = aggregate_engagement(frame, [d(5), d(12), d(29), d(30)], AVAILABLE).collect()
    return {r["date"]: r.asDict() for r in rows}


def test_dau_wau_mau_and_ratios_on_a_full_day(result):
    r = result[d(29)]
    # dau: A, C, Y (X excluded on D) = 3; wau (03-23..29): + Dp = 4;
    # mau (03-02..29): A, B, C, Dp, E, X (03-10, not excluded then), Y = 7 (F on 03-01 is outside)
    assert (r["dau"], r["wau"], r["mau"]) == (3, 4, 7)
    assert r["sessions_per_user"] == pytest.approx(4 / 3)          # 2 + 1 + 1 sessions / 3
    assert r["time_in_app_min_per_user"] == pytest.approx(10.0)     # (600 + 1200 + 0) s / 60 / 3
    assert r["clicks_per_user"] == pytest.approx(8 / 3)             # 3 + 5 + 0
    assert r["d7_retention"] == pytest.approx(0.5)                  # cohort 03-22 {A, B}; A back on D
    assert r["adoption_dashboards"] == pytest.approx(2 / 3)         # A, C
    assert r["adoption_reports"] == pytest.approx(1 / 3)            # C
    assert r["adoption_api"] == 0.0                                 # only X, excluded
    assert r["window_days_available"] == 26                        # 28 minus 03-15, 03-16


def test_start_of_history_has_no_retention(result):
    r = result[d(5)]
    # window 02-06..03-05: only 03-01..03-05 exist (5 days); D-7 = 02-26 not materialized -> null
    assert (r["dau"], r["wau"], r["mau"], r["window_days_available"]) == (1, 2, 2, 5)
    assert r["d7_retention"] is None
    assert (r["sessions_per_user"], r["time_in_app_min_per_user"], r["clicks_per_user"]) == (1.0, 5.0, 2.0)
    assert r["adoption_api"] == 1.0 and r["adoption_dashboards"] == 0.0


def test_zero_dau_gives_null_ratios_not_errors(result):
    r = result[d(30)]  # no activity on 03-30; wau 03-24..30: Dp, A, C, Y; mau 03-03..30: + B, E, X = 7
    assert (r["dau"], r["wau"], r["mau"]) == (0, 4, 7)
    ratios = ["sessions_per_user", "time_in_app_min_per_user", "clicks_per_user", *[f"adoption_{f}" for f in FEATURES]]
    assert all(r[c] is None for c in ratios)
    assert r["d7_retention"] is None                                # cohort 03-23 is empty
    r = result[d(12)]  # dau 0, but the D-7 cohort {E} exists and nobody came back -> 0.0, not null
    assert (r["dau"], r["wau"], r["mau"], r["d7_retention"], r["window_days_available"]) == (0, 1, 3, 0.0, 12)


def test_adoption_within_bounds_and_invariant_guard(spark, result):
    for r in result.values():
        for f in FEATURES:
            assert r[f"adoption_{f}"] is None or 0.0 <= r[f"adoption_{f}"] <= 1.0
    frame = aggregate_engagement(spark.createDataFrame(ACTIVITY, DDL), [d(29)], AVAILABLE)
    assert out_of_range(frame) == []
    from pyspark.sql import functions as F

    broken = out_of_range(frame.withColumn("adoption_api", F.lit(1.5)))
    assert len(broken) == 1 and broken[0]["adoption_api"] == 1.5
