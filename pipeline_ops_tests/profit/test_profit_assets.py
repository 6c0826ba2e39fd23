"""Profit staging and outputs on the hand-built landing zone (see fixtures/profit_growth_scenario.py).

Expected numbers are worked out by hand in the comments, never taken from the code under test.
Day D1 = 2025-03-02: EUR rate 1.10. Total cost = expenses 1000 + 50 EUR * 1.10 (= 55) = 1055
plus salaries 31000 USD / 31 (= 1000) + 6200 EUR / 31 * 1.10 (= 200 * 1.10 = 220) = 1220, so 2275.
Recognised revenue per account and day is worked out in the fixture's docstring (x/31 per day of
a 31-day period, 40/30 per day of ref_3's 30 days).
"""

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from pipeline_ops.lake.ops_log import read_ops_records
from pipeline_ops.lake.storage import Lake
from pipeline_ops.profit import compute
from pipeline_ops.profit.staging import stg_revenue_recognised, stg_revenue_usd
from pipeline_ops_tests.fixtures.profit_growth_scenario import (
    D0, D1, D2, all_assets, build_landing, fx, lake_snapshot, materialize, step_errors,
)

PROFIT_TABLES = ["stg_revenue_usd", "stg_revenue_recognised", "stg_costs_usd", "profit_unit_level", "profit_aggregate"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("profit")
    zone = build_landing(root / "landing")
    for day in (D0, D1, D2):
        result = materialize(all_assets(), zone.url, str(root / "single"), partition=day, raise_on_error=False)
        assert result.success, step_errors(result)
    result = materialize(all_assets(), zone.url, str(root / "range"), start=D0, end=D2, raise_on_error=False)
    assert result.success, step_errors(result)
    return {"root": root, "zone": zone, "single": Lake(str(root / "single")), "range": Lake(str(root / "range"))}


def test_revenue_and_costs_staged_by_hand(env):
    docs = env["single"].read("stg_revenue_usd", [D1]).set_index("invoice_id").sort_index()
    # inv_1 200 EUR * 1.10 = 220.0 (its duplicate dropped); ref_1 -50; inv_3 +160; ref_3 -40
    assert docs["amount_usd"].to_dict() == pytest.approx({"inv_1": 220.0, "inv_3": 160.0, "ref_1": -50.0, "ref_3": -40.0})
    # periods kept as delivered, inclusive: Mar 2..Apr 1 and all of March are 31 days, Mar 2..Mar 31 is 30
    assert docs["service_start"].dt.strftime("%m-%d").to_dict() == {"inv_1": "03-02", "inv_3": "03-01", "ref_1": "03-01", "ref_3": "03-02"}
    assert docs["service_end"].dt.strftime("%m-%d").to_dict() == {"inv_1": "04-01", "inv_3": "03-31", "ref_1": "03-31", "ref_3": "03-31"}
    assert docs["service_days"].to_dict() == {"inv_1": 31, "inv_3": 31, "ref_1": 31, "ref_3": 30}
    # acc_3 is in exp_pricing (exclude_from_investor) on its issue day D1, the others are not
    assert docs["exclude_from_investor"].to_dict() == {"inv_1": False, "inv_3": True, "ref_1": False, "ref_3": True}
    costs = env["single"].read("stg_costs_usd", [D1]).set_index("line_id")["amount_usd"]
    # exp_2 50 EUR * 1.10 = 55; engineering 31000 / 31 = 1000; sales 6200 EUR / 31 * 1.10 = 220
    assert costs.to_dict() == pytest.approx(
        {"exp_1": 1000.0, "exp_2": 55.0, "salary:2025-03:engineering": 1000.0, "salary:2025-03:sales": 220.0}
    )


def test_recognised_revenue_by_hand(env):
    got = env["single"].read("stg_revenue_recognised", [D0, D1, D2])
    got = got.set_index([got["date"].dt.strftime("%Y-%m-%d"), "account_id"])
    # see the fixture: acc_1 300/31, 200/31, 250/31; acc_2 220/31 twice; acc_3 320/31 - 4/3, 160/31 - 4/3; acc_4 30/31
    assert got["recognised_usd"].to_dict() == pytest.approx({
        (D0, "acc_1"): 300 / 31, (D1, "acc_1"): 200 / 31, (D1, "acc_2"): 220 / 31, (D1, "acc_3"): 320 / 31 - 4 / 3,
        (D2, "acc_1"): 250 / 31, (D2, "acc_2"): 220 / 31, (D2, "acc_3"): 160 / 31 - 4 / 3, (D2, "acc_4"): 30 / 31,
    })
    # acc_3's documents were issued while it was excluded: none of their revenue is investor revenue
    assert got["investor_recognised_usd"].to_dict() == pytest.approx({
        **got["recognised_usd"].to_dict(), (D1, "acc_3"): 0.0, (D2, "acc_3"): 0.0})
    # refunds as positive numbers: ref_1 2 x 50/31 on its issue day, then 50/31; ref_3 40/30 a day
    assert got.loc[(D1, "acc_1"), "recognised_refunds_usd"] == pytest.approx(100 / 31)
    assert got.loc[(D2, "acc_1"), "recognised_refunds_usd"] == pytest.approx(50 / 31)
    assert got.loc[(D2, "acc_3"), "recognised_refunds_usd"] == pytest.approx(4 / 3)
    assert got.loc[(D2, "acc_1"), "documents"] == 2 and got.loc[(D0, "acc_1"), "documents"] == 1
    # the lake's revenue history starts at D0: no day here can see documents issued before it
    assert not got["recognition_complete"].any()


def test_profit_unit_level_by_hand(env):
    got = env["single"].read("profit_unit_level", [D1]).set_index("account_id")
    assert list(got.index) == ["acc_1", "acc_2", "acc_3"]  # acc_3 churned but billed (and recognising) that day
    # active licences: acc_1 10 + acc_2 8 = 18 (acc_3 churned, 0)
    # acc_1: recognised 200/31; billed -50 (refund); cost 2275 * 10 / 18; profit 200/31 - 2275 * 10 / 18
    # acc_2: recognised 220/31; billed 220; cost 2275 * 8 / 18
    # acc_3: recognised 320/31 - 4/3; billed 160 - 40 = 120; no licences: cost 0, per licence null
    revenue = [200 / 31, 220 / 31, 320 / 31 - 4 / 3]
    assert got["revenue_usd"].tolist() == pytest.approx(revenue)
    assert got["billed_revenue_usd"].tolist() == pytest.approx([-50.0, 220.0, 120.0])
    assert got["allocated_cost_usd"].tolist() == pytest.approx([2275 * 10 / 18, 2275 * 8 / 18, 0.0], abs=1e-6)
    assert got["profit_usd"].tolist() == pytest.approx([revenue[0] - 2275 * 10 / 18, revenue[1] - 2275 * 8 / 18, revenue[2]], abs=1e-6)
    assert got.loc["acc_1", "profit_per_licence_usd"] == pytest.approx((200 / 31 - 2275 * 10 / 18) / 10, abs=1e-6)
    assert np.isnan(got.loc["acc_3", "profit_per_licence_usd"])
    assert got.loc["acc_2", ["experiment_id", "variant"]].tolist() == ["exp_onboarding", "control"]
    assert got.loc["acc_3", ["experiment_id", "variant"]].tolist() == ["exp_pricing", "treatment"]
    assert got["exclude_from_investor"].tolist() == [False, False, True]
    assert not got["recognition_complete"].any()
    assert pd.isna(got.loc["acc_1", "experiment_id"]) and set(got["definition_version"]) == {"profit/2.0"}
    # D2: acc_3 (churned, unassigned) still recognises 160/31 - 4/3 with no cost; acc_4 recognises 30/31
    d2 = env["single"].read("profit_unit_level", [D2]).set_index("account_id")
    assert d2["revenue_usd"].to_dict() == pytest.approx(
        {"acc_1": 250 / 31, "acc_2": 220 / 31, "acc_3": 160 / 31 - 4 / 3, "acc_4": 30 / 31})
    assert d2["billed_revenue_usd"].to_dict() == pytest.approx({"acc_1": 0.0, "acc_2": 0.0, "acc_3": 0.0, "acc_4": 30.0})


def test_profit_aggregate_by_hand(env):
    got = env["single"].read("profit_aggregate", [D0, D1, D2])
    got = got.set_index(got["date"].dt.strftime("%Y-%m-%d"))
    d1 = got.loc[D1]
    # acc_3's documents are excluded (its D1 assignment is carried over from D0): recognised 200/31 + 220/31
    # = 420/31; billed 220 - 50 = 170, refunds 50; excluded (recognised) 320/31 - 4/3;
    # profit 420/31 - 1055 - 1220 = 420/31 - 2275; margin (420/31 - 2275) / (420/31)
    profit = 420 / 31 - 2275
    assert d1[["revenue_usd", "billed_revenue_usd", "refunds_usd", "excluded_revenue_usd", "expenses_usd",
               "salaries_usd", "profit_usd"]].tolist() == \
        pytest.approx([420 / 31, 170.0, 50.0, 320 / 31 - 4 / 3, 1055.0, 1220.0, profit])
    assert d1["profit_margin"] == pytest.approx(profit / (420 / 31))
    # active non-excluded: acc_1 (10) and acc_2 (8)
    assert (d1["active_accounts"], d1["licences"]) == (2, 18)
    assert d1["profit_per_account_usd"] == pytest.approx(profit / 2) and d1["profit_per_licence_usd"] == pytest.approx(profit / 18)
    # D0 (EUR 1.05): recognised 300/31, billed 300; expenses 100; salaries 1000 + 200 * 1.05 = 1210;
    # profit 300/31 - 1310; acc_3 (4 licences) is excluded: active 2, licences 10 + 5 = 15
    d0 = got.loc[D0]
    assert [d0["revenue_usd"], d0["billed_revenue_usd"], d0["salaries_usd"], d0["profit_usd"], d0["active_accounts"],
            d0["licences"]] == pytest.approx([300 / 31, 300.0, 1210.0, 300 / 31 - 1310, 2, 15])
    # D2 (EUR 1.20): recognised 250/31 + 220/31 + 30/31 = 500/31 (acc_3's 160/31 - 4/3 excluded: its
    # documents were issued while excluded, although acc_3 is unassigned on D2); billed 30;
    # expenses 120 * 1.2 = 144; salaries 1000 + 240 = 1240; profit 500/31 - 1384;
    # active acc_1 (9) + acc_2 (8) + acc_4 (2) = 19 licences
    d2 = got.loc[D2]
    assert [d2["revenue_usd"], d2["billed_revenue_usd"], d2["excluded_revenue_usd"], d2["expenses_usd"], d2["salaries_usd"],
            d2["profit_usd"], d2["profit_margin"], d2["licences"]] == \
        pytest.approx([500 / 31, 30.0, 160 / 31 - 4 / 3, 144.0, 1240.0, 500 / 31 - 1384, (500 / 31 - 1384) / (500 / 31), 19])
    assert not got["recognition_complete"].any()
    # billed minus recognised over the three days is what was billed for days after D2 (or caught up):
    # billed 300 + 170 + 30 = 500 vs recognised (300 + 420 + 500)/31 = 1220/31
    assert got["billed_revenue_usd"].sum() == pytest.approx(500.0) and got["revenue_usd"].sum() == pytest.approx(1220 / 31)


def test_profit_margin_and_ratios_are_null_when_denominators_are_zero():
    day = pd.Timestamp(D1)
    accounts = pd.DataFrame({"date": [day], "account_id": ["a"], "plan": ["starter"], "region": ["NA"], "licences": [0],
                             "is_active": [False], "experiment_id": [None], "variant": [None], "exclude_from_investor": [False]})
    revenue = pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "account_id": pd.Series([], dtype=str),
                            "invoice_id": pd.Series([], dtype=str), "kind": pd.Series([], dtype=str),
                            "amount_usd": pd.Series([], dtype=float), "exclude_from_investor": pd.Series([], dtype=bool)})
    recognised = pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "account_id": pd.Series([], dtype=str),
                               "recognised_usd": pd.Series([], dtype=float), "investor_recognised_usd": pd.Series([], dtype=float),
                               "recognition_complete": pd.Series([], dtype=bool)})
    costs = pd.DataFrame({"date": [day], "source": ["expense"], "amount_usd": [10.0]})
    row = compute.profit_aggregate(accounts, revenue, recognised, costs, [day.date()], dt.date(2025, 1, 1)).iloc[0]
    # revenue 0, no active accounts, no licences: profit -10 and every ratio null (no division by zero);
    # no recognised rows: complete from the history (2025-03-02 - 31 days >= 2025-01-01)
    assert row["profit_usd"] == -10.0 and row["recognition_complete"]
    assert row[["profit_margin", "profit_per_account_usd", "profit_per_licence_usd"]].isna().all()


