"""stg_click_events checks on hand-made staged partitions (pyarrow Parquet, no Spark).

The clean day: 200 users u000..u199, each 6 page views 2 minutes apart starting at hour 8 + i % 10
(+ i seconds), so 1,200 events, 6 per user, and exactly 10 % of the events in each UTC hour 08..17.
Eight clean days before D are staged with it (one backfill run), so D has a baseline for the
hour-of-day profile and events per user (previous days) and 7 days of users for the new-user signal.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline_ops.lake.storage import Lake
from pipeline_ops.metrics.engagement import EVENTS_SCHEMA
from pipeline_ops_tests.engagement.audit_helpers import counts, days_before, not_passing, run, stage, ts

D = "2025-03-10"  # a Monday
HISTORY = days_before(D, 8)


def event(day: str, user: str, seconds: float, k: int, **kw) -> dict:
    t = ts(day, seconds)
    row = {"event_id": f"{day}-{user}-{k}", "user_id": user, "account_id": "acc_01", "event_ts": t,
           "received_ts": t + dt.timedelta(seconds=1), "event_type": "page_view", "feature": None, "page": f"/p/{k}",
           "is_late": False, "definition_version": "engagement/1.0"}
    row.update(kw)
    return row


def human_day(day: str, users: int = 200, per_user: int = 6, prefix: str = "u", shift_h: dict | None = None) -> list[dict]:
    """`users` users, `per_user` page views each 2 min apart from hour 8 + i % 10; shift_h: {i: hours} moves a user."""
    rows = []
    for i in range(users):
        base = (8 + i % 10) * 3600 + i + 3600 * (shift_h or {}).get(i, 0)
        rows += [event(day, f"{prefix}{i:03d}", base + 120 * k, k) for k in range(per_user)]
    return rows


def audit_day(tmp_path, today: list[dict], today_counts: dict | None = None, history=HISTORY, extra_today=None):
    partitions = {d: human_day(d) for d in history}
    partitions[D] = today
    lake = Lake(str(tmp_path / "lake"))
    extra = {"click_counts": {d: counts(len(rows)) for d, rows in partitions.items()}}
    if today_counts is not None:
        extra["click_counts"][D] = today_counts
    extra.update(extra_today or {})
    return run(lake, EVENTS_SCHEMA, stage(tmp_path, EVENTS_SCHEMA, partitions), extra)


def on_d(results, check: str):
    return results[(check, D)]


def test_clean_days_pass_every_check_including_the_first_days_without_history(tmp_path):
    results = audit_day(tmp_path, human_day(D))
    assert len(results) == 9 * 8  # 9 days x 8 checks
    assert not_passing(results) == {}
    assert on_d(results, "day_window").observed["psi"] == 0.0  # the same profile every day
    assert "not judged" in results[("day_window", HISTORY[0])].summary  # day 1: no baseline yet


def test_events_present_fails_on_a_day_without_events_and_says_why(tmp_path):
    results = audit_day(tmp_path, [], counts(0))
    assert on_d(results, "events_present").level == "error"
    assert "Kafka or the exporter delivered nothing" in on_d(results, "events_present").summary
    assert {k for k in not_passing(results)} == {("events_present", D)}  # one alarm: event_volume leaves it to us
    # The day's folder delivered nothing; only 30 events arrived later (all is_late): still an outage.
    stragglers = [dict(r, is_late=True) for r in human_day(D, users=5)]
    straggling = audit_day(tmp_path / "s", stragglers, counts(30, too_late_events=2))
    out = on_d(straggling, "events_present")
    assert out.level == "error" and "none of its 30 events came in the day's own delivery folder" in out.summary
    # 2 of 32 events too late (6 %) is above 1 %, but fewer than min_share_warn_count (5) rows: noise, not judged;
    # event_volume leaves the day to events_present as well
    assert not_passing(straggling).keys() == {("events_present", D)}
    late = audit_day(tmp_path / "late", [], counts(0, too_late_events=1200))
    assert "all 1200 events of the day arrived more than 48 h late" in on_d(late, "events_present").summary
    assert on_d(late, "late_share").level == "error"  # 1200 / 1200 = 100 % > 25 %


def test_duplicate_rate_repeated_payload_with_new_ids_blocks(tmp_path):
    today = human_day(D)
    copies = [{**r, "event_id": f"copy-{n}", "received_ts": r["received_ts"] + dt.timedelta(seconds=30)}
              for n, r in enumerate(today[:20])]
    out = on_d(audit_day(tmp_path, today + copies), "duplicate_rate")
    # 20 of 1,220 events repeat another (1.64 % > 1 %) and 20 >= min_share_count (20): ERROR
    assert out.level == "error" and out.observed["same_payload_new_id_events"] == 20
    assert len(out.sample) == 20 and out.sample[0]["copies"] == 2 and "stg_click_events" in out.sql
    few = on_d(audit_day(tmp_path / "few", today + copies[:5]), "duplicate_rate")
    assert few.level == "pass"  # 5 / 1,205 = 0.41 % (a session's first two events can share a millisecond)


def test_duplicate_rate_warns_on_a_redelivery_surge(tmp_path):
    out = on_d(audit_day(tmp_path, human_day(D), counts(1200, duplicates_removed=100)), "duplicate_rate")
    assert out.level == "warn"  # 100 / (1,200 + 100) = 7.7 % > 5 %: removed, numbers unaffected
    normal = on_d(audit_day(tmp_path / "n", human_day(D), counts(1200, duplicates_removed=12)), "duplicate_rate")
    assert normal.level == "pass"  # 12 / 1,212 = 1 %, as clean streams redeliver


def test_bot_share_catches_a_bot_at_human_speed_that_the_rate_rule_missed(tmp_path):
    bot = [event(D, "bot1", 60 * 60 + 140 * k, k) for k in range(600)]  # ~26 an hour, far under 300/h
    out = on_d(audit_day(tmp_path, human_day(D) + bot), "bot_share")
    # 600 of 1,800 events (33 %) from one user above 500 events a day: > 1 % -> ERROR
    assert out.level == "error" and out.observed["heavy_users"] == 1 and out.observed["heavy_user_events"] == 600
    assert out.sample[0]["user_id"] == "bot1"
    busy = [event(D, "u005", 12 * 3600 + 30 * k, 100 + k) for k in range(100)]  # a known user, 106 events
    ok = on_d(audit_day(tmp_path / "busy", human_day(D) + busy), "bot_share")
    assert ok.level == "pass"  # 106 events <= 500; events per user 1,300 / 200 = 6.5 (+8.3 % < 10 %)


def test_bot_share_removed_share_warns_then_blocks(tmp_path):
    warn = on_d(audit_day(tmp_path, human_day(D), counts(1200, bot_user_agent_events=150)), "bot_share")
    assert warn.level == "warn"  # 150 / 1,350 = 11.1 % > 10 %
    error = on_d(audit_day(tmp_path / "e", human_day(D), counts(1200, bot_rate_events=600, bot_rate_users=2)), "bot_share")
    assert error.level == "error"  # 600 / 1,800 = 33 % > 30 %
    ok = on_d(audit_day(tmp_path / "ok", human_day(D), counts(1200, bot_user_agent_events=30)), "bot_share")
    assert ok.level == "pass"  # 30 / 1,230 = 2.4 %


def test_bot_share_events_per_user_and_new_users(tmp_path):
    more = on_d(audit_day(tmp_path, human_day(D, per_user=9)), "bot_share")
    # 9 events per user against 6.0 on every previous day (MAD 0): |z| infinite and +50 % > 25 %
    assert more.level == "error" and "events per active user" in more.summary
    assert more.flag_metrics == ("events_per_user",)
    fewer = on_d(audit_day(tmp_path / "fewer", human_day(D, per_user=3)), "bot_share")
    assert fewer.level == "pass"  # one-sided: fewer events per user is not bot traffic (event_volume's concern)
    fresh = on_d(audit_day(tmp_path / "new", human_day(D) + human_day(D, users=100, prefix="n")), "bot_share")
    # 100 users unseen in the previous 7 days send 600 of 1,800 events (33 % > 5 %): WARN
    assert fresh.level == "warn" and fresh.observed["new_users"]["new_users"] == 100


def test_quarantine_share(tmp_path):
    sample = [{"category": "malformed", "file": f"/landing/click_events/date={D}/part-0.jsonl", "line": "{broken"}]
    out = on_d(audit_day(tmp_path, human_day(D), counts(1200, malformed_lines=30), extra_today={"set_aside_sample": sample}),
               "quarantine_share")
    assert out.level == "error" and out.failing_count == 30 and out.sample == sample  # 30 / 1,230 = 2.4 % > 1 %
    tz = on_d(audit_day(tmp_path / "tz", human_day(D), counts(1200, impossible_ts_lines=25)), "quarantine_share")
    assert tz.level == "error" and "timezone-day-boundary" in tz.summary
    few = on_d(audit_day(tmp_path / "few", human_day(D), counts(1200, malformed_lines=15)), "quarantine_share")
    assert few.level == "warn"  # 15 / 1,215 = 1.2 % but fewer than 20 lines
    ok = on_d(audit_day(tmp_path / "ok", human_day(D), counts(1200, missing_user_id_lines=5)), "quarantine_share")
    assert ok.level == "pass"  # 5 / 1,205 = 0.4 %


@pytest.mark.parametrize("late, level", [(5, "pass"), (30, "warn"), (600, "error")])
def test_late_share(tmp_path, late, level):
    # 5 / 1,205 = 0.4 %; 30 / 1,230 = 2.4 % > 1 %; 600 / 1,800 = 33 % > 25 %
    assert on_d(audit_day(tmp_path, human_day(D), counts(1200, too_late_events=late)), "late_share").level == level


def test_day_window_event_outside_the_utc_day(tmp_path):
    stray = event(D, "u000", 24 * 3600, 99)  # 00:00 of the next day in D's partition
    out = on_d(audit_day(tmp_path, human_day(D) + [stray]), "day_window")
    assert out.level == "error" and out.observed["outside_day"] == 1 and out.sample[0]["event_id"] == stray["event_id"]


def test_day_window_hour_profile_psi(tmp_path):
    # Users with i % 10 in {0, 1, 2} stamp UTC-5 as 'Z': hours 08-10 (30 %) move to 03-05. PSI =
    # 3 x (0.1 - 1e-4) ln(0.1 / 1e-4) + 3 x (1e-4 - 0.1) ln(1e-4 / 0.1) = 6 x 0.0999 x 6.908 = 4.14 -> ERROR
    shifted = {i: -5 for i in range(200) if i % 10 in (0, 1, 2)}
    out = on_d(audit_day(tmp_path, human_day(D, shift_h=shifted)), "day_window")
    assert out.level == "error" and out.observed["psi"] == pytest.approx(4.14, abs=0.01)
    # 16 of the 20 hour-08 users an hour late: 08 = 2 %, 09 = 18 %.
    # PSI = (0.02 - 0.1) ln(0.2) + (0.18 - 0.1) ln(1.8) = 0.1288 + 0.0470 = 0.176 -> WARN (0.1 < psi <= 0.25)
    some = {i: 1 for i in range(0, 160, 10)}
    warn = on_d(audit_day(tmp_path / "w", human_day(D, shift_h=some)), "day_window")
    assert warn.level == "warn" and warn.observed["psi"] == pytest.approx(0.176, abs=0.001)
    assert warn.flag_metrics and all(m.startswith("hour_share__") for m in warn.flag_metrics)
    tiny = on_d(audit_day(tmp_path / "t", human_day(D, users=10, shift_h={0: -5})), "day_window")
    assert tiny.level == "pass" and "not judged" in tiny.summary  # 60 events < psi_min_rows


def test_event_volume_against_the_same_weekday(tmp_path):
    weeks = [days_before(D, 7 * k)[0] for k in (4, 3, 2, 1)]  # the four previous Mondays, 1,200 events each
    drop = on_d(audit_day(tmp_path, human_day(D, users=100), history=weeks), "event_volume")
    assert drop.level == "error" and drop.observed["change"] == -0.5  # 600 vs median 1,200 (MAD 0)
    same = on_d(audit_day(tmp_path / "same", human_day(D), history=weeks), "event_volume")
    assert same.level == "pass"


def test_contract_duplicate_event_id_and_unknown_event_type(tmp_path):
    today = human_day(D)
    bad = today + [dict(today[0], page="/other")] + [event(D, "u001", 9 * 3600 + 5, 50, event_type="scroll")]
    out = on_d(audit_day(tmp_path, bad), "contract")
    assert out.level == "error" and any("event_type" in k for k in out.observed["failures_by_column_check"])
    assert out.observed["failures_by_column_check"]["stg_click_events: multiple_fields_uniqueness"] == 2  # both copies
