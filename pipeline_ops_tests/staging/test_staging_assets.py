"""stg_fx_rates and stg_experiment_assignments on the hand-built landing zone, and how they fail."""

import pandas as pd
import pytest

from pipeline_ops.lake.storage import Lake
from pipeline_ops.staging import ASSETS as STAGING
from pipeline_ops.staging.assets import stg_fx_rates
from pipeline_ops_tests.fixtures.profit_growth_scenario import (
    D0, D1, build_landing, fx, lake_snapshot, materialize, step_errors,
)


@pytest.fixture()
def zone(tmp_path):
    return build_landing(tmp_path / "landing")


def run(zone, tmp_path, day=D1, assets=STAGING):
    return materialize(assets, zone.url, str(tmp_path / "lake"), partition=day, raise_on_error=False)


def test_fx_rates_and_assignments_by_hand(zone, tmp_path):
    result = run(zone, tmp_path)
    assert result.success, step_errors(result)
    lake = Lake(str(tmp_path / "lake"))
    rates = lake.read("stg_fx_rates", [D1]).set_index("currency")["usd_per_unit"]
    assert len(rates) == 6 and rates["EUR"] == pytest.approx(1.10) and rates["USD"] == 1.0
    got = lake.read("stg_experiment_assignments", [D1]).set_index("unit_id")
    # D1 snapshot: acc_2 (twice, deduplicated) and usr_1; acc_3 churned on D1 so it is only in D0's
    # snapshot and is carried over for D1 with in_snapshot = false, keeping its exclusion.
    assert sorted(got.index) == ["acc_2", "acc_3", "usr_1"]
    assert got.loc["acc_3", "experiment_id"] == "exp_pricing" and bool(got.loc["acc_3", "exclude_from_investor"])
    assert not got.loc["acc_3", "in_snapshot"] and got.loc["acc_2", "in_snapshot"]
    assert set(got["date"]) == {pd.Timestamp(D1)} and set(got["definition_version"]) == {"staging/1.0"}
    meta = result.asset_materializations_for_node("stg_experiment_assignments")[0].metadata
    assert meta["duplicates_dropped"].value == 1 and meta["carried_over"].value == 1


def _fx_without(currency):
    return [r for r in fx(D1) if r["currency"] != currency]


@pytest.mark.parametrize(
    "rows, expected",
    [
        (_fx_without("JPY"), r"fx_rates_complete \[2025-03-02\]: FX rates for 2025-03-02 in .*fx_rates\.csv: no rate for JPY"),
        ([{**r, "usd_per_unit": 0} if r["currency"] == "GBP" else r for r in fx(D1)], r"GBP rate 0 \(must be > 0\)"),
        ([{**r, "rate_date": D0} for r in fx(D1)], r"6 row\(s\) misaligned: rate_date \['2025-03-01'\] in the folder of 2025-03-02"),
        ([*fx(D1), fx(D1)[1]], r"landing_fx_rates_contract \[2025-03-02\]: .*fx_rates\.csv: fx_rates: multiple_fields_uniqueness"),
    ],
    ids=["missing-currency", "non-positive-rate", "misaligned-by-a-day", "duplicate"],
)
def test_fx_fails_closed_and_leaves_lake_untouched(zone, tmp_path, rows, expected):
    assert run(zone, tmp_path, D0).success  # something already in the lake
    before = lake_snapshot(tmp_path / "lake")
    zone.write("fx_rates", D1, rows)
    result = run(zone, tmp_path, assets=[stg_fx_rates])
    assert not result.success
    assert pd.Series([step_errors(result)]).str.contains(expected).all(), step_errors(result)
    assert lake_snapshot(tmp_path / "lake") == before
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed and {e.partition for e in failed} == {D1}
    assert all(e.metadata["runbook"].value.endswith("profit_aggregate.md#fx-rate-missing-or-misaligned") for e in failed)


def test_missing_fx_partition_names_the_folder(zone, tmp_path):
    zone.remove("fx_rates", D1)
    result = run(zone, tmp_path, assets=[stg_fx_rates])
    assert "fx_rates/date=2025-03-02: the landing partition has not arrived" in step_errors(result)
    assert lake_snapshot(tmp_path / "lake") == {}


def test_unit_in_two_experiments_of_one_unit_type_fails(zone, tmp_path):
    rows = zone.folder("experiment_assignments", D1) / "assignments.csv"
    rows.write_text(rows.read_text() + "exp_other,account,acc_2,treatment,2025-02-01T09:00:00Z,false\n")
    errors = step_errors(run(zone, tmp_path))
    assert "account acc_2 is in more than one account experiment on 2025-03-02: ['exp_onboarding', 'exp_other']" in errors


def test_conflicting_arms_in_one_experiment_fail(zone, tmp_path):
    import datetime as dt

    from pipeline_ops.landing.reader import LandingZone
    from pipeline_ops.staging.common import DataContractError
    from pipeline_ops.staging.transform import stage_assignments

    rows = zone.folder("experiment_assignments", D1) / "assignments.csv"
    rows.write_text(rows.read_text() + "exp_onboarding,account,acc_2,treatment,2025-02-01T09:00:00Z,false\n")
    # The landing contract stops the run before anything is read, naming the file (the exact repeat of
    # acc_2's control row in the hand-made D1 file is tolerated; the conflicting treatment row is not) ...
    errors = step_errors(run(zone, tmp_path))
    assert "landing_experiment_assignments_contract [2025-03-02]" in errors
    assert "date=2025-03-02/assignments.csv: experiment_assignments: multiple_fields_uniqueness x2" in errors
    # ... and staging's own guard still refuses the rows should they get past it.
    raw = LandingZone(zone.url).read("experiment_assignments", [dt.date(2025, 3, 1), dt.date(2025, 3, 2)])
    with pytest.raises(DataContractError, match="account acc_2 has conflicting assignments in experiment exp_onboarding"):
        stage_assignments(raw, [dt.date(2025, 3, 2)])


def test_missing_previous_snapshot_fails(zone, tmp_path):
    zone.remove("experiment_assignments", D0)
    assert "experiment_assignments/date=2025-03-01 does not exist" in step_errors(run(zone, tmp_path))


def test_the_landing_zones_first_day_builds_without_the_day_before(zone, tmp_path):
    from pipeline_ops_tests.fixtures.profit_growth_scenario import D_PREV

    zone.remove("experiment_assignments", D_PREV)
    zone.remove("experiment_assignments", D0)  # the zone's assignments now start at D1, after partitions_start
    result = run(zone, tmp_path)
    assert result.success, step_errors(result)
    got = Lake(str(tmp_path / "lake")).read("stg_experiment_assignments", [D1])
    # D1's snapshot alone: acc_2 (its duplicate row dropped) and usr_1; acc_3, which left during D1, is not known
    assert sorted(got["unit_id"]) == ["acc_2", "usr_1"] and got["in_snapshot"].all()
