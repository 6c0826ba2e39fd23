"""Checks of stg_experiment_assignments, each on hand-made data that breaks it and data that does not.

Staged partitions are audited as the asset's publish would (see growth/audit_harness.py); expected
counts are worked out in the comments. Defaults: exclusion_drop_share 20 %, exclusion_min_units 5.
"""

from __future__ import annotations

import dagster as dg
import pytest

from pipeline_ops.config import current_config
from pipeline_ops.landing.reader import LandingZone
from pipeline_ops.lake.storage import Lake
from pipeline_ops.quality.landing import LandingContext
from pipeline_ops.quality.registry import quality_of
from pipeline_ops_tests.fixtures.landing_builder import LandingBuilder
from pipeline_ops_tests.growth.audit_harness import audit_days, failed, meta

ASSET = "stg_experiment_assignments"
D0, D1 = "2025-03-01", "2025-03-02"
ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def units(exp: str, n: int, excluded: bool, start: int = 0, unit_type: str = "account", **kw) -> list[dict]:
    prefix = "acc" if unit_type == "account" else "usr"
    return [{"experiment_id": exp, "unit_type": unit_type, "unit_id": f"{prefix}_{exp[-1]}{i:03d}",
             "exclude_from_investor": excluded, **kw} for i in range(start, start + n)]


# Yesterday: exp_a excluded (10 accounts), exp_b not excluded (4 accounts), exp_u excluded users (6).
YESTERDAY = [*units("exp_a", 10, True), *units("exp_b", 4, False), *units("exp_u", 6, True, unit_type="user")]


def check(evals, day=D1):
    return evals["exclusions_stable", day]


def test_stable_exclusions_pass_against_the_published_day(tmp_path):
    # Today: exp_a lost one unit to churn (carried with in_snapshot = false, still excluded) and gained a new
    # excluded one (9 + 1 = 10 in today's snapshot); exp_u unchanged: nothing dropped, 1 of 10 left (10 % <= 20 %).
    today = [*units("exp_a", 9, True, start=1), *units("exp_a", 1, True, in_snapshot=False),
             *units("exp_a", 1, True, start=50), *units("exp_b", 4, False), *units("exp_u", 6, True, unit_type="user")]
    evals = audit_days(tmp_path, ASSET, {D1: today}, published={ASSET: {D0: YESTERDAY}})
    assert not failed(evals), failed(evals)
    e = check(evals)
    assert e.passed and e.severity == ERROR and e.partition == D1  # investor path: blocking ERROR if it fails
    observed = meta(e, "observed")
    assert observed["exp_a"] == {"excluded_before": 10, "kept": 9, "left_snapshot": 1, "unflagged": 0, "units_today": 10}
    assert observed["exp_u"]["kept"] == 6 and "exp_b" not in observed  # exp_b never had exclusions


def test_first_day_without_a_previous_day_passes(tmp_path):
    e = check(audit_days(tmp_path, ASSET, {D1: YESTERDAY}))
    assert e.passed and "no assignments for 2025-03-01" in e.description


def test_flags_dropping_out_fail_on_the_day_with_the_units(tmp_path):
    # The fault experiment_exclusions_dropped: the whole snapshot of D1 says exclude_from_investor = false.
    # Both days staged in one run: D1 is compared with the staged D0.
    today = [{**r, "exclude_from_investor": False} for r in YESTERDAY]
    evals = audit_days(tmp_path, ASSET, {D0: YESTERDAY, D1: today})
    assert check(evals, D0).passed
    e = check(evals)
    assert not e.passed and e.severity == ERROR and e.partition == D1
    assert "exp_a: 10 unit(s) lost exclude_from_investor" in e.description
    assert "exp_u: 6 unit(s) lost exclude_from_investor" in e.description
    assert meta(e, "failing_count") == 16  # 10 + 6 units, each in the sample (<= 20)
    assert {s["unit_id"] for s in meta(e, "sample")} >= {"acc_a000", "usr_u005"}
    assert "pipeline-ops sql" in meta(e, "sql") and "2025-03-01" in meta(e, "sql")
    assert meta(e, "runbook").endswith("growth_daily.md#experiment-assignment-mismatch")


def test_one_unit_losing_its_flag_or_arriving_without_it_fails(tmp_path):
    flipped = [*units("exp_a", 1, False), *units("exp_a", 9, True, start=1), *units("exp_b", 4, False),
               *units("exp_u", 6, True, unit_type="user")]
    e = check(audit_days(tmp_path / "flip", ASSET, {D1: flipped}, published={ASSET: {D0: YESTERDAY}}))
    assert not e.passed and "exp_a: 1 unit(s) lost" in e.description
    assert meta(e, "sample") == [{"experiment_id": "exp_a", "unit_type": "account", "unit_id": "acc_a000", "fate": "unflagged"}]
    # A newcomer of the wholly excluded exp_u without the flag: its traffic would reach investors.
    newcomer = [*YESTERDAY, *units("exp_u", 1, False, start=99, unit_type="user")]
    e = check(audit_days(tmp_path / "new", ASSET, {D1: newcomer}, published={ASSET: {D0: YESTERDAY}}))
    assert not e.passed and e.severity == ERROR and "exp_u: 1 unit(s) lost" in e.description
    assert meta(e, "sample")[0]["fate"] == "unflagged newcomer"


