"""The growth and assignment checks inside real runs: quiet on clean data, blocking on a broken day.

- The hand-made scenario (fixtures/profit_growth_scenario.py), day by day and as one backfill: every
  check of the five assets passes (3 accounts, an experiment whose only unit churns, a duplicate
  event re-delivered under its own id, an exact repeat in the assignments snapshot).
- A generated clean landing zone (35 days at scale 0.3, one single-run backfill): no check fails.
- A company re-created under a new account_id in the day's snapshot: duplicate_accounts fails with
  ERROR on that day, nothing of stg_account_daily is published and growth_aggregate is skipped.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from pipeline_ops import growth, staging
from pipeline_ops.generate import generate_landing
from pipeline_ops_tests.fixtures.profit_growth_scenario import (
    D0, D1, D2, accounts, build_landing, lake_snapshot, materialize, step_errors,
)

ASSETS = [*staging.ASSETS, *growth.ASSETS]
MINE = {"stg_experiment_assignments", "stg_account_daily", "stg_subscription_events_usd", "growth_daily", "growth_aggregate"}


def mine(result) -> list[dg.AssetCheckEvaluation]:
    return [e for e in result.get_asset_check_evaluations() if e.asset_key.to_user_string() in MINE]


def not_passing(result) -> dict[str, str]:
    return {f"{e.asset_key.to_user_string()}.{e.check_name}@{e.partition}": f"{e.severity.value}: {e.description}"
            for e in mine(result) if not e.passed}


def test_hand_made_scenario_passes_every_check(tmp_path):
    zone = build_landing(tmp_path / "landing")
    for day in (D0, D1, D2):
        result = materialize(ASSETS, zone.url, str(tmp_path / "single"), partition=day, raise_on_error=False)
        assert result.success and not not_passing(result), (step_errors(result), not_passing(result))
    result = materialize(ASSETS, zone.url, str(tmp_path / "range"), start=D0, end=D2, raise_on_error=False)
    assert result.success and not not_passing(result), not_passing(result)
    # 18 checks (3 + 5 + 4 + 2 + 4, three of them landing-phase) on each of the 3 days.
    assert len(mine(result)) == 18 * 3 and {e.partition for e in mine(result)} == {D0, D1, D2}


def test_generated_clean_days_pass_every_check(tmp_path):
    start, days = dt.date(2025, 1, 1), 35
    generate_landing(str(tmp_path / "landing"), start, days, scale=0.3, seed=11,
                     sources=["accounts", "subscription_events", "fx_rates", "experiment_assignments"])
    last = (start + dt.timedelta(days=days - 1)).isoformat()
    result = materialize(ASSETS, str(tmp_path / "landing"), str(tmp_path / "lake"), start=start.isoformat(), end=last,
                         raise_on_error=False)
    assert result.success, step_errors(result)
    assert len(mine(result)) == 18 * days
    assert not not_passing(result), not_passing(result)


def test_duplicate_company_blocks_the_day_and_growth_downstream(tmp_path):
    zone = build_landing(tmp_path / "landing")
    lake = tmp_path / "lake"
    assert materialize(ASSETS, zone.url, str(lake), partition=D0).success
    before = lake_snapshot(lake)
    copy = {**accounts(D1)[0], "account_id": "acc_9"}  # acc_1 Ltd again, same signup time, new id
    zone.write("accounts", D1, [*accounts(D1), copy])
    result = materialize(ASSETS, zone.url, str(lake), partition=D1, raise_on_error=False)
    assert not result.success
    bad = {f"{e.asset_key.to_user_string()}.{e.check_name}": e for e in mine(result) if not e.passed}
    assert set(bad) == {"stg_account_daily.duplicate_accounts"}, not_passing(result)
    e = bad["stg_account_daily.duplicate_accounts"]
    assert e.severity == dg.AssetCheckSeverity.ERROR and e.partition == D1 and e.blocking
    assert e.metadata["sample"].data == [{"account_name": "acc_1 Ltd", "created_at": "2024-06-01 10:00:00+00",
                                          "account_ids": ["acc_1", "acc_9"]}]
    assert e.metadata["runbook"].value.endswith("growth_aggregate.md#duplicate-accounts")
    assert "1 blocking check result(s) failed; nothing of this run was published" in step_errors(result)
    # Nothing of D1 reached the lake for the accounts or the aggregate (the assignments and rates of D1 did).
    after = lake_snapshot(lake)
    assert not [p for p in set(after) - set(before) if p.startswith(("stg_account_daily/", "growth_"))]
    assert {k: v for k, v in after.items() if k in before and not k.startswith("ops")} == \
        {k: v for k, v in before.items() if not k.startswith("ops")}
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert "stg_account_daily" in started and not {"growth_aggregate", "growth_daily"} & started  # downstream skipped
