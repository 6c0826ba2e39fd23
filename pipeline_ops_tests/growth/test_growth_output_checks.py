"""Checks of growth_daily and growth_aggregate, each on hand-made data that breaks it and data that does not.

The world (published upstream, worked out by hand):
  D0: a0..a59 active, 5 seats, 100 USD each (investor: 60 accounts, 300 seats, 6000 USD); x0, x1 excluded
      (exp_pricing), active, 10 seats, 500 USD.
  D1: a0 churned (event: 5 -> 0 seats, 100 -> 0); a60 new (0 -> 3 seats, 0 -> 60 USD); x0 upgrade 10 -> 12 seats,
      500 -> 600 (excluded). Investor D1: active 59 + 1 = 60, seats 59 x 5 + 3 = 298, MRR 5900 + 60 = 5960, new 1,
      churned 1, net licence adds 3 - 5 = -2, net new MRR 60 - 100 = -40,
      growth 100 x -40 / (5960 + 40) = -0.6667 %. Registered (non-excluded rows): 61.
"""

from __future__ import annotations

import dagster as dg
import pytest

from pipeline_ops_tests.growth.audit_harness import audit_days, failed, meta

AGG, DAILY = "growth_aggregate", "growth_daily"
D0, D1 = "2025-03-01", "2025-03-02"
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
X = {"experiment_id": "exp_pricing", "variant": "treatment", "exclude_from_investor": True}


def _acc(i, **kw):
    return {"account_id": f"a{i}", "licences": 5, "mrr": 100.0, "mrr_usd": 100.0, **kw}


ACCOUNTS = {
    D0: [*(_acc(i) for i in range(60)), *({"account_id": f"x{i}", "licences": 10, "mrr_usd": 500.0, **X} for i in range(2))],
    D1: [_acc(0, status="churned", licences=0, mrr=0.0, mrr_usd=0.0, is_active=False), *(_acc(i) for i in range(1, 60)),
         _acc(60, licences=3, mrr=60.0, mrr_usd=60.0), {"account_id": "x0", "licences": 12, "mrr_usd": 600.0, **X},
         {"account_id": "x1", "licences": 10, "mrr_usd": 500.0, **X}],
}
EVENTS = {D0: [], D1: [
    {"event_id": "e1", "account_id": "a0", "event_type": "churn", "licences_before": 5, "licences_after": 0,
     "licence_delta": -5, "mrr_before_usd": 100.0, "mrr_after_usd": 0.0, "mrr_delta_usd": -100.0},
    {"event_id": "e2", "account_id": "a60", "event_type": "new", "licences_before": 0, "licences_after": 3,
     "licence_delta": 3, "mrr_before_usd": 0.0, "mrr_after_usd": 60.0, "mrr_delta_usd": 60.0},
    {"event_id": "e3", "account_id": "x0", "event_type": "upgrade", "licences_before": 10, "licences_after": 12,
     "licence_delta": 2, "mrr_before_usd": 500.0, "mrr_after_usd": 600.0, "mrr_delta_usd": 100.0, **X},
]}
ASSIGNMENTS = {d: [{"experiment_id": "exp_pricing", "unit_id": f"x{i}", "variant": "treatment", "exclude_from_investor": True}
                   for i in range(2)] for d in (D0, D1)}
AGG_D0 = {"active_accounts": 60, "licences": 300, "mrr_usd": 6000.0, "mrr_growth_pct": 0.0}
AGG_D1 = {"new_accounts": 1, "churned_accounts": 1, "net_new_accounts": 0, "net_licence_adds": -2, "active_accounts": 60,
          "licences": 298, "mrr_usd": 5960.0, "net_new_mrr_usd": -40.0, "mrr_growth_pct": 100 * -40 / 6000}
UPSTREAM = {"stg_account_daily": ACCOUNTS, "stg_subscription_events_usd": EVENTS, "stg_experiment_assignments": ASSIGNMENTS}


def audit_aggregate(tmp_path, d1: dict | list[dict], upstream=UPSTREAM):
    rows = d1 if isinstance(d1, list) else [d1]
    return audit_days(tmp_path, AGG, {D0: [AGG_D0], D1: rows}, published=upstream)


