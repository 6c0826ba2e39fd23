"""investor_monthly_report checks on a hand-made staged row over the February lake of test_report (no Spark).

The daily outputs are test_report's (every figure worked out there by hand); ROW is the report row
those give, as test_report_matches_hand_computation asserts it.
"""

from __future__ import annotations

import pandas as pd

from pipeline_ops.metrics.reporting import SCHEMA
from pipeline_ops_tests.engagement.audit_helpers import not_passing, run, stage
from pipeline_ops_tests.reporting.test_report import engagement, profit, write_lake

M = "2025-02"
ROW = {"days_in_month": 28, "revenue_usd": 2800.0, "billed_revenue_usd": 2810.0, "expenses_usd": 840.0,
       "salaries_usd": 560.0, "profit_usd": 1400.0, "profit_margin": 0.5, "active_accounts_end": 37, "new_accounts": 56,
       "churned_accounts": 28, "net_new_accounts": 28, "licences_end": 127, "mrr_end_usd": 1280.0,
       "net_new_mrr_usd": 280.0, "mrr_growth_pct": 28.0, "avg_dau": 150.0, "mau_end": 500, "stickiness": 0.3,
       "sessions_per_user": 2.0, "time_in_app_min_per_user": 12.0, "d7_retention": 0.5, "seat_utilisation": 0.5,
       "top_accounts_revenue_share": 6 / 7, "recognition_complete": True,
       "definition_version": "report/1.2 (engagement/1.0, growth/1.0, profit/2.0)"}


def audit_report(tmp_path, row: dict, **overrides):
    lake = write_lake(tmp_path / "lake", **overrides)
    results = run(lake, SCHEMA, stage(tmp_path, SCHEMA, {M: [row]}))
    return results, results[("ties_to_daily", M)]


def test_report_that_ties_passes_both_checks(tmp_path):
    results, out = audit_report(tmp_path, ROW)
    assert not_passing(results) == {}, out.summary
    assert out.observed["daily_rows"]["profit_aggregate"] == {"rows": 28, "days": 28}


def test_ties_to_daily_catches_a_fanned_out_day_in_the_roll_up(tmp_path):
    # The roll-up joined one day twice: revenue 2900 (+100) and profit 1450 (+50); the margin 1450 / 2900 = 0.5
    # happens to equal 1400 / 2800, so exactly two figures differ.
    _, out = audit_report(tmp_path, {**ROW, "revenue_usd": 2900.0, "profit_usd": 1450.0})
    assert out.level == "error" and out.failing_count == 2
    assert [(d["figure"], d["difference"]) for d in out.sample] == [("revenue_usd", 100.0), ("profit_usd", 50.0)]
    assert out.sql.startswith('pipeline-ops sql "')


def test_ties_to_daily_tolerances(tmp_path):
    _, cent = audit_report(tmp_path, {**ROW, "revenue_usd": 2800.004, "profit_usd": 1400.004})
    assert cent.level == "pass"  # within 0.01 USD
    _, off = audit_report(tmp_path / "off", {**ROW, "new_accounts": 57})
    assert off.level == "error" and off.sample == [{"figure": "new_accounts", "report": 57, "recomputed": 56,
                                                    "difference": 1}]


def test_ties_to_daily_catches_a_daily_table_with_two_rows_for_a_day(tmp_path):
    daily = engagement()
    doubled = pd.concat([daily, daily.iloc[[3]]], ignore_index=True)  # 2025-02-04 twice (dau 200)
    _, out = audit_report(tmp_path, ROW, engagement_aggregate=doubled)
    assert out.level == "error" and "engagement_aggregate: 29 rows over 28 of 28 days" in out.summary


def test_ties_to_daily_catches_inputs_changed_under_the_report(tmp_path):
    changed = profit()
    changed.loc[4, "expenses_usd"] = 70.0  # +40 expenses on Feb 5, re-run after the report was computed
    _, out = audit_report(tmp_path, ROW, profit_aggregate=changed)
    assert out.level == "error" and out.sample[0] == {"figure": "expenses_usd", "report": 840.0, "recomputed": 880.0,
                                                      "difference": -40.0}


def test_report_contract_stickiness_above_one(tmp_path):
    results, _ = audit_report(tmp_path, {**ROW, "stickiness": 1.3})
    assert results[("contract", M)].level == "error"
    assert results[("ties_to_daily", M)].level == "error"  # 1.3 is not 150 / 500 either
