"""Growth staging and outputs on the hand-built landing zone (see fixtures/profit_growth_scenario.py).

Expected numbers are worked out by hand in the comments. EUR is 1.05 / 1.10 / 1.20 on D0 / D1 / D2.
"""

import pandas as pd
import pytest

from pipeline_ops.growth import compute
from pipeline_ops.lake.ops_log import read_ops_records
from pipeline_ops.lake.storage import Lake
from pipeline_ops_tests.fixtures.profit_growth_scenario import (
    D0, D1, D2, accounts, all_assets, build_landing, materialize, step_errors,
)

GROWTH_TABLES = ["stg_account_daily", "stg_subscription_events_usd", "growth_daily", "growth_aggregate"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("growth")
    zone = build_landing(root / "landing")
    for day in (D0, D1, D2):
        result = materialize(all_assets(), zone.url, str(root / "single"), partition=day, raise_on_error=False)
        assert result.success, step_errors(result)
    result = materialize(all_assets(), zone.url, str(root / "range"), start=D0, end=D2, raise_on_error=False)
    assert result.success, step_errors(result)
    return {"root": root, "zone": zone, "single": Lake(str(root / "single")), "range": Lake(str(root / "range"))}


def by_day(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index(frame["date"].dt.strftime("%Y-%m-%d"))


def test_account_daily_by_hand(env):
    got = env["single"].read("stg_account_daily", [D1]).set_index("account_id")
    assert list(got.index) == ["acc_1", "acc_2", "acc_3"]  # one row per account, churned acc_3 kept
    # acc_2: 200 EUR * 1.10 = 220.0 USD/month
    assert got["mrr_usd"].tolist() == pytest.approx([300.0, 220.0, 0.0])
    assert got["is_active"].tolist() == [True, True, False]
    assert got["exclude_from_investor"].tolist() == [False, False, True]
    assert pd.isna(got.loc["acc_1", "variant"]) and got.loc["acc_2", "variant"] == "control"


def test_subscription_events_by_hand(env):
    got = env["single"].read("stg_subscription_events_usd", [D1]).set_index("event_id")
    assert list(got.index) == ["ev_1", "ev_2"]  # ev_1's duplicate dropped
    # ev_1 upgrade: licences 5 -> 8 (+3); mrr (200 - 100) EUR * 1.10 = +110.0
    # ev_2 churn: licences 4 -> 0 (-4); mrr_before 160 USD; delta -160; acc_3's exclusion carried over
    assert got["licence_delta"].tolist() == [3, -4]
    assert got["mrr_delta_usd"].tolist() == pytest.approx([110.0, -160.0])
    assert got.loc["ev_2", "mrr_before_usd"] == 160.0 and bool(got.loc["ev_2", "exclude_from_investor"])


def test_growth_daily_by_hand(env):
    got = env["single"].read("growth_daily", [D1, D2])
    got = got.set_index([got["date"].dt.strftime("%Y-%m-%d"), "experiment_id", "variant"])
    cols = ["new_accounts", "churned_accounts", "net_new_accounts", "net_licence_adds", "new_mrr_usd", "expansion_mrr_usd",
            "contraction_mrr_usd", "churned_mrr_usd", "net_new_mrr_usd", "active_accounts", "licences", "mrr_usd"]
    expected = {
        # D1 onboarding/control = acc_2: upgrade +3 licences, +110 expansion; end of day 8 licences, 220 USD
        (D1, "exp_onboarding", "control"): [0, 0, 0, 3, 0, 110, 0, 0, 110, 1, 8, 220],
        # D1 pricing/treatment = acc_3: churn -4 licences, churned mrr 160, net new -160; nothing active
        (D1, "exp_pricing", "treatment"): [0, 1, -1, -4, 0, 0, 0, 160, -160, 0, 0, 0],
        # D1 unassigned = acc_1: no events; 10 licences, 300 USD
        (D1, "none", "none"): [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 10, 300],
        # D2 onboarding/control = acc_2: no events; 200 EUR * 1.20 = 240
        (D2, "exp_onboarding", "control"): [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 8, 240],
        # D2 unassigned = acc_1 (licence_change 10 -> 9, 300 -> 270: contraction 30) + acc_4 (new, 2 licences, 30):
        # net licence adds -1 + 2 = 1; net new mrr 30 - 30 = 0; active 2, licences 9 + 2 = 11, mrr 270 + 30 = 300
        (D2, "none", "none"): [1, 0, 1, 1, 30, 0, 30, 0, 0, 2, 11, 300],
    }
    assert sorted(got.index) == sorted(expected)
    for key, values in expected.items():
        assert got.loc[key, cols].tolist() == pytest.approx(values), key


def test_growth_aggregate_by_hand(env):
    got = by_day(env["single"].read("growth_aggregate", [D0, D1, D2]))
    cols = ["new_accounts", "churned_accounts", "net_new_accounts", "net_licence_adds", "active_accounts", "licences",
            "mrr_usd", "net_new_mrr_usd", "mrr_growth_pct"]
    # D0: acc_3 excluded; mrr 300 + 100 EUR * 1.05 = 405; no events: growth 100 * 0 / 405 = 0
    # D1: acc_3's churn excluded; acc_2 upgrade +3 licences, +110; mrr 300 + 220 = 520;
    #     growth 100 * 110 / (520 - 110) = 26.8292...
    # D2: new acc_4 (+2, +30) and acc_1 licence_change (-1, -30); mrr 270 + 240 + 30 = 540; growth 0
    expected = {
        D0: [0, 0, 0, 0, 2, 15, 405, 0, 0],
        D1: [0, 0, 0, 3, 2, 18, 520, 110, 100 * 110 / 410],
        D2: [1, 0, 1, 1, 3, 19, 540, 0, 0],
    }
    for day, values in expected.items():
        assert got.loc[day, cols].tolist() == pytest.approx(values, abs=1e-6), day
    assert set(got["definition_version"]) == {"growth/1.0"}


def test_mrr_growth_pct_is_null_when_start_of_day_mrr_is_zero():
    day = pd.Timestamp(D1)
    acc = pd.DataFrame({"date": [day], "account_id": ["a"], "is_active": [True], "licences": [2], "mrr_usd": [30.0],
                        "experiment_id": [None], "variant": [None], "exclude_from_investor": [False]})
    ev = pd.DataFrame({"date": [day], "event_type": ["new"], "licence_delta": [2], "mrr_delta_usd": [30.0],
                       "mrr_before_usd": [0.0], "experiment_id": [None], "variant": [None], "exclude_from_investor": [False]})
    row = compute.growth_aggregate(acc, ev, [day.date()]).iloc[0]
    # the first account of all: mrr 30, net new 30, start-of-day mrr 30 - 30 = 0 -> null, not a division by zero
    assert row["mrr_usd"] == 30.0 and pd.isna(row["mrr_growth_pct"])


def test_duplicate_account_in_snapshot_fails_the_fan_out_guard(env, tmp_path):
    import shutil

    from pipeline_ops_tests.fixtures.landing_builder import LandingBuilder

    shutil.copytree(env["root"] / "landing", tmp_path / "landing")
    zone = LandingBuilder(tmp_path / "landing")
    zone.write("accounts", D1, [*accounts(D1), accounts(D1)[0]])
    result = materialize(all_assets(), zone.url, str(tmp_path / "lake"), partition=D1, raise_on_error=False)
    # The landing contract stops stg_account_daily before it reads the file, naming it ...
    assert "landing_accounts_contract [2025-03-02]: " in step_errors(result)
    assert "date=2025-03-02/accounts.csv: accounts: multiple_fields_uniqueness x2" in step_errors(result)
    assert not (tmp_path / "lake" / "stg_account_daily").exists()
    # ... and the fan-out guard behind it still refuses a repeated account.
    from pipeline_ops.growth.transform import stage_account_daily
    from pipeline_ops.landing.reader import LandingZone
    from pipeline_ops.staging.common import DataContractError

    raw = LandingZone(zone.url).read("accounts", [pd.Timestamp(D1).date()])
    with pytest.raises(DataContractError, match=r"accounts snapshot: 2 row\(s\) share a key that must be unique on \['date', 'account_id'\]"):
        stage_account_daily(raw, env["single"].read("stg_experiment_assignments", [D1]), env["single"].read("stg_fx_rates", [D1]))


def test_same_partition_twice_gives_same_checksum(env):
    lake = env["single"]
    assert materialize(all_assets(), env["zone"].url, lake.url, partition=D2).success
    ops = read_ops_records(lake)
    for table in GROWTH_TABLES:
        runs = ops[(ops["asset"] == table) & (ops["partition"] == D2)]
        assert len(runs) == 2 and runs["checksum"].nunique() == 1 and runs["rows_out"].nunique() == 1, table
        assert len(lake.read(table, [D2])) == runs["rows_out"].iloc[0], table


def test_three_day_backfill_in_one_run_equals_three_single_runs(env):
    single_ops, range_ops = read_ops_records(env["single"]), read_ops_records(env["range"])
    for table in GROWTH_TABLES:
        for day in (D0, D1, D2):
            pick = lambda ops: ops[(ops["asset"] == table) & (ops["partition"] == day)]["checksum"].iloc[0]  # noqa: E731
            assert pick(single_ops) == pick(range_ops), (table, day)  # identical rows, bit for bit