def test_mass_departure_from_a_running_experiment_fails(tmp_path):
    # 6 of exp_a's 10 excluded units leave the snapshot (carried today) while 4 stay: 60 % > 20 % and 6 >= 5.
    today = [*units("exp_a", 4, True), *units("exp_a", 6, True, start=4, in_snapshot=False),
             *units("exp_b", 4, False), *units("exp_u", 6, True, unit_type="user")]
    e = check(audit_days(tmp_path, ASSET, {D1: today}, published={ASSET: {D0: YESTERDAY}}))
    assert not e.passed and e.severity == ERROR
    assert "exp_a: 6 of its 10 excluded units left the snapshot while it keeps running" in e.description


def test_few_departures_pass(tmp_path):
    # 4 of 10 left: 40 % > 20 % but fewer than exclusion_min_units (5): churn of a small experiment, not a drop.
    today = [*units("exp_a", 6, True), *units("exp_a", 4, True, start=6, in_snapshot=False),
             *units("exp_b", 4, False), *units("exp_u", 6, True, unit_type="user")]
    assert check(audit_days(tmp_path, ASSET, {D1: today}, published={ASSET: {D0: YESTERDAY}})).passed


def test_an_experiment_ending_warns_and_a_tiny_one_passes(tmp_path):
    # exp_a's 10 units all leave (none in today's snapshot): ended, or its rows dropped out: WARN (not blocking).
    today = [*units("exp_a", 10, True, in_snapshot=False), *units("exp_b", 4, False),
             *units("exp_u", 6, True, unit_type="user")]
    e = check(audit_days(tmp_path / "ended", ASSET, {D1: today}, published={ASSET: {D0: YESTERDAY}}))
    assert not e.passed and e.severity == WARN and "exp_a: all 10 excluded units left the snapshot" in e.description
    # The hand-made scenario's exp_pricing: its only account churns (1 < exclusion_min_units): passes.
    small = {D0: units("exp_p", 1, True)}
    e = check(audit_days(tmp_path / "small", ASSET, {D1: units("exp_p", 1, True, in_snapshot=False)}, published={ASSET: small}))
    assert e.passed


def test_contract_rejects_a_repeated_key_and_unknown_variant(tmp_path):
    assert check(audit_days(tmp_path / "ok", ASSET, {D1: YESTERDAY}), D1).passed
    bad = [*YESTERDAY, {**YESTERDAY[0], "variant": "treatment"}, {**YESTERDAY[1], "unit_id": "acc_x", "variant": "holdout"}]
    e = audit_days(tmp_path / "bad", ASSET, {D1: bad})["contract", D1]
    assert not e.passed and e.severity == ERROR and e.partition == D1
    counts = meta(e, "observed")["failures_by_column_check"]
    assert any("uniqueness" in k for k in counts) and any(k.startswith("variant") for k in counts)


def _landing_outcome(tmp_path, rows, day=D1):
    zone = LandingBuilder(tmp_path / "landing")
    zone.write("experiment_assignments", day, rows)
    check_def = next(c for c in quality_of(ASSET).checks if c.name == "landing_experiment_assignments_contract")
    ctx = LandingContext(LandingZone(zone.url), Lake(str(tmp_path / "lake")), current_config(), {})
    return check_def.evaluate(ctx, day)


@pytest.mark.parametrize("extra, level", [
    ({}, "pass"),  # an exact repeat (same arm and flag, another assigned_at) is dropped by the asset
    ({"variant": "treatment"}, "error"),  # the same unit in both arms of one experiment
    ({"exclude_from_investor": True}, "error"),  # two flags for one unit
], ids=["exact-repeat", "both-arms", "two-flags"])
def test_landing_contract_tolerates_exact_repeats_only(tmp_path, extra, level):
    row = {"experiment_id": "exp_a", "unit_type": "account", "unit_id": "acc_1", "variant": "control",
           "assigned_at": "2025-02-01T09:00:00Z", "exclude_from_investor": False}
    outcome = _landing_outcome(tmp_path, [row, {**row, "assigned_at": "2025-02-01T10:00:00Z", **extra}])
    assert outcome.level == level, outcome.summary
    if level == "error":
        assert "multiple_fields_uniqueness" in outcome.summary and len(outcome.sample) == 2
