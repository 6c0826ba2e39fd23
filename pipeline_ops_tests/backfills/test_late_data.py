"""Experiment days rebuild themselves when landing data arrives late, within 7 days, never older.

The rule with plain values first; then the sensor on a real instance over the hand-made profit and
growth scenario: a late invoice for D1 of 31 USD paying for 31 days from D1 is worth exactly 1 USD
a day to acc_1, so the rebuilt profit_unit_level must show acc_1's revenue 1.00 USD higher on D1
and on D2 (which recognises it through its look-back), and D0 unchanged.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from pipeline_ops.backfills import sensor as late_sensor
from pipeline_ops.backfills.late_data import Rebuild, changed_folders, fingerprint, rebuilds, window
from pipeline_ops.definitions import defs
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops_tests.fixtures.profit_growth_scenario import D0, D1, D2, REVENUE, _doc, all_assets, build_landing

TODAY = dt.date(2025, 3, 5)  # D0..D2 are 4..2 days old: inside the 7-day window
READS = {"growth_daily": ["accounts", "experiment_assignments"], "profit_unit_level": ["accounts", "revenue"]}


def test_the_window_is_the_seven_days_before_today():
    assert window(TODAY)[0] == dt.date(2025, 2, 26) and window(TODAY)[-1] == dt.date(2025, 3, 4)
    assert len(window(TODAY)) == 7


def test_a_folder_seen_for_the_first_time_is_not_a_change():
    assert changed_folders({}, {"revenue": {D1: "a"}}) == []
    assert changed_folders({"revenue": {D1: "a"}}, {"revenue": {D1: "a", D2: "b"}}) == []
    assert changed_folders({"revenue": {D1: "absent"}}, {"revenue": {D1: "b"}}) == [("revenue", D1)]
    assert changed_folders({"revenue": {D1: "b"}}, {"revenue": {D1: "absent"}}) == []  # removed: not late data
    assert fingerprint([]) == "absent" != fingerprint([("x.csv", 10, "1")]) != fingerprint([("x.csv", 11, "1")])


@pytest.mark.parametrize(("changed", "built", "expected"), [
    # assignments of D1 are read by D1 and D2 of growth_daily; accounts by both outputs, that day only
    ([("experiment_assignments", D1)], {"growth_daily": [D0, D1, D2]}, [Rebuild("growth_daily", D1, D2, (f"experiment_assignments {D1}",))]),
    ([("accounts", D0)], {"growth_daily": [D0], "profit_unit_level": [D0, D1]},
     [Rebuild("growth_daily", D0, D0, (f"accounts {D0}",)), Rebuild("profit_unit_level", D0, D0, (f"accounts {D0}",))]),
    # a revenue day is recognised by every later day: all built window days from it on, one run
    ([("revenue", D0)], {"profit_unit_level": [D0, D1, D2, "2025-03-04"]},
     [Rebuild("profit_unit_level", D0, "2025-03-04", (f"revenue {D0}",))]),
    # only days already built; a gap splits the runs
    ([("accounts", D0), ("accounts", D2)], {"profit_unit_level": [D0, D2]},
     [Rebuild("profit_unit_level", D0, D0, (f"accounts {D0}",)), Rebuild("profit_unit_level", D2, D2, (f"accounts {D2}",))]),
    ([("accounts", D1)], {"profit_unit_level": [D0]}, []),
    # older than 7 days: never, even when built; today's day is not complete: never
    ([("accounts", "2025-02-25")], {"profit_unit_level": ["2025-02-25"]}, []),
    ([("accounts", "2025-03-05")], {"profit_unit_level": ["2025-03-05"]}, []),
    # a source no experiment output reads
    ([("click_events", D1)], {"profit_unit_level": [D1], "growth_daily": [D1]}, []),
])
def test_the_rule(changed, built, expected):
    assert rebuilds(changed, READS, built, TODAY) == expected


def test_the_run_key_follows_the_change():
    one = rebuilds([("accounts", D1)], READS, {"growth_daily": [D1]}, TODAY)[0]
    again = rebuilds([("accounts", D1)], READS, {"growth_daily": [D1]}, TODAY)[0]
    other = rebuilds([("accounts", D1), ("experiment_assignments", D1)], READS, {"growth_daily": [D1]}, TODAY)[0]
    assert one.run_key == again.run_key != other.run_key


def _tick(instance, zone, cursor):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                                      resources={"landing": LandingResource(url=zone.url)})
    return late_sensor.experiment_late_data_sensor(context)


def _revenue(lake: str, day: str) -> float:
    frame = LakeResource(url=lake).lake().read("profit_unit_level", [day])
    return float(frame.loc[frame["account_id"] == "acc_1", "revenue_usd"].iloc[0])


def test_a_late_invoice_rebuilds_the_unit_level_days_that_recognise_it(tmp_path, monkeypatch):
    monkeypatch.setattr(late_sensor, "_now", lambda: dt.datetime(2025, 3, 5, 6, tzinfo=dt.timezone.utc))
    zone, lake = build_landing(tmp_path / "landing"), str(tmp_path / "lake")
    instance = dg.DagsterInstance.ephemeral()
    resources = {"landing": LandingResource(url=zone.url), "lake": LakeResource(url=lake)}
    tags = {"dagster/asset_partition_range_start": D0, "dagster/asset_partition_range_end": D2}
    assert dg.materialize(all_assets(), instance=instance, resources=resources, tags=tags).success
    before = {d: _revenue(lake, d) for d in (D0, D1, D2)}

    first = _tick(instance, zone, None)
    assert first.run_requests == []  # the first look only records what is there
    assert _tick(instance, zone, first.cursor).run_requests == []  # nothing changed

    zone.write("revenue", D1, [*REVENUE[D1], _doc("inv_late", "acc_1", "invoice", D1, 12, 31, "USD", (D1, "2025-04-01"))])
    zone.write("accounts", "2025-02-20", [])  # older than the window: never rebuilt (and not read)
    late = _tick(instance, zone, first.cursor)
    assert [(r.job_name, r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"],
             r.tags[late_sensor.LATE_FOLDERS]) for r in late.run_requests] == [
        ("profit_unit_level_job", D1, D2, f"revenue {D1}")]
    assert _tick(instance, zone, late.cursor).run_requests == []  # reported once

    [request] = late.run_requests
    job = defs.resolve_job_def(request.job_name)
    assert job.execute_in_process(instance=instance, tags=request.tags, resources=resources).success
    after = {d: _revenue(lake, d) for d in (D0, D1, D2)}
    assert after[D0] == pytest.approx(before[D0], abs=1e-9)
    assert after[D1] == pytest.approx(before[D1] + 1.0, abs=1e-9)
    assert after[D2] == pytest.approx(before[D2] + 1.0, abs=1e-9)