def test_clean_aggregate_passes_every_check(tmp_path):
    evals = audit_aggregate(tmp_path, AGG_D1)
    assert not failed(evals), failed(evals)
    e = evals["experiment_excluded", D1]
    assert e.severity == ERROR and e.partition == D1
    assert meta(e, "observed")["excluded_active_accounts"] == 2 and meta(e, "observed")["excluded_events"] == 1
    p = meta(evals["plausibility", D1], "observed")
    assert p["registered_accounts"] == 61 and p["active_accounts_gap"] == 0 and p["licences_gap"] == 0
    assert "MRR (USD) 6000 -> 5960 (-0.7%)" in evals["growth_volume", D1].description


def test_excluded_traffic_in_investor_figures_fails(tmp_path):
    # x0 and x1 counted: active 62, seats 298 + 22 = 320, MRR 5960 + 1100 = 7060.
    leak = {**AGG_D1, "active_accounts": 62, "licences": 320, "mrr_usd": 7060.0, "mrr_growth_pct": 100 * -40 / 7100}
    evals = audit_aggregate(tmp_path, leak)
    e = evals["experiment_excluded", D1]
    assert not e.passed and e.severity == ERROR and e.partition == D1
    assert meta(e, "observed")["differences"]["active_accounts"] == {"published": 62, "without_excluded": 60}
    assert "active_accounts 62 published vs 60 without excluded accounts" in e.description
    assert "published_active" in meta(e, "sql")
    # The leak also shows elsewhere: 62 active > 61 registered non-excluded accounts and a licence gap of
    # 320 - 300 - (-2) = 22 > 2 (plausibility, ERROR); MRR +17.7 % overnight (growth_volume, WARN).
    assert {k: evals[k].severity for k in failed(evals)} == {
        ("experiment_excluded", D1): ERROR, ("plausibility", D1): ERROR, ("growth_volume", D1): WARN}


def test_flag_unlike_the_assignment_fails(tmp_path):
    # The assignments say x1 left exp_pricing, but stg_account_daily still flags it.
    upstream = {**UPSTREAM, "stg_experiment_assignments": {d: rows[:1] for d, rows in ASSIGNMENTS.items()}}
    e = audit_aggregate(tmp_path, AGG_D1, upstream)["experiment_excluded", D1]
    assert not e.passed and meta(e, "observed")["flags_disagreeing_with_assignments"] == 1
    assert meta(e, "sample") == [{"account_id": "x1", "account_flag": True, "assignment_flag": False}]


@pytest.mark.parametrize("change, problem", [
    ({"churned_accounts": -1, "net_new_accounts": 2}, "row: negative count"),
    ({"net_new_accounts": 3}, "row: net_new_accounts <> new - churned"),
    ({"new_accounts": 61, "net_new_accounts": 60}, "row: more new accounts than active accounts"),
    ({"mrr_growth_pct": float("nan")}, "row: mrr_growth_pct undefined or not its definition"),
    ({"mrr_growth_pct": None}, "row: mrr_growth_pct undefined or not its definition"),
    ({"active_accounts": 70}, "active_accounts moved +10 since 2025-03-01 but net_new_accounts = +0 (gap +10, bound 2)"),
    ({"licences": 350}, "licences moved +50 since 2025-03-01 but net_licence_adds = -2 (gap +52, bound 2)"),
    ({"churned_accounts": 61, "net_new_accounts": -60}, "61 churned > 60 active on 2025-03-01"),
], ids=["negative", "net-new", "new-gt-active", "growth-nan", "growth-null", "account-gap", "licence-gap", "churn-gt-active"])
def test_impossible_investor_figures_fail(tmp_path, change, problem):
    e = audit_aggregate(tmp_path, {**AGG_D1, **change})["plausibility", D1]
    assert not e.passed and e.severity == ERROR and e.partition == D1
    assert problem in e.description, e.description
    assert "change_in_active" in meta(e, "sql")


