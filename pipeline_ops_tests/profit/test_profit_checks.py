"""Checks of the profit staging assets on hand-made partitions (see checks_support.py).

Each check is shown failing on data made to break it and passing on data that does not; the
expected numbers are worked out by hand in the comments. Outcomes are asserted with the severity
Dagster records (stg_revenue_usd and stg_costs_usd are on the investor path: an ERROR blocks).
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline_ops.growth.schemas import ACCOUNT_DAILY
from pipeline_ops.lake.storage import Lake
from pipeline_ops.profit.schemas import COSTS_USD, REVENUE_USD
from pipeline_ops_tests.profit.checks_support import account, audit_rows, cost, doc, publish, severity

D = "2025-03-31"  # a Monday and a month end: the month-end billing run happens today
PREV = "2025-03-30"


@pytest.fixture
def lake(tmp_path) -> Lake:
    return Lake(str(tmp_path / "lake"))


# -- accounts_billed_complete and revenue_volume -------------------------------------------------
#
# Snapshots: a1 (MRR 100), a2 (300), a3 (50), a4 (70) active on both days; a5 churns on D;
# a6 is new on D (a sign-up, MRR 40).
# Documents before D (a2, a3, a4, a5 published; a1's of PREV is staged in the same run):
#   a2  issued 02-28 for Mar 1..Mar 31: the month-end run (issued the day before its period):
#       next invoice due on its period's last day, Mar 31 = D           -> due
#   a4  issued 03-01 for Mar 1..Mar 31 (bills on the 1st): next on Apr 1 -> not due (an edge: its
#       period also ends on D, but it is not billed in advance)
#   a3  issued 03-10 for Mar 10..Apr 9                                   -> not due
#   a5  issued 03-05 for Mar 5..Mar 30: would be due on D, but churned   -> not due
#   a1  issued 03-30 (PREV, same run) for Mar 30 only: next on Mar 31    -> due
# So on D: a1 and a2 renewals (MRR 100 + 300 = 400) and a6's sign-up: 3 accounts expected.
def _accounts_and_history(lake: Lake) -> None:
    snap = lambda d, churned: [account(d, "a1", 100), account(d, "a2", 300), account(d, "a3", 50), account(d, "a4", 70),
                               account(d, "a5", 80, active=not churned)]
    publish(lake, ACCOUNT_DAILY, snap(PREV, False) + snap(D, True) + [account(D, "a6", 40)])
    publish(lake, REVENUE_USD, [
        doc("2025-02-28", "inv_a2_feb", "a2", 300, "2025-03-01", "2025-03-31"),
        doc("2025-03-01", "inv_a4", "a4", 70, "2025-03-01", "2025-03-31"),
        doc("2025-03-05", "inv_a5", "a5", 80, "2025-03-05", "2025-03-30"),
        doc("2025-03-10", "inv_a3", "a3", 50, "2025-03-10", "2025-04-09"),
    ])


def _run_day(a1: float = 100, a2: float | None = 300) -> list[dict]:
    rows = [doc(PREV, "inv_a1_30", "a1", 100, PREV, PREV),
            doc(D, "inv_a1", "a1", a1, D, "2025-04-29"), doc(D, "inv_a6", "a6", 40, D, "2025-04-30", hour=9),
            doc(D, "ref_a3", "a3", 10, "2025-03-10", "2025-04-09", kind="refund", hour=12)]
    if a2 is not None:
        rows.append(doc(D, "inv_a2", "a2", a2, "2025-04-01", "2025-04-30", hour=3))
    return rows


def test_accounts_billed_complete_passes_when_every_due_account_is_billed(lake):
    _accounts_and_history(lake)
    got = audit_rows(lake, REVENUE_USD, _run_day(), "accounts_billed_complete")
    assert got[PREV].level == "pass" and got[PREV].observed["expected_accounts"] == 0  # nothing due on Mar 30
    out = got[D]
    assert out.level == "pass", out.summary
    assert out.observed.items() >= {"expected_accounts": 3, "billed_accounts": 3, "renewals_due": 2, "sign_ups": 1}.items()


def test_accounts_billed_complete_fails_on_a_missing_slice(lake):
    _accounts_and_history(lake)
    out = audit_rows(lake, REVENUE_USD, _run_day(a2=None), "accounts_billed_complete")[D]
    # a2's month-end invoice is missing: 2 of 3 expected accounts billed = 66.7 % < 99.5 %
    assert out.level == "error" and out.failing_count == 1
    assert out.observed["completeness"] == pytest.approx(2 / 3, abs=1e-5)
    assert out.observed["missing_mrr_usd"] == pytest.approx(300)
    assert [r["account_id"] for r in out.sample] == ["a2"] and out.sample[0]["why"] == "renewal"
    assert out.sql.startswith('pipeline-ops sql "') and "invoices = 0" in out.sql
    assert severity("stg_revenue_usd", "accounts_billed_complete", out) == (False, "ERROR", True)


def test_accounts_billed_complete_without_a_snapshot_expects_nothing(lake):
    out = audit_rows(lake, REVENUE_USD, _run_day(), "accounts_billed_complete")[D]
    assert out.level == "pass" and "no stg_account_daily snapshot" in out.summary


@pytest.mark.parametrize("a1, a2, level, change", [
    (100, 300, "pass", 0.0),              # 100 + 300 billed = MRR 400 due
    (145, 300, "warn", 45 / 400),         # 445 / 400 - 1 = +11.25 % > 10 %
    (100, 450, "error", 150 / 400),       # a2 restated x1.5: 550 / 400 - 1 = +37.5 % > 25 %
    (100, None, "error", -300 / 400),     # a2 missing: 100 / 400 - 1 = -75 %
])
def test_revenue_volume_compares_renewals_with_the_mrr_due(lake, a1, a2, level, change):
    _accounts_and_history(lake)
    out = audit_rows(lake, REVENUE_USD, _run_day(a1, a2), "revenue_volume")[D]
    assert out.level == level, out.summary
    assert out.observed["mrr_due_usd"] == pytest.approx(400) and out.observed["change"] == pytest.approx(change)
    if level != "pass":
        assert out.sample and out.sql
        assert severity("stg_revenue_usd", "revenue_volume", out)[1] == ("ERROR" if level == "error" else "WARN")


def test_revenue_volume_passes_without_renewals_due(lake):
    publish(lake, ACCOUNT_DAILY, [account(PREV, "a1"), account(D, "a1")])
    out = audit_rows(lake, REVENUE_USD, [doc(D, "inv_x", "a1", 5, D, D)], "revenue_volume")[D]
    assert out.level == "pass" and "no renewal due" in out.summary


# -- duplicate_documents ------------------------------------------------------------------------
def _docs(copy_hour: int) -> list[dict]:
    d = "2025-03-02"
    return [doc(d, "i1", "a1", 100, d, "2025-04-01"), doc(d, "i2", "a2", 200, d, "2025-04-01"),
            doc(d, "r1", "a1", 100, d, "2025-04-01", kind="refund"),  # same as i1 but a refund: not a copy
            doc(d, "i9", "a1", 100, d, "2025-04-01", hour=copy_hour)]


def test_duplicate_documents_finds_copies_under_new_ids(lake):
    out = audit_rows(lake, REVENUE_USD, _docs(copy_hour=2), "duplicate_documents")["2025-03-02"]
    # i9 repeats i1 (same account, kind, amount, currency, issued_at): 1 duplicate in 4 documents = 25 % > 0.1 %
    assert out.level == "error" and out.failing_count == 1
    assert out.observed["duplicate_rate"] == pytest.approx(0.25) and out.observed["overstated_usd"] == pytest.approx(100)
    assert out.sample[0]["invoice_ids"] == ["i1", "i9"] and out.sample[0]["copies"] == 2
    assert severity("stg_revenue_usd", "duplicate_documents", out) == (False, "ERROR", True)


def test_duplicate_documents_passes_distinct_documents(lake):
    out = audit_rows(lake, REVENUE_USD, _docs(copy_hour=9), "duplicate_documents")["2025-03-02"]
    assert out.level == "pass" and out.observed["duplicates_with_new_ids"] == 0


# -- contracts ---------------------------------------------------------------------------------
def test_revenue_contract(lake):
    good = [doc("2025-03-02", "i1", "a1", 100, "2025-03-02", "2025-04-01")]
    assert audit_rows(lake, REVENUE_USD, good, "contract")["2025-03-02"].level == "pass"
    bad = good + [doc("2025-03-02", "i1", "a2", 5, "2025-03-02", "2025-04-01") | {"kind": "credit", "currency": "XXX"}]
    out = audit_rows(lake, REVENUE_USD, bad, "contract")["2025-03-02"]
    assert out.level == "error"
    assert {k.split(":")[0] for k in out.observed["failures_by_column_check"]} >= {"kind", "currency"}


def test_costs_contract(lake):
    good = [cost("2025-03-02", "exp_1", 10.0), cost("2025-03-02", "salary:2025-03:engineering", 1000.0, source="salary")]
    assert audit_rows(lake, COSTS_USD, good, "contract")["2025-03-02"].level == "pass"
    out = audit_rows(lake, COSTS_USD, good + [cost("2025-03-02", "exp_2", -5.0)], "contract")["2025-03-02"]
    assert out.level == "error" and out.failing_count >= 1


# -- cost_volume --------------------------------------------------------------------------------
# Jan 1 .. Feb 12, 2025. Payroll: 1000 USD a day in January (31,000 / 31), 1100 in February
# (30,800 / 28: -0.6 % month on month). Expenses: 1000 on weekdays, 100 on weekends, times
# 1 + VAR[week] (week = days since Jan 1 // 7); the rent, 5000, on the 1st of each month.
VAR = [0.0, 0.10, -0.10, 0.05, -0.05, 0.0, 0.10]
START = dt.date(2025, 1, 1)


def _costs(last: str = "2025-02-12", spike: dict[str, float] | None = None, payroll_lines: dict[str, int] | None = None):
    rows, d = [], START
    while d <= dt.date.fromisoformat(last):
        k = d.isoformat()
        base = (1000 if d.weekday() < 5 else 100) * (1 + VAR[(d - START).days // 7])
        rows.append(cost(k, f"exp_{k}", base * (spike or {}).get(k, 1.0)))
        if d.day == 1:
            rows.append(cost(k, f"rent_{k}", 5000.0, category="office"))
        for i in range((payroll_lines or {}).get(k, 1)):
            rows.append(cost(k, f"salary:{k[:7]}:engineering{i}", 1000.0 if d.month == 1 else 1100.0, source="salary"))
        d += dt.timedelta(days=1)
    return rows


def test_cost_volume_quiet_on_the_calendar(lake):
    got = audit_rows(lake, COSTS_USD, _costs(), "cost_volume")
    assert [p for p, o in got.items() if o.level != "pass"] == []
    assert "static bound" in got["2025-01-01"].summary  # first day: no history
    # Feb 1 (Saturday): 100 x (1 + VAR[4] = 0.95) + rent 5000 + payroll 1100 = 6195 USD, about 5.6 x an
    # ordinary Saturday (~1100): the month reference carries Jan 1's excess over Wednesdays forward.
    feb1 = got["2025-02-01"].observed["total"]
    assert feb1["total_cost_usd"] == pytest.approx(6195) and feb1["closest"] == "same_day_previous_month"


@pytest.mark.parametrize("factor, level, total", [(2.6, "warn", 3700.0), (21.0, "error", 22100.0)])
def test_cost_volume_catches_gross_cost_errors(lake, factor, level, total):
    # Feb 11 (Tuesday, week 5: VAR 0): expenses 1000 x factor + payroll 1100. Previous Tuesdays:
    # Jan 7 2000, Jan 14 2100, Jan 21 1900, Jan 28 2050, Feb 4 950 + 1100 = 2050 -> median 2050.
    # x2.6: 3700 = +80 % (> cost_warn_pct 75 %): WARN; x21: 22,100 = +978 % (> cost_error_pct 900 %): ERROR.
    # The verdict holds against both references; the one reported is the milder: the month reference,
    # Jan 11 (1110) carried to the Tuesday level (+ 2050 - 1105, the Saturdays around it) = 2055.
    out = audit_rows(lake, COSTS_USD, _costs(spike={"2025-02-11": factor}), "cost_volume")["2025-02-11"]
    got = out.observed["total"]
    assert got["total_cost_usd"] == pytest.approx(total)
    assert out.level == level and got["change"] == pytest.approx(total / 2055 - 1, abs=1e-3)
    assert "stg_costs_usd" in out.sql and out.flag_metrics == ("total_cost_usd",)
    assert severity("stg_costs_usd", "cost_volume", out)[1] == ("ERROR" if level == "error" else "WARN")


def test_cost_volume_catches_payroll_counted_twice(lake):
    # Feb 11 carries the engineering payroll twice: monthly payroll 2 x 30,800 vs 30,800 the day before: +100 %
    out = audit_rows(lake, COSTS_USD, _costs(payroll_lines={"2025-02-11": 2}), "cost_volume")["2025-02-11"]
    assert out.level == "error" and out.summary.startswith("payroll: ")
    assert out.observed["payroll"]["payroll_change"] == pytest.approx(1.0)
    assert severity("stg_costs_usd", "cost_volume", out) == (False, "ERROR", True)
