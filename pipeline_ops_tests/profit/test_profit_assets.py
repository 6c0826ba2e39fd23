"""Profit staging and outputs on the hand-built landing zone (see fixtures/profit_growth_scenario.py).

Expected numbers are worked out by hand in the comments, never taken from the code under test.
Day D1 = 2025-03-02: EUR rate 1.10. Total cost = expenses 1000 + 50 EUR * 1.10 (= 55) = 1055
plus salaries 31000 USD / 31 (= 1000) + 6200 EUR / 31 * 1.10 (= 200 * 1.10 = 220) = 1220, so 2275.
"""

import shutil

import numpy as np
import pandas as pd
import pytest

from pipeline_ops.lake.ops_log import read_ops_records
from pipeline_ops.lake.storage import Lake
from pipeline_ops.profit import compute
from pipeline_ops.profit.staging import stg_revenue_usd
from pipeline_ops_tests.fixtures.profit_growth_scenario import (
    D0, D1, D2, all_assets, build_landing, fx, lake_snapshot, materialize, step_errors,
)

PROFIT_TABLES = ["stg_revenue_usd", "stg_costs_usd", "profit_unit_level", "profit_aggregate"]


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
    rev = env["single"].read("stg_revenue_usd", [D1]).set_index("invoice_id")["amount_usd"].sort_index()
    # inv_1 200 EUR * 1.10 = 220.0 (its duplicate dropped); ref_1 -50; inv_3 +160; ref_3 -40
    assert rev.to_dict() == pytest.approx({"inv_1": 220.0, "inv_3": 160.0, "ref_1": -50.0, "ref_3": -40.0})
    costs = env["single"].read("stg_costs_usd", [D1]).set_index("line_id")["amount_usd"]
    # exp_2 50 EUR * 1.10 = 55; engineering 31000 / 31 = 1000; sales 6200 EUR / 31 * 1.10 = 220
    assert costs.to_dict() == pytest.approx(
        {"exp_1": 1000.0, "exp_2": 55.0, "salary:2025-03:engineering": 1000.0, "salary:2025-03:sales": 220.0}
    )


def test_profit_unit_level_by_hand(env):
    got = env["single"].read("profit_unit_level", [D1]).set_index("account_id")
    assert list(got.index) == ["acc_1", "acc_2", "acc_3"]  # acc_3 churned but billed that day
    # active licences: acc_1 10 + acc_2 8 = 18 (acc_3 churned, 0)
    # acc_1: revenue -50 (refund); cost 2275 * 10 / 18 = 1263.888..; profit -1313.888..; per licence / 10
    # acc_2: revenue 220; cost 2275 * 8 / 18 = 1011.111..; profit -791.111..; per licence / 8
    # acc_3: revenue 160 - 40 = 120; no licences: cost 0, profit 120, per licence null
    assert got["revenue_usd"].tolist() == pytest.approx([-50.0, 220.0, 120.0])
    assert got["allocated_cost_usd"].tolist() == pytest.approx([2275 * 10 / 18, 2275 * 8 / 18, 0.0], abs=1e-6)
    assert got["profit_usd"].tolist() == pytest.approx([-50 - 2275 * 10 / 18, 220 - 2275 * 8 / 18, 120.0], abs=1e-6)
    assert got.loc["acc_1", "profit_per_licence_usd"] == pytest.approx((-50 - 2275 * 10 / 18) / 10, abs=1e-6)
    assert np.isnan(got.loc["acc_3", "profit_per_licence_usd"])
    assert got.loc["acc_2", ["experiment_id", "variant"]].tolist() == ["exp_onboarding", "control"]
    assert got.loc["acc_3", ["experiment_id", "variant"]].tolist() == ["exp_pricing", "treatment"]
    assert got["exclude_from_investor"].tolist() == [False, False, True]
    assert pd.isna(got.loc["acc_1", "experiment_id"]) and set(got["definition_version"]) == {"profit/1.0"}


def test_profit_aggregate_by_hand(env):
    got = env["single"].read("profit_aggregate", [D0, D1, D2])
    got = got.set_index(got["date"].dt.strftime("%Y-%m-%d"))
    d1 = got.loc[D1]
    # acc_3 is excluded (its D1 assignment is carried over from D0): revenue 220 - 50 = 170, refunds 50,
    # excluded 160 - 40 = 120; profit 170 - 1055 - 1220 = -2105; margin -2105 / 170
    assert d1[["revenue_usd", "refunds_usd", "excluded_revenue_usd", "expenses_usd", "salaries_usd", "profit_usd"]].tolist() == \
        pytest.approx([170.0, 50.0, 120.0, 1055.0, 1220.0, -2105.0])
    assert d1["profit_margin"] == pytest.approx(-2105 / 170)
    # active non-excluded: acc_1 (10) and acc_2 (8)
    assert (d1["active_accounts"], d1["licences"]) == (2, 18)
    assert d1["profit_per_account_usd"] == pytest.approx(-2105 / 2) and d1["profit_per_licence_usd"] == pytest.approx(-2105 / 18)
    # D0 (EUR 1.05): revenue 300; expenses 100; salaries 1000 + 200 * 1.05 = 1210; profit 300 - 100 - 1210 = -1010;
    # acc_3 (4 licences) is excluded: active 2, licences 10 + 5 = 15
    d0 = got.loc[D0]
    assert [d0["revenue_usd"], d0["salaries_usd"], d0["profit_usd"], d0["active_accounts"], d0["licences"]] == \
        pytest.approx([300.0, 1210.0, -1010.0, 2, 15])
    # D2 (EUR 1.20): revenue 30; expenses 120 * 1.2 = 144; salaries 1000 + 240 = 1240; profit -1354;
    # active acc_1 (9) + acc_2 (8) + acc_4 (2) = 19 licences
    d2 = got.loc[D2]
    assert [d2["expenses_usd"], d2["salaries_usd"], d2["profit_usd"], d2["profit_margin"], d2["licences"]] == \
        pytest.approx([144.0, 1240.0, -1354.0, -1354 / 30, 19])


def test_profit_margin_and_ratios_are_null_when_denominators_are_zero():
    day = pd.Timestamp(D1)
    accounts = pd.DataFrame({"date": [day], "account_id": ["a"], "plan": ["starter"], "region": ["NA"], "licences": [0],
                             "is_active": [False], "experiment_id": [None], "variant": [None], "exclude_from_investor": [False]})
    revenue = pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "account_id": pd.Series([], dtype=str),
                            "invoice_id": pd.Series([], dtype=str), "kind": pd.Series([], dtype=str),
                            "amount_usd": pd.Series([], dtype=float)})
    costs = pd.DataFrame({"date": [day], "source": ["expense"], "amount_usd": [10.0]})
    row = compute.profit_aggregate(accounts, revenue, costs, [day.date()]).iloc[0]
    # revenue 0, no active accounts, no licences: profit -10 and every ratio null (no division by zero)
    assert row["profit_usd"] == -10.0
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
    assert "LandingError" in errors and f"revenue/date={D1}/invoices.csv: column 'amount': expected float64" in errors
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