def test_same_partition_twice_gives_same_checksum_and_no_duplicates(env):
    lake = env["single"]
    rows_before = {t: len(lake.read(t, [D1])) for t in PROFIT_TABLES}
    assert materialize(all_assets(), env["zone"].url, lake.url, partition=D1).success
    ops = read_ops_records(lake)
    for table in PROFIT_TABLES:
        runs = ops[(ops["asset"] == table) & (ops["partition"] == D1)]
        assert len(runs) == 2 and runs["checksum"].nunique() == 1 and runs["rows_out"].nunique() == 1, table
        assert len(lake.read(table, [D1])) == rows_before[table] == runs["rows_out"].iloc[0], table
        assert len(list((env["root"] / "single" / table / f"date={D1}").iterdir())) == 1, table


def test_three_day_backfill_in_one_run_equals_three_single_runs(env):
    ops = read_ops_records(env["range"])
    assert ops.groupby("asset")["run_id"].nunique().eq(1).all()  # one run wrote every partition
    for table in PROFIT_TABLES:
        for day in (D0, D1, D2):
            single, ranged = (env[k].read(table, [day]) for k in ("single", "range"))
            key = [c for c in ("account_id", "invoice_id", "line_id") if c in single.columns]
            pd.testing.assert_frame_equal(
                single.sort_values(key or "date").reset_index(drop=True),
                ranged.sort_values(key or "date").reset_index(drop=True), check_exact=False, atol=1e-6,
            )