def test_active_above_registered_fails(tmp_path):
    # 61 registered accounts; 62 active is impossible (also a stock-flow gap of 2, within its bound).
    e = audit_aggregate(tmp_path, {**AGG_D1, "active_accounts": 62, "licences": 300})["plausibility", D1]
    assert "active_accounts 62 > 61 registered (non-excluded) accounts" in e.description


def test_negative_growth_is_plausible(tmp_path):
    # More churned than won is real life, not an error: 3 churned, 1 new, active 58, seats 288.
    upstream = {**UPSTREAM, "stg_account_daily": {D0: ACCOUNTS[D0], D1: [
        *ACCOUNTS[D1][:1], *(_acc(i, status="churned", licences=0, mrr=0.0, mrr_usd=0.0, is_active=False) for i in (1, 2)),
        *ACCOUNTS[D1][3:]]}}
    lost = {**AGG_D1, "churned_accounts": 3, "net_new_accounts": -2, "active_accounts": 58, "licences": 288,
            "net_licence_adds": -12, "mrr_usd": 5760.0, "net_new_mrr_usd": -240.0, "mrr_growth_pct": 100 * -240 / 6000}
    evals = audit_aggregate(tmp_path, lost, upstream)
    assert evals["plausibility", D1].passed, evals["plausibility", D1].description


def test_aggregate_contract_wants_one_row(tmp_path):
    e = audit_aggregate(tmp_path, [AGG_D1, AGG_D1])["contract", D1]
    assert not e.passed and e.severity == ERROR and "2 rows for 2025-03-02" in e.description


@pytest.mark.parametrize("mrr, severity", [(6500.0, None), (7000.0, WARN), (9000.0, ERROR)], ids=["+8%", "+17%", "+50%"])
def test_growth_volume(tmp_path, mrr, severity):
    # One day of history (no daily changes to judge noise against): the percent bounds alone apply.
    e = audit_aggregate(tmp_path, {**AGG_D1, "mrr_usd": mrr})["growth_volume", D1]
    assert e.passed is (severity is None), e.description
    if severity:
        assert e.severity == severity and "MRR (USD) 6000 -> " in e.description and "growth_aggregate" in meta(e, "sql")


# -- growth_daily (experiment-facing: failures are WARN and publish) ------------------------------

ARMS = [{"experiment_id": "none", "variant": "none", "active_accounts": 60, "licences": 298, "mrr_usd": 5960.0,
         "new_accounts": 1, "churned_accounts": 1, "net_new_accounts": 0, "new_mrr_usd": 60.0, "churned_mrr_usd": 100.0},
        {"experiment_id": "exp_pricing", "variant": "treatment", "active_accounts": 2, "licences": 22, "mrr_usd": 1100.0,
         "expansion_mrr_usd": 100.0, "net_new_mrr_usd": 100.0, "net_licence_adds": 2}]


def test_growth_daily_clean_passes(tmp_path):
    evals = audit_days(tmp_path, DAILY, {D1: ARMS})
    assert not failed(evals), failed(evals)
    assert evals["plausibility", D1].severity == WARN  # experiment-facing: never blocks


@pytest.mark.parametrize("change, problem", [
    ({"contraction_mrr_usd": -5.0}, "negative, NaN or infinite MRR"),
    ({"net_new_accounts": 1}, "net_new_accounts <> new - churned"),
    ({"licences": 1}, "fewer licences than active accounts"),
], ids=["negative-mrr", "net-new", "licences"])
def test_growth_daily_impossible_rows_warn(tmp_path, change, problem):
    e = audit_days(tmp_path, DAILY, {D1: [ARMS[0], {**ARMS[1], **change}]})["plausibility", D1]
    assert not e.passed and e.severity == WARN and e.partition == D1
    assert f"exp_pricing/treatment: {problem}" in e.description and len(meta(e, "sample")) == 1


def test_growth_daily_contract_repeated_arm_warns(tmp_path):
    e = audit_days(tmp_path, DAILY, {D1: [*ARMS, ARMS[1]]})["contract", D1]
    assert not e.passed and e.severity == WARN
