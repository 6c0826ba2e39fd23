"""Robust baselines, the two gates, PSI and the severity policy, with hand-computed values."""

import datetime as dt
import math

import pytest

from pipeline_ops.quality.baseline import Gates, anomaly_level, psi, same_weekday_baseline
from pipeline_ops.quality.outcome import CheckDef, Outcome, verdict

D = dt.date(2025, 3, 31)  # a Monday
WEEKS = [D - dt.timedelta(days=7 * k) for k in range(1, 9)]
GATES = Gates(warn_z=4, warn_pct=0.10, error_z=8, error_pct=0.25)


def test_same_weekday_median_and_mad_leave_out_the_day_other_weekdays_and_flagged_days():
    history = {WEEKS[0]: 100, WEEKS[1]: 104, WEEKS[2]: 96, WEEKS[3]: 102, WEEKS[4]: 1000, WEEKS[5]: 98,
               D: 5_000, D - dt.timedelta(days=1): 7_000}  # the day itself and a Sunday: never used
    base = same_weekday_baseline(history, D, weeks=8, min_points=4, flagged=frozenset({WEEKS[4]}))
    # used: 100, 104, 96, 102, 98 -> median 100; |dev| 0, 4, 4, 2, 2 -> MAD 2
    assert base.points == 5 and base.median == 100 and base.mad == 2
    assert base.z(110) == pytest.approx(10 / (1.4826 * 2))
    assert base.pct(110) == pytest.approx(0.10)
    assert WEEKS[4].isoformat() not in base.days and D.isoformat() not in base.days


def test_too_few_points_means_no_baseline():
    base = same_weekday_baseline({WEEKS[0]: 1, WEEKS[1]: 2, WEEKS[2]: 3}, D, weeks=8, min_points=4)
    assert base.method == "insufficient" and base.median is None and base.points == 3
    assert anomaly_level(base, 1e9, GATES) == "pass"


@pytest.mark.parametrize("value, expected", [
    # median 100, MAD 0.5, spread 1.4826 * 0.5 = 0.7413
    (100.0, "pass"),
    (109.0, "pass"),   # z = 12.1 > 4, but 9 % < 10 %: fails the percent gate
    (115.0, "warn"),   # z = 20.2, 15 %
    (124.0, "warn"),   # z = 32.4 > 8, but 24 % < 25 %: not yet an error
    (130.0, "error"),  # z = 40.5, 30 %
    (60.0, "error"),   # drops count the same as spikes: z = -54, -40 %
])
def test_two_gates(value, expected):
    base = same_weekday_baseline({w: v for w, v in zip(WEEKS, [99, 100, 101, 100, 99, 101, 100, 100])}, D, 8, 4)
    assert base.median == 100 and base.mad == 0.5
    assert anomaly_level(base, value, GATES) == expected


def test_a_percent_move_in_a_noisy_series_is_not_unusual():
    # Values swing +-30 %: MAD = 20; a 40 % move is z = 40 / 29.65 = 1.35, under the z gate.
    base = same_weekday_baseline({w: v for w, v in zip(WEEKS, [70, 130, 80, 120, 100, 100, 75, 125])}, D, 8, 4)
    assert anomaly_level(base, 140, GATES) == "pass"


def test_flat_history_makes_any_change_infinitely_unusual_but_the_percent_gate_still_applies():
    base = same_weekday_baseline({w: 50.0 for w in WEEKS}, D, 8, 4)
    assert math.isinf(base.z(51)) and anomaly_level(base, 51, GATES) == "pass"  # 2 % move
    assert anomaly_level(base, 60, GATES) == "warn"


def test_psi_by_hand():
    assert psi({"a": 1, "b": 1}, {"a": 1, "b": 1}) == 0
    # e = (0.5, 0.5), a = (0.8, 0.2): 0.3 ln(1.6) + (-0.3) ln(0.4) = 0.1410 + 0.2749 = 0.4159
    assert psi({"a": 50, "b": 50}, {"a": 80, "b": 20}) == pytest.approx(0.3 * math.log(1.6) - 0.3 * math.log(0.4))


def _check(asset):
    return CheckDef("c", asset, "plausibility", "d", "s", lambda ctx, p: Outcome("pass", ""))


@pytest.mark.parametrize("asset, level, expected", [
    ("profit_aggregate", "error", ("ERROR", False, True)),
    ("profit_aggregate", "warn", ("WARN", False, False)),
    ("profit_aggregate", "pass", ("ERROR", True, False)),
    ("growth_daily", "error", ("WARN", False, False)),  # experiment-facing: publish and warn
    ("stg_experiment_assignments", "error", ("ERROR", False, True)),  # feeds investor exclusions
])
def test_severity_policy(asset, level, expected):
    v = verdict(_check(asset), Outcome(level, ""))
    assert (v.severity, v.passed, v.blocks) == expected


def test_shadow_mode_records_errors_without_blocking(monkeypatch):
    monkeypatch.setenv("PIPELINE_OPS_QUALITY_ENFORCE", "0")
    v = verdict(_check("profit_aggregate"), Outcome("error", ""))
    assert (v.severity, v.passed, v.blocks) == ("ERROR", False, False)
