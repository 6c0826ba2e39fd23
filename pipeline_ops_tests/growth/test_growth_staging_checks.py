"""Checks of stg_account_daily and stg_subscription_events_usd, each on hand-made data that breaks it and
data that does not (staged partitions audited as the asset's publish would: see audit_harness.py).

Defaults used in the expectations: min_completeness 99.5 %, max_duplicate_rate 0.1 %, max_stock_change
10 % (WARN) / 25 % (ERROR), stock_min_accounts 50, baseline_min_points 4.
"""

from __future__ import annotations

import dagster as dg
import pytest

from pipeline_ops_tests.fixtures.landing_builder import LandingBuilder
from pipeline_ops_tests.growth.audit_harness import audit_days, failed, meta

ACC, EV = "stg_account_daily", "stg_subscription_events_usd"
D0, D1 = "2025-03-01", "2025-03-02"
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def accounts(n: int, start: int = 0, **kw) -> list[dict]:
    """n active accounts acc_00000.. (staged columns); kw overrides every row."""
    return [{"account_id": f"acc_{i:05d}", **kw} for i in range(start, start + n)]


def landing_accounts(rows: list[dict]) -> list[dict]:
    """The landing snapshot rows behind staged account rows: name and signup second unique per account."""
    out = []
    for r in rows:
        i = int(r["account_id"].split("_")[1])
        active = r.get("status", "active") == "active"
        out.append({"account_id": r["account_id"], "account_name": r.get("account_name", f"Company {i}"), "plan": "growth",
                    "region": "NA", "currency": "USD", "status": r.get("status", "active"),
                    "licences": r.get("licences", 5), "price_per_licence": 20, "mrr": r.get("mrr", 100.0),
                    "created_at": r.get("created_at", f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"),
                    "churned_at": None if active else f"{D1}T10:00:00Z"})
    return out


def zone_with(tmp_path, days: dict[str, list[dict]], events: dict[str, list[dict]] | None = None) -> LandingBuilder:
    zone = LandingBuilder(tmp_path / "landing")
    for day, rows in days.items():
        zone.write("accounts", day, landing_accounts(rows))
    for day, rows in (events or {}).items():
        zone.write("subscription_events", day, rows)
    return zone


def audit_accounts(tmp_path, staged, published=None, landing_days=None, events=None):
    zone = zone_with(tmp_path, landing_days if landing_days is not None else staged, events)
    return audit_days(tmp_path, ACC, staged, published={ACC: published} if published else None, landing=zone)


# -- accounts_complete ---------------------------------------------------------------------------

def test_all_accounts_present_pass(tmp_path):
    # 400 active yesterday (published); today the same 400, one now churned (still in the snapshot), plus 2 new.
    today = [*accounts(399), *accounts(1, 399, status="churned", licences=0, mrr=0.0, mrr_usd=0.0, is_active=False),
             *accounts(2, 400)]
    evals = audit_accounts(tmp_path, {D1: today}, published={D0: accounts(400)})
    assert not failed(evals), failed(evals)
    e = evals["accounts_complete", D1]
    assert e.passed and e.severity == ERROR and e.partition == D1
    assert meta(e, "observed")["previous_day_from"] == "lake" and meta(e, "observed")["expected"] == 400


def test_one_missing_account_warns_and_three_fail(tmp_path):
    # 1 of 400 missing: 399 / 400 = 99.75 % >= 99.5 %: WARN (any disappearance is worth a question).
    e = audit_accounts(tmp_path / "one", {D1: accounts(399, 1)}, published={D0: accounts(400)})["accounts_complete", D1]
    assert not e.passed and e.severity == WARN and meta(e, "failing_count") == 1
    assert meta(e, "sample") == [{"account_id": "acc_00000", "active_on": D0}]
    # 3 of 400 missing: 397 / 400 = 99.25 % < 99.5 %: ERROR (blocks the day).
    e = audit_accounts(tmp_path / "three", {D1: accounts(397, 3)}, published={D0: accounts(400)})["accounts_complete", D1]
    assert not e.passed and e.severity == ERROR and e.partition == D1
    assert "3 of 400 accounts active on 2025-03-01 are missing from the 2025-03-02 snapshot (99.25% present" in e.description
    assert meta(e, "observed")["share_present"] == pytest.approx(0.9925)
    assert "except select account_id from stg_account_daily where date = '2025-03-02'" in meta(e, "sql")


def test_account_gone_with_a_churn_event_is_excused(tmp_path):
    # acc_00000 churned today per the landing subscription events and left the snapshot: expected 3, all present.
    churn = {"event_id": "ev_1", "account_id": "acc_00000", "event_type": "churn", "event_ts": f"{D1}T10:00:00Z",
             "plan_before": "growth", "plan_after": None, "licences_before": 5, "licences_after": 0, "mrr_before": 100,
             "mrr_after": 0, "currency": "USD"}
    evals = audit_accounts(tmp_path, {D1: accounts(3, 1)}, published={D0: accounts(4)}, events={D1: [churn]})
    e = evals["accounts_complete", D1]
    assert e.passed and meta(e, "observed")["excused_churned_today"] == 1 and meta(e, "observed")["expected"] == 3


def test_previous_day_from_the_landing_snapshot_or_none(tmp_path):
    # Nothing published: yesterday's landing snapshot is the reference; 1 of 3 missing = 66.7 %: ERROR.
    e = audit_accounts(tmp_path / "landing", {D1: accounts(2, 1)}, landing_days={D0: accounts(3), D1: accounts(2, 1)})[
        "accounts_complete", D1]
    assert not e.passed and e.severity == ERROR and meta(e, "observed")["previous_day_from"] == "landing snapshot"
    # No snapshot of the day before anywhere (first day of the landing zone): passes.
    e = audit_accounts(tmp_path / "first", {D1: accounts(2)})["accounts_complete", D1]
    assert e.passed and "first day" in e.description


# -- duplicate_accounts --------------------------------------------------------------------------

def _dup(rows: list[dict], copy_of: int, new_id: str) -> list[dict]:
    """rows plus a copy of rows[copy_of] under new_id with the same name and signup time."""
    i = int(rows[copy_of]["account_id"].split("_")[1])
    return [*rows, {**rows[copy_of], "account_id": new_id, "account_name": f"Company {i}",
                    "created_at": f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"}]


def test_company_under_a_new_id_fails(tmp_path):
    # 3 accounts + acc_00001 re-created as acc_09999: 1 extra id / 4 accounts = 25 % > 0.1 %: ERROR.
    rows = _dup(accounts(3), 1, "acc_09999")
    e = audit_accounts(tmp_path, {D1: rows})["duplicate_accounts", D1]
    assert not e.passed and e.severity == ERROR and e.partition == D1
    assert meta(e, "observed")["extra_account_ids"] == 1 and meta(e, "observed")["rate"] == pytest.approx(0.25)
    assert meta(e, "sample")[0]["account_ids"] == ["acc_00001", "acc_09999"]
    assert "'acc_00001', 'acc_09999'" in meta(e, "sql")


def test_one_duplicate_in_a_thousand_warns_and_a_shared_name_passes(tmp_path):
    # 1 extra id / 1001 accounts = 0.0999 % <= 0.1 %: WARN.
    e = audit_accounts(tmp_path / "warn", {D1: _dup(accounts(1000), 7, "acc_09999")})["duplicate_accounts", D1]
    assert not e.passed and e.severity == WARN
    # Two customers with one name but different signup times are two customers.
    rows = [*accounts(2), {"account_id": "acc_00005", "account_name": "Company 1"}]
    evals = audit_accounts(tmp_path / "name", {D1: rows})
    assert evals["duplicate_accounts", D1].passed


# -- account_volume and contract -----------------------------------------------------------------

def _days(sizes: list[int]) -> dict[str, list[dict]]:
    return {f"2025-03-{k + 1:02d}": accounts(n) for k, n in enumerate(sizes)}


@pytest.mark.parametrize("last, severity", [(105, None), (120, WARN), (140, ERROR)], ids=["+1%", "+15%", "+35%"])
def test_account_volume_day_over_day(tmp_path, last, severity):
    # 100..104 accounts (about +1 % a day: 4 daily changes of history), then the last day.
    days = _days([100, 101, 102, 103, 104, last])
    evals = audit_accounts(tmp_path, days)
    e = evals["account_volume", "2025-03-06"]
    assert e.passed is (severity is None), e.description
    if severity is not None:
        assert e.severity == severity and "accounts in the snapshot 104 -> " in e.description
        assert meta(e, "observed")["rows"]["compared_with"] == "2025-03-05"
    assert all(evals["account_volume", d].passed for d in list(days)[:-1])


def test_account_volume_not_judged_on_tiny_snapshots(tmp_path):
    # 10 -> 20 accounts (+100 %) but fewer than stock_min_accounts (50) active accounts: not judged.
    e = audit_accounts(tmp_path, _days([10, 20]))["account_volume", "2025-03-02"]
    assert e.passed and "not_judged" in meta(e, "observed")["rows"]


def test_account_contract_rejects_negative_seats(tmp_path):
    rows = [*accounts(2), *accounts(1, 2, licences=-3, mrr=-60.0, mrr_usd=-60.0, is_active=False)]
    evals = audit_accounts(tmp_path, {D1: rows})
    e = evals["contract", D1]
    assert not e.passed and e.severity == ERROR
    assert set(meta(e, "observed")["failures_by_column_check"]) == {
        "licences: greater_than_or_equal_to(0)", "mrr: greater_than_or_equal_to(0)", "mrr_usd: greater_than_or_equal_to(0)"}
    assert set(failed(evals)) == {("contract", D1)}


# -- subscription events -------------------------------------------------------------------------

def event(eid: str, acc: str, kind: str = "upgrade", **kw) -> dict:
    return {"event_id": eid, "account_id": acc, "event_type": kind, "event_ts": f"{D1}T10:00:00Z", **kw}


def audit_events(tmp_path, rows, landing_days=None):
    zone = zone_with(tmp_path, landing_days or {})
    return audit_days(tmp_path, EV, {D1: rows}, landing=zone)


def test_clean_and_empty_event_days_pass(tmp_path):
    rows = [event("ev_1", "acc_00001"), event("ev_2", "acc_00002", "new", licences_before=0, mrr_before_usd=0.0,
                                             licences_after=3, mrr_after_usd=60.0),
            event("ev_3", "acc_00003", "churn", licences_after=0, mrr_after_usd=0.0)]
    yesterday, today = accounts(4), [*accounts(3), *accounts(1, 3, status="churned", licences=0, mrr=0.0)]
    assert not failed(audit_events(tmp_path / "clean", rows, {D0: yesterday, D1: today}))
    assert not failed(audit_events(tmp_path / "empty", []))  # a day without events is legitimate


def test_an_event_repeated_under_a_new_id_fails(tmp_path):
    # ev_9 repeats ev_1 (same account, type, time, seats and MRR): 1 extra copy / 3 events: ERROR.
    rows = [event("ev_1", "acc_00001"), event("ev_2", "acc_00002"), event("ev_9", "acc_00001")]
    e = audit_events(tmp_path, rows)["duplicate_events", D1]
    assert not e.passed and e.severity == ERROR and e.partition == D1
    assert meta(e, "observed")["extra_copies"] == 1 and meta(e, "sample")[0]["event_ids"] == ["ev_1", "ev_9"]
    # The same account changing twice at different times is two events.
    assert audit_events(tmp_path / "ok", [event("ev_1", "acc_00001"), event("ev_2", "acc_00001", event_ts=f"{D1}T11:00:00Z")])[
        "duplicate_events", D1].passed


@pytest.mark.parametrize("row, problem", [
    (event("e", "acc_00001", licences_after=-1, licence_delta=-6), "negative seats"),
    (event("e", "acc_00001", mrr_after_usd=-5.0), "negative MRR"),
    (event("e", "acc_00001", "new", licences_before=2), "new with seats or MRR before"),
    (event("e", "acc_00001", "new", licences_before=0, mrr_before_usd=0.0, licences_after=0), "new without seats"),
    (event("e", "acc_00001", "churn", licences_after=1, mrr_after_usd=0.0), "churn with seats or MRR after"),
    (event("e", "acc_00001", "churn", licences_before=0, licences_after=0, mrr_after_usd=0.0),
     "churn of an account without seats"),
    (event("e", "acc_00001", "downgrade", licences_after=0), "downgrade from or to zero seats"),
], ids=["neg-seats", "neg-mrr", "new-before", "new-no-seats", "churn-after", "churn-no-seats", "zero-seats"])
def test_impossible_event_values_fail(tmp_path, row, problem):
    e = audit_events(tmp_path, [event("ok", "acc_00002"), row])["events_plausible", D1]
    assert not e.passed and e.severity == ERROR and e.partition == D1
    assert meta(e, "observed")["by_problem"] == {problem: 1} and meta(e, "sample")[0]["event_id"] == "e"


def test_churn_against_the_snapshots(tmp_path):
    churn = dict(licences_after=0, mrr_after_usd=0.0)
    # acc_00001 churns but the day's snapshot still shows it active with seats (the impossible_growth fault).
    e = audit_events(tmp_path / "active", [event("e", "acc_00001", "churn", **churn)], {D0: accounts(3), D1: accounts(3)})[
        "events_plausible", D1]
    assert not e.passed and meta(e, "observed")["by_problem"] == {"churn of an account the day's snapshot shows active": 1}
    # acc_00005 churns but was not active at the end of the day before (not in yesterday's snapshot at all).
    today = [*accounts(3), *accounts(1, 5, status="churned", licences=0)]
    e = audit_events(tmp_path / "inactive", [event("e", "acc_00005", "churn", **churn)], {D0: accounts(3), D1: today})[
        "events_plausible", D1]
    assert not e.passed and meta(e, "observed")["by_problem"] == {"churn of an account not active the day before": 1}
    # ... unless it was also new that day.
    new = event("n", "acc_00005", "new", licences_before=0, mrr_before_usd=0.0, event_ts=f"{D1}T08:00:00Z")
    e = audit_events(tmp_path / "new", [new, event("e", "acc_00005", "churn", **churn)], {D0: accounts(3), D1: today})[
        "events_plausible", D1]
    assert e.passed, e.description
