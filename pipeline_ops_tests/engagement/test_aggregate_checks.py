"""engagement_aggregate checks on a hand-made staged row and published activity (pyarrow, no Spark).

Published activity: D: u1 (acc_1, exp_a, counted), u2 (acc_2: account experiment exp_b excluded), u3
(acc_3), u4 (user-level dogfood experiment, excluded); D-3: u5; D-10: u6. Investor population:
dau = {u1, u3} = 2, wau = {u1, u3, u5} = 3, mau = {u1, u3, u5, u6} = 4.
"""

from __future__ import annotations

import pytest

from pipeline_ops.landing.contract import FEATURES
from pipeline_ops.lake.storage import Lake
from pipeline_ops.metrics.engagement import ACTIVITY_SCHEMA, AGGREGATE_SCHEMA
from pipeline_ops.staging.schemas import EXPERIMENT_ASSIGNMENTS
from pipeline_ops_tests.engagement.audit_helpers import days_before, not_passing, publish, run, stage, ts

D = "2025-03-10"
D3, D10 = days_before(D, 3)[0], days_before(D, 10)[0]
V = "engagement/1.0"


def act(user: str, account: str, excluded: bool = False, experiment: str | None = None) -> dict:
    return {"user_id": user, "account_id": account, "events": 2, "clicks": 1, "sessions": 1, "time_in_app_s": 60.0,
            "features": "dashboards", "experiment_id": experiment, "variant": "control" if experiment else None,
            "exclude_from_investor": excluded, "definition_version": V}


ACTIVITY = {D: [act("u1", "acc_1", experiment="exp_a"), act("u2", "acc_2", True), act("u3", "acc_3"),
                act("u4", "acc_1", True, "exp_dogfood")],
            D3: [act("u5", "acc_3")], D10: [act("u6", "acc_3")]}
ASSIGNMENTS = [{"experiment_id": e, "unit_type": t, "unit_id": u, "variant": "control", "assigned_at": ts("2025-03-01", 0),
                "exclude_from_investor": x, "in_snapshot": True, "definition_version": "staging/1.0"}
               for e, t, u, x in [("exp_a", "user", "u1", False), ("exp_dogfood", "user", "u4", True),
                                  ("exp_b", "account", "acc_2", True)]]


def agg(**kw) -> dict:
    row = {"dau": 2, "wau": 3, "mau": 4, "sessions_per_user": 1.0, "time_in_app_min_per_user": 1.0, "clicks_per_user": 1.0,
           "d7_retention": None, **{f"adoption_{f}": (1.0 if f == "dashboards" else 0.0) for f in FEATURES},
           "window_days_available": 3, "definition_version": V}
    row.update(kw)
    return row


def audit_agg(tmp_path, rows: list[dict], activity=ACTIVITY, history: dict | None = None):
    lake = Lake(str(tmp_path / "lake"))
    publish(lake, ACTIVITY_SCHEMA, activity)
    publish(lake, EXPERIMENT_ASSIGNMENTS, {D: ASSIGNMENTS})
    partitions = {**(history or {}), D: rows}
    results = run(lake, AGGREGATE_SCHEMA, stage(tmp_path, AGGREGATE_SCHEMA, partitions))
    return {c: o for (c, p), o in results.items() if p == D}


def test_correct_row_passes_every_check(tmp_path):
    results = audit_agg(tmp_path, [agg()])
    assert not_passing({(c, D): o for c, o in results.items()}) == {}
    assert results["experiment_excluded"].observed["dau_from_assignments"] == 2


def test_experiment_excluded_catches_excluded_users_in_the_numbers(tmp_path):
    # The investor filter regressed: dau counts u2 and u4 (4), wau 5, mau 6.
    out = audit_agg(tmp_path, [agg(dau=4, wau=5, mau=6)])["experiment_excluded"]
    assert out.level == "error" and out.observed["recomputed"]["dau"] == 2
    assert "dau +2" in out.summary and "wau +2" in out.summary and "mau +2" in out.summary
    assert "dau_vs_assignments +2" in out.summary


def test_experiment_excluded_catches_a_dropped_activity_flag(tmp_path):
    # stg_user_activity_daily lost u4's flag: the aggregate (3) agrees with the activity, not with the assignments (2).
    leaky = {**ACTIVITY, D: [*ACTIVITY[D][:3], act("u4", "acc_1", False, "exp_dogfood")]}
    out = audit_agg(tmp_path, [agg(dau=3, wau=4, mau=5)], activity=leaky)["experiment_excluded"]
    assert out.level == "error" and out.observed["dau_from_assignments"] == 2
    assert "dau_vs_assignments +1" in out.summary and "wau" not in out.summary


@pytest.mark.parametrize("change, text", [
    ({"dau": 5}, "dau 5 <= wau 3 <= mau 4 breaks"),
    ({"sessions_per_user": float("nan")}, "NaN or infinite: sessions_per_user"),
    ({"clicks_per_user": float("inf")}, "NaN or infinite: clicks_per_user"),
    ({"time_in_app_min_per_user": None}, "null while dau > 0"),
    ({"adoption_dashboards": 1.5}, "outside [0, 1]: adoption_dashboards 1.5000"),
    ({"d7_retention": -0.1}, "d7_retention -0.1000"),
    ({"sessions_per_user": 0.5}, "sessions_per_user 0.500 < 1"),
])
def test_plausibility_failures(tmp_path, change, text):
    out = audit_agg(tmp_path, [agg(**change)])["plausibility"]
    assert out.level == "error" and text in out.summary, out.summary


def test_plausibility_zero_dau_with_null_ratios_passes_and_ratios_on_zero_dau_fail(tmp_path):
    nulls = {c: None for c in ("sessions_per_user", "time_in_app_min_per_user", "clicks_per_user",
                               *[f"adoption_{f}" for f in FEATURES])}
    ok = audit_agg(tmp_path, [agg(dau=0, **nulls)])["plausibility"]
    assert ok.level == "pass"  # null is the answer for an empty denominator
    bad = audit_agg(tmp_path / "b", [agg(dau=0, **{**nulls, "sessions_per_user": 0.0})])["plausibility"]
    assert bad.level == "error" and "set while dau = 0" in bad.summary


def test_plausibility_two_rows_for_a_day(tmp_path):
    out = audit_agg(tmp_path, [agg(), agg()])["plausibility"]
    assert out.level == "error" and out.observed["rows"] == 2


def test_contract_adoption_above_one(tmp_path):
    assert audit_agg(tmp_path, [agg(adoption_dashboards=1.2)])["contract"].level == "error"


def test_dau_volume_against_the_same_weekday(tmp_path):
    weeks = {days_before(D, 7 * k)[0]: [agg(dau=100, wau=300, mau=400)] for k in (4, 3, 2, 1)}
    drop = audit_agg(tmp_path, [agg(dau=60, wau=300, mau=400)], history=weeks)["dau_volume"]
    assert drop.level == "error" and drop.observed["change"] == -0.4  # 60 vs 100 (MAD 0)
    small = audit_agg(tmp_path / "s", [agg(dau=97, wau=300, mau=400)], history=weeks)["dau_volume"]
    assert small.level == "pass"  # -3 %: under the 10 % gate