@pytest.fixture()
def copy(env, tmp_path):
    """A private landing + lake copy (lake already holding D0..D2) to break."""
    shutil.copytree(env["root"] / "landing", tmp_path / "landing")
    shutil.copytree(env["root"] / "single", tmp_path / "lake")
    return tmp_path


def test_non_numeric_amount_fails_naming_file_and_column_and_leaves_lake_untouched(copy):
    before = lake_snapshot(copy / "lake")
    path = copy / "landing" / "revenue" / f"date={D1}" / "invoices.csv"
    path.write_text(path.read_text().replace(",200,EUR", ",two hundred,EUR", 1))
    result = materialize([stg_revenue_usd], str(copy / "landing"), str(copy / "lake"), partition=D1, raise_on_error=False)
    errors = step_errors(result)
    # The landing contract stops the step before the reader parses the file, naming file and column.
    assert f"revenue/date={D1}/invoices.csv: " in errors and "amount: is_float64 x1" in errors
    assert lake_snapshot(copy / "lake") == before


@pytest.mark.parametrize("break_fx, expected", [
    (lambda zone: zone.remove("fx_rates", D1), f"fx_rates/date={D1}: the landing partition has not arrived"),
    (lambda zone: zone.write("fx_rates", D1, [r for r in fx(D1) if r["currency"] != "EUR"]),
     f"fx_rates_complete [{D1}]: FX rates for {D1} in"),
], ids=["missing-fx-partition", "missing-fx-currency"])
def test_bad_fx_fails_the_profit_run_and_leaves_lake_untouched(copy, break_fx, expected):
    from pipeline_ops_tests.fixtures.landing_builder import LandingBuilder

    before = lake_snapshot(copy / "lake")
    break_fx(LandingBuilder(copy / "landing"))
    # Everything except stg_experiment_assignments, which does not read FX and would rightly succeed.
    assets = [a for a in all_assets() if a.key.to_user_string() != "stg_experiment_assignments"]
    result = materialize(assets, str(copy / "landing"), str(copy / "lake"), partition=D1, raise_on_error=False)
    assert not result.success and expected in step_errors(result)
    assert lake_snapshot(copy / "lake") == before
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed and all(e.partition == D1 and e.asset_key.to_user_string() == "stg_fx_rates" for e in failed)


def test_missing_lookback_partition_fails_closed_naming_it_and_leaves_lake_untouched(copy):
    # The lake's revenue history starts at D0, so D2's look-back needs D0 and D1: D1 is gone.
    lake = Lake(str(copy / "lake"))
    lake.fs.rm(lake.partition_dir("stg_revenue_usd", D1), recursive=True)
    before = lake_snapshot(copy / "lake")
    result = materialize([stg_revenue_recognised], str(copy / "landing"), str(copy / "lake"), partition=D2,
                         raise_on_error=False)
    errors = step_errors(result)
    assert not result.success
    assert f"1 stg_revenue_usd partition(s) of the 31-day look-back are missing from the lake (first: ['{D1}'])" in errors
    assert "revenue history starts 2025-03-01" in errors
    assert lake_snapshot(copy / "lake") == before
