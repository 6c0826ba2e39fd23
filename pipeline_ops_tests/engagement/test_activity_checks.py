"""stg_sessions and stg_user_activity_daily checks on hand-made staged partitions (pyarrow, no Spark)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline_ops.lake.storage import Lake
from pipeline_ops.metrics.engagement import ACTIVITY_SCHEMA, EVENTS_SCHEMA, SESSIONS_SCHEMA
from pipeline_ops.staging.schemas import EXPERIMENT_ASSIGNMENTS
from pipeline_ops_tests.engagement.audit_helpers import days_before, not_passing, publish, run, stage, ts

D = "2025-03-10"
V = "engagement/1.0;bots=2025.1;lateness=48h;idle=30m"
# A clean day's sessions: 1,200, durations cycling 0 s, 30 s, 2 min, 10 min, 20 min -> 20 % in each of
# the bins 0s, 0-1m, 1-5m, 5-15m, 15-30m.
CYCLE = (0.0, 30.0, 120.0, 600.0, 1200.0)


def sessions_day(day: str, duration=lambda i: CYCLE[i % 5], n: int = 1200) -> list[dict]:
    rows = []
    for i in range(n):
        start = ts(day, 3600 + i)
        rows.append({"session_id": f"u{i:04d}@{start.isoformat()}", "user_id": f"u{i:04d}", "account_id": "acc_1",
                     "session_start": start, "session_end": start + dt.timedelta(seconds=duration(i)),
                     "duration_s": duration(i), "events": 1 if duration(i) == 0 else 3, "features_used": 0,
                     "definition_version": V})
    return rows


def audit_sessions(tmp_path, today: list[dict]):
    partitions = {d: sessions_day(d) for d in days_before(D, 5)}
    partitions[D] = today
    results = run(Lake(str(tmp_path / "lake")), SESSIONS_SCHEMA, stage(tmp_path, SESSIONS_SCHEMA, partitions))
    return results, results[("session_length_drift", D)]


def test_sessions_clean_days_pass(tmp_path):
    results, out = audit_sessions(tmp_path, sessions_day(D))
    assert not_passing(results) == {} and out.observed["psi"] == 0.0


def test_session_length_drift_idle_timeout_change_blocks(tmp_path):
    # A longer idle timeout merges the 10- and 20-minute sessions with the next ones into 4,000 s sessions:
    # bins 5-15m and 15-30m 20 % -> 0, 1-2h 0 -> 40 %. PSI = 2 x (1e-4 - 0.2) ln(1e-4 / 0.2)
    # + (0.4 - 1e-4) ln(0.4 / 1e-4) = 3.039 + 3.317 = 6.36 -> ERROR
    merged = sessions_day(D, duration=lambda i: 4000.0 if i % 5 in (3, 4) else CYCLE[i % 5])
    _, out = audit_sessions(tmp_path, merged)
    assert out.level == "error" and out.observed["psi"] == pytest.approx(6.36, abs=0.01)
    assert out.sample[0]["bin"] == "1-2h" and "idle timeout now 30 min" in out.summary


def test_session_length_drift_moderate_shift_warns_and_small_one_passes(tmp_path):
    # 10 % of the sessions move from 5-15m to 15-30m: 20/20 % -> 10/30 %.
    # PSI = (0.1 - 0.2) ln(0.5) + (0.3 - 0.2) ln(1.5) = 0.0693 + 0.0405 = 0.110 -> WARN
    _, warn = audit_sessions(tmp_path, sessions_day(D, duration=lambda i: 1200.0 if i % 10 == 3 else CYCLE[i % 5]))
    assert warn.level == "warn" and warn.observed["psi"] == pytest.approx(0.110, abs=0.001)
    # 5 %: 15/25 %. PSI = (-0.05) ln(0.75) + 0.05 ln(1.25) = 0.0144 + 0.0112 = 0.026 -> pass
    _, ok = audit_sessions(tmp_path / "ok", sessions_day(D, duration=lambda i: 1200.0 if i % 20 == 3 else CYCLE[i % 5]))
    assert ok.level == "pass"


def test_sessions_contract_negative_duration(tmp_path):
    results, _ = audit_sessions(tmp_path, sessions_day(D, duration=lambda i: -5.0 if i == 0 else CYCLE[i % 5]))
    assert results[("contract", D)].level == "error"


# --- stg_user_activity_daily -----------------------------------------------------------------------
# Inputs of D: u1 3 events (acc_1), 2 sessions, user-level assignment exp_a; u2 2 events (acc_2, whose
# account-level experiment is excluded), 1 session; u3 1 event without account, 1 session.
def _event(i: int, user: str, account: str | None) -> dict:
    t = ts(D, 3600 * (i + 1))
    return {"event_id": f"e{i}", "user_id": user, "account_id": account, "event_ts": t, "received_ts": t,
            "event_type": "click", "feature": None, "page": "/home", "is_late": False, "definition_version": V}


EVENTS = [_event(0, "u1", "acc_1"), _event(1, "u1", "acc_1"), _event(2, "u1", "acc_1"), _event(3, "u2", "acc_2"),
          _event(4, "u2", "acc_2"), _event(5, "u3", None)]
SESSIONS = [{"session_id": f"{u}@{k}", "user_id": u, "account_id": a, "session_start": ts(D, k), "session_end": ts(D, k),
             "duration_s": 0.0, "events": 1, "features_used": 0, "definition_version": V}
            for k, (u, a) in enumerate([("u1", "acc_1"), ("u1", "acc_1"), ("u2", "acc_2"), ("u3", None)])]
ASSIGNMENTS = [{"experiment_id": e, "unit_type": t, "unit_id": u, "variant": "control", "assigned_at": ts("2025-03-01", 0),
                "exclude_from_investor": x, "in_snapshot": True, "definition_version": "staging/1.0"}
               for e, t, u, x in [("exp_a", "user", "u1", False), ("exp_b", "account", "acc_2", True)]]


def activity(user: str, account, events: int, sessions: int, experiment=None, excluded=False, **kw) -> dict:
    row = {"user_id": user, "account_id": account, "events": events, "clicks": events, "sessions": sessions,
           "time_in_app_s": 0.0, "features": "", "experiment_id": experiment,
           "variant": "control" if experiment else None, "exclude_from_investor": excluded, "definition_version": V}
    row.update(kw)
    return row


GOOD = [activity("u1", "acc_1", 3, 2, "exp_a"), activity("u2", "acc_2", 2, 1, excluded=True), activity("u3", None, 1, 1)]


def audit_activity(tmp_path, rows: list[dict], with_sessions: bool = True):
    lake = Lake(str(tmp_path / "lake"))
    publish(lake, EVENTS_SCHEMA, {D: EVENTS})
    if with_sessions:
        publish(lake, SESSIONS_SCHEMA, {D: SESSIONS})
    publish(lake, EXPERIMENT_ASSIGNMENTS, {D: ASSIGNMENTS})
    results = run(lake, ACTIVITY_SCHEMA, stage(tmp_path, ACTIVITY_SCHEMA, {D: rows}))
    return results, results[("join_integrity", D)]


def test_join_integrity_passes_when_activity_reconciles(tmp_path):
    results, out = audit_activity(tmp_path, GOOD)
    assert not_passing(results) == {}, out.summary
    assert out.observed["activity"]["events"] == 6 and out.observed["inputs"]["sessions"] == 4


def test_join_integrity_fan_out(tmp_path):
    # u1 joined to two assignment rows: 4 rows for 3 users, 9 events for 6, 6 sessions for 4
    fanned = GOOD + [activity("u1", "acc_1", 3, 2, "exp_a")]
    _, out = audit_activity(tmp_path, fanned)
    assert out.level == "error"
    assert out.observed["differences"] == {"rows per user > 1 (fan-out)": 1, "events vs stg_click_events": 3,
                                           "sessions vs stg_sessions": 2}
    assert out.sample[0]["user_id"] == "u1" and out.sample[0]["rows_for_user"] == 2


def test_join_integrity_null_explosion(tmp_path):
    # The sessions join lost u1 (sessions 0), u2's account became null, u1's experiment was dropped.
    broken = [activity("u1", "acc_1", 3, 0), activity("u2", None, 2, 1, excluded=True), activity("u3", None, 1, 1)]
    _, out = audit_activity(tmp_path, broken)
    assert out.level == "error"
    assert out.observed["differences"] == {"sessions vs stg_sessions": -2, "activity without a session": 1,
                                           "account_id lost in the joins": 1,
                                           "experiment_id vs user-level assignments": -1}


def test_join_integrity_without_published_inputs(tmp_path):
    _, out = audit_activity(tmp_path, GOOD, with_sessions=False)
    assert out.level == "error" and "no published partition" in out.summary


def test_activity_contract_unknown_variant(tmp_path):
    results, _ = audit_activity(tmp_path, [GOOD[0] | {"variant": "b"}, *GOOD[1:]])
    assert results[("contract", D)].level == "error"
