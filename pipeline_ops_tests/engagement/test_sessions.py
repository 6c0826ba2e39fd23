"""Sessionization and user activity on hand-built events; expected values worked out in comments."""

import datetime as dt

import pytest

from pipeline_ops.engagement.sessions import duplicate_user_assignments, sessionize, user_activity

pytestmark = pytest.mark.spark

D, D1 = dt.date(2025, 3, 2), dt.date(2025, 3, 3)
EVENTS_DDL = "event_id string, user_id string, account_id string, event_ts timestamp, event_type string, feature string, date date"
ASSIGN_DDL = "date date, experiment_id string, unit_type string, unit_id string, variant string, exclude_from_investor boolean"


def t(day: dt.date, hms: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hms), tzinfo=dt.timezone.utc)


def _events(spark):
    rows = [
        # usr_1: 08:00:00 -> 08:29:59 (gap 29:59, same session) -> 08:59:59 (gap 30:00: new session)
        #        -> 09:10:00 (gap 10:01, same as the third)
        ("a1", "usr_1", "acc_1", t(D, "08:00:00"), "feature_use", "dashboards", D),
        ("a2", "usr_1", "acc_1", t(D, "08:29:59"), "feature_use", "reports", D),
        ("a3", "usr_1", "acc_1", t(D, "08:59:59"), "click", None, D),
        ("a4", "usr_1", "acc_1", t(D, "09:10:00"), "feature_use", "dashboards", D),
        # usr_2: one event -> one session of 0 s
        ("b1", "usr_2", "acc_2", t(D, "12:00:00"), "click", None, D),
        # usr_3: 23:50 on D and 00:05 on D+1 (15 min apart) -> cut at midnight: one session per day
        ("c1", "usr_3", "acc_3", t(D, "23:50:00"), "page_view", None, D),
        ("c2", "usr_3", "acc_3", t(D1, "00:05:00"), "click", None, D1),
        # usr_4 (account acc_9, excluded account-level experiment), usr_5 (excluded user-level experiment)
        ("d1", "usr_4", "acc_9", t(D, "10:00:00"), "click", None, D),
        ("e1", "usr_5", "acc_2", t(D, "10:00:00"), "page_view", None, D),
    ]
    return spark.createDataFrame(rows, EVENTS_DDL)


def test_sessions_split_at_exact_timeout_and_midnight(spark):
    got = {(r["user_id"], r["session_start"]): r for r in sessionize(_events(spark), 30).collect()}
    s1 = got[("usr_1", dt.datetime(2025, 3, 2, 8, 0, 0))]
    assert (s1["events"], s1["duration_s"], s1["features_used"]) == (2, 1799.0, 2)  # 29:59 = 1799 s
    assert s1["session_id"] == "usr_1@2025-03-02T08:00:00.000000Z"
    s2 = got[("usr_1", dt.datetime(2025, 3, 2, 8, 59, 59))]
    assert (s2["events"], s2["duration_s"], s2["features_used"]) == (2, 601.0, 1)  # 08:59:59 -> 09:10:00
    assert got[("usr_2", dt.datetime(2025, 3, 2, 12))]["duration_s"] == 0.0
    usr3 = sorted((r["date"], r["duration_s"]) for (u, _), r in got.items() if u == "usr_3")
    assert usr3 == [(D, 0.0), (D1, 0.0)]
    assert len(got) == 7  # usr_1 x2, usr_2, usr_3 x2, usr_4, usr_5


def test_user_activity_joins_assignments_and_exclusions(spark):
    events = _events(spark)
    sessions = sessionize(events, 30)
    assignments = spark.createDataFrame([
        (D, "exp_new_dashboard", "user", "usr_1", "treatment", False),
        (D, "exp_dogfood_internal", "user", "usr_5", "control", True),
        (D, "exp_pricing_discount", "account", "acc_9", "treatment", True),
        (D, "exp_onboarding_checklist", "account", "acc_1", "control", False),
    ], ASSIGN_DDL)
    got = {(r["date"], r["user_id"]): r for r in user_activity(events, sessions, assignments).collect()}
    u1 = got[(D, "usr_1")]
    # 4 events, 1 click, 2 sessions of 1799 + 601 s, features {dashboards, reports}
    assert (u1["events"], u1["clicks"], u1["sessions"], u1["time_in_app_s"]) == (4, 1, 2, 2400.0)
    assert u1["features"] == "dashboards,reports"
    assert (u1["experiment_id"], u1["variant"], u1["exclude_from_investor"]) == ("exp_new_dashboard", "treatment", False)
    assert got[(D, "usr_2")]["features"] == "" and got[(D, "usr_2")]["experiment_id"] is None
    assert got[(D, "usr_4")]["exclude_from_investor"] is True   # account-level excluded experiment
    assert got[(D, "usr_5")]["exclude_from_investor"] is True   # user-level excluded experiment
    assert got[(D1, "usr_3")]["exclude_from_investor"] is False  # no assignments for D+1: unassigned
    assert len(got) == 6
    assert duplicate_user_assignments(assignments) == []


def test_user_activity_without_assignments_and_duplicate_guard(spark):
    events = _events(spark)
    empty = spark.createDataFrame([], ASSIGN_DDL)
    rows = user_activity(events, sessionize(events, 30), empty).collect()
    assert len(rows) == 6 and not any(r["exclude_from_investor"] for r in rows)
    twice = spark.createDataFrame([(D, "x", "user", "usr_1", "control", False), (D, "y", "user", "usr_1", "control", False)], ASSIGN_DDL)
    assert duplicate_user_assignments(twice) == [("2025-03-02", "usr_1", 2)]
