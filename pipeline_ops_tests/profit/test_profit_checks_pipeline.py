"""The profit checks inside real runs on the hand-built landing zone (fixtures/profit_growth_scenario.py).

Clean: every profit check runs on every day of a single-run backfill D0..D2 and passes. Broken:
corruptions written by hand into a copy of the landing zone fail the check named for them, on the
right partition, with the runbook section attached; on the investor path the partition is not
published and downstream assets are skipped.
"""

from __future__ import annotations

import shutil

import pytest

from pipeline_ops.profit.staging import stg_costs_usd, stg_revenue_usd
from pipeline_ops.quality.registry import quality_of
from pipeline_ops_tests.fixtures.landing_builder import LandingBuilder
from pipeline_ops_tests.fixtures.profit_growth_scenario import (
    D0, D1, D2, EXPENSES, REVENUE, SALARIES, all_assets, build_landing, lake_snapshot, materialize, step_errors,
)

PROFIT_ASSETS = ("stg_revenue_usd", "stg_costs_usd", "profit_unit_level", "profit_aggregate")


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("profit_checks")
    zone = build_landing(root / "landing")
    result = materialize(all_assets(), zone.url, str(root / "lake"), start=D0, end=D2, raise_on_error=False)
    assert result.success, step_errors(result)
    return {"root": root, "zone": zone, "result": result}


def _evaluations(result, asset: str | None = None):
    return [e for e in result.get_asset_check_evaluations()
            if e.asset_key.to_user_string() in (PROFIT_ASSETS if asset is None else (asset,))]


def test_every_profit_check_runs_and_passes_on_each_clean_day(clean):
    got = {(e.asset_key.to_user_string(), e.check_name, e.partition): e for e in _evaluations(clean["result"])}
    expected = {(a, c.name, d) for a in PROFIT_ASSETS for c in quality_of(a).checks
                for d in (D0, D1, D2) if not c.lag_days}  # accuracy_drift judges days published before a run
    assert expected <= set(got), sorted(expected - set(got))
    failed = {k: e.description for k, e in got.items() if not e.passed}
    assert not failed, failed
    # D1 landed 5 revenue rows, one an exact re-delivery of inv_1: dropped by staging, counted, not a duplicate
    dup = got[("stg_revenue_usd", "duplicate_documents", D1)].metadata["observed"].value
    assert (dup["landed_rows"], dup["documents"], dup["dropped_as_same_invoice_id"], dup["duplicates_with_new_ids"]) == (5, 4, 1, 0)
    # D2: acc_4 signed up (not in D1's snapshot) and was billed: 1 of 1 expected account
    billed = got[("stg_revenue_usd", "accounts_billed_complete", D2)].metadata["observed"].value
    assert (billed["expected_accounts"], billed["sign_ups"], billed["completeness"]) == (1, 1, 1.0)
    # D1 cost allocation: 2275 USD over 18 active licences (see test_profit_assets.py)
    alloc = got[("profit_unit_level", "cost_allocation_balanced", D1)].metadata["observed"].value
    assert alloc["total_cost_usd"] == pytest.approx(2275) and alloc["active_licences"] == 18


def _copy(clean, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(clean["zone"].root, landing)
    lake = tmp_path / "lake"
    shutil.copytree(clean["root"] / "lake", lake)
    return LandingBuilder(landing), lake


def _failed(result, asset):
    return {(e.check_name, e.partition): e for e in _evaluations(result, asset) if not e.passed}


def test_duplicated_document_under_a_new_id_blocks_the_day(clean, tmp_path):
    zone, lake = _copy(clean, tmp_path)
    copy = dict(REVENUE[D1][0], invoice_id="inv_1_again")  # inv_1 re-issued by a re-run export
    zone.write("revenue", D1, [*REVENUE[D1], copy])
    blocked = ("stg_revenue_usd", "stg_revenue_recognised", "profit_unit_level", "profit_aggregate")
    snapshot = lambda: {k: v for k, v in lake_snapshot(lake).items() if k.split("/")[0] in blocked}
    before = snapshot()
    result = materialize(all_assets(), zone.url, str(lake), partition=D1, raise_on_error=False)
    failed = _failed(result, "stg_revenue_usd")
    assert set(failed) == {("duplicate_documents", D1)}, failed
    e = failed[("duplicate_documents", D1)]
    assert e.severity.value == "ERROR" and e.metadata["runbook"].value.endswith("profit_aggregate.md#duplicate-records")
    assert e.metadata["sample"].value[0]["invoice_ids"] == ["inv_1", "inv_1_again"]
    # the revenue day and everything downstream of it keep their published D1 byte for byte (other
    # assets of the run, e.g. growth, publish as usual), and the downstream steps were skipped
    assert before and snapshot() == before
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert not materialized & set(blocked)


@pytest.mark.parametrize("source, rows, asset, check, section", [
    ("revenue", [dict(r, discount="0.1") for r in REVENUE[D1]], stg_revenue_usd, "landing_revenue_contract", "schema-drift"),
    ("expenses", [dict(EXPENSES[D1][0], amount="12,50"), *EXPENSES[D1][1:]], stg_costs_usd, "landing_expenses_contract",
     "schema-drift"),
    ("salaries", [*SALARIES, dict(SALARIES[0], team="data_platform")], stg_costs_usd, "landing_salaries_contract",
     "cost-allocation-change"),
])
def test_landing_contracts_stop_the_step_before_reading(clean, tmp_path, source, rows, asset, check, section):
    zone, lake = _copy(clean, tmp_path)
    path = zone.write(source, D0 if source == "salaries" else D1, rows)
    raw = path.read_bytes()
    before = lake_snapshot(lake)
    result = materialize([asset], zone.url, str(lake), partition=D1, raise_on_error=False)
    assert not result.success
    failed = _failed(result, asset.key.to_user_string())
    assert set(failed) == {(check, D1)}, failed
    e = failed[(check, D1)]
    assert e.severity.value == "ERROR" and e.metadata["runbook"].value.endswith(f"profit_aggregate.md#{section}")
    assert str(path.parent) in e.description or path.name in e.description
    assert path.read_bytes() == raw and lake_snapshot(lake) == before
