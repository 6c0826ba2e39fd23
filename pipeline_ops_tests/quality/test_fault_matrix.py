"""The fault matrix: every catalogued data and config fault, generated on top of clean data, fails
its expected checks on the right partition, and no other check fails.

Cost is bounded: one clean landing zone (36 days at scale 0.1, ~5 s), one single-run backfill of
every daily asset over 35 days, one clean control day, then per fault only the assets downstream
of what it changes, for one day, on a copy of the control lake (see fault_matrix.py). One Spark
session (the `spark` fixture) serves every run. The table of results is printed at the end of the
session (and written to $PIPELINE_OPS_FAULT_MATRIX_OUT when set).

Run: flock /tmp/po-spark.lock .venv/bin/python -m pytest -q pipeline_ops_tests/quality/test_fault_matrix.py
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline_ops.generate.faults import CATALOGUE
from pipeline_ops.lake.storage import Lake
from pipeline_ops_tests.quality import fault_matrix as fm

pytestmark = pytest.mark.spark


@dataclass
class Matrix:
    clean: Path
    control: Path
    control_obs: fm.Observation


@pytest.fixture(scope="module")
def matrix(spark, tmp_path_factory) -> Matrix:
    root = tmp_path_factory.mktemp("fault_matrix")
    clean = fm.clean_landing(root / "landing")
    history = root / "history"
    result = fm.materialize(fm.daily_assets(), clean, history, fm.START, fm.LAST - dt.timedelta(days=1))
    obs = fm.observe(result, clean, [])
    assert result.success and not obs.failed, (
        f"the clean history backfill {fm.START}..{fm.LAST - dt.timedelta(days=1)} must publish (a blocking failure on "
        f"clean data blocks the whole run): failed checks {obs.failed}; failed steps {obs.step_failures}")
    control = root / "control"
    shutil.copytree(history, control)
    result = fm.materialize(fm.daily_assets(), clean, control, fm.LAST)
    return Matrix(clean, control, fm.observe(result, clean, [fm.LAST]))


def test_clean_control_day_passes_every_check(matrix):
    from pipeline_ops.cli.faults import registered_checks

    obs = matrix.control_obs
    assert not obs.step_failures, obs.step_failures
    assert not obs.failed, obs.failed
    daily = {f"{c.asset_key.to_user_string()}.{c.name}" for a in fm.daily_assets() for c in a.check_specs}
    arrivals = {n for n in registered_checks() if n.startswith("landing/")}
    # Every check of every daily asset and every arrival check ran on the control day (a check that
    # never runs cannot pass).
    assert daily | arrivals <= obs.ran, sorted((daily | arrivals) - obs.ran)


# Faults no check catches yet, with why (strict: the test fails as soon as one is caught, so the list shrinks).
KNOWN_MISSES: set[str] = set()


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="known miss, see KNOWN_MISSES"))
    if n in KNOWN_MISSES else n for n in fm.MATRIX_FAULTS])
def test_fault_fails_its_checks_and_no_other(matrix, name, tmp_path, monkeypatch):
    fault = CATALOGUE[name]
    day = fm.LAST - dt.timedelta(days=fault.lag_days)
    if fault.kind == "data":
        (landing, seconds) = fm.timed(fm.faulty_landing, matrix.clean, tmp_path / "landing", fault, day)
        changed = fm.changed_files(matrix.clean, landing)
        assert changed, f"{name} changed nothing in the landing zone on {day}"
        assert {p.split("/")[0] for p in changed} <= set(fault.sources), sorted(changed)
        assert all(p.split("/")[1] >= f"date={day.replace(day=1) if 'salaries' in p else day}" for p in changed)
    else:
        landing, seconds = matrix.clean, 0.0
        monkeypatch.setenv("PIPELINE_OPS_CONFIG", str(fm.config_with(dict(fault.config), tmp_path / "config.yaml")))
    lake = tmp_path / "lake"
    shutil.copytree(matrix.control, lake)
    assets = fm.fault_assets(fault)
    # The fault's day arrives broken the first time: the assets it runs have not published it yet
    # (else every fault would also be a settled day restated, engagement_aggregate.settled_day_unchanged).
    store = Lake(str(lake))
    for key in {k.to_user_string() for a in assets for k in a.keys}:
        shutil.rmtree(store.partition_dir(key, fm.LAST.isoformat()), ignore_errors=True)
    result, run_seconds = fm.timed(fm.materialize, assets, landing, lake, fm.LAST)
    obs = fm.observe(result, landing, sorted({day, fm.LAST}))
    verdict = fm.judge(fault, obs, day, seconds + run_seconds)
    fm.RESULTS[name] = verdict
    assert not verdict.missed, f"{name}: expected check(s) did not fail on {day}: {verdict.missed}; failed: {obs.failed}"
    assert not verdict.guards_missed, f"{name}: step(s) did not fail closed: {verdict.guards_missed}"
    assert not verdict.false_alarms, f"{name}: other checks failed: {verdict.false_alarms}"
