"""The fault hook: each shipped fault changes exactly what it says, nothing else."""

import datetime as dt

import pandas as pd
import pytest

from pipeline_ops.generate import generate_landing
from pipeline_ops.generate.faults import FAULTS, Fault, parse_fault
from pipeline_ops.landing.contract import SOURCES
from pipeline_ops.landing.reader import LandingError, LandingZone
from pipeline_ops_tests.generate.conftest import day_range, tree_bytes

START, DAYS, SCALE = dt.date(2025, 2, 3), 3, 0.02
LAST = START + dt.timedelta(days=DAYS - 1)
CLICK_DAYS = day_range(START, DAYS + 4)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    generate_landing(str(root), START, DAYS, scale=SCALE, seed=4)
    return root


def _with(tmp_path, *faults):
    root = tmp_path / "faulty"
    summary = generate_landing(str(root), START, DAYS, scale=SCALE, seed=4, faults=list(faults))
    return root, summary


def _diff(a, b) -> set[str]:
    ta, tb = tree_bytes(a), tree_bytes(b)
    return {k for k in ta.keys() | tb.keys() if ta.get(k) != tb.get(k)}


def test_registry_is_well_formed():
    assert {"missing_fx_partition", "duplicate_click_deliveries", "late_partition"} <= set(FAULTS)
    for name, fault in FAULTS.items():
        assert isinstance(fault, Fault) and fault.name == name and fault.description
        assert set(fault.sources) <= set(SOURCES)
    assert parse_fault("late_partition", START, LAST)[1] == LAST
    assert parse_fault(f"late_partition@{START}", START, LAST)[1] == START
    with pytest.raises(ValueError, match="unknown fault"):
        parse_fault("nope", START, LAST)
    with pytest.raises(ValueError, match="outside"):
        parse_fault("late_partition@2030-01-01", START, LAST)


def test_missing_fx_partition_removes_only_that_folder(clean, tmp_path):
    root, summary = _with(tmp_path, f"missing_fx_partition@{START}")
    assert _diff(clean, root) == {f"fx_rates/date={START}/fx_rates.csv"}
    assert summary.withheld == [f"fx_rates/date={START}"]
    with pytest.raises(LandingError, match="missing landing partition"):
        LandingZone(str(root)).read("fx_rates", [START])
    # Re-running without the fault restores it; re-running with it removes it again (deterministic re-runs).
    generate_landing(str(root), START, DAYS, scale=SCALE, seed=4)
    assert _diff(clean, root) == set()


def test_duplicate_click_deliveries_adds_twenty_percent_redeliveries_of_that_day(clean, tmp_path):
    root, _ = _with(tmp_path, "duplicate_click_deliveries")  # no date: the last day
    assert {p.split("/")[0] for p in _diff(clean, root)} == {"click_events"}
    before = LandingZone(str(clean)).read("click_events", CLICK_DAYS, required=False)
    after = LandingZone(str(root)).read("click_events", CLICK_DAYS, required=False)
    assert set(before["event_id"]) == set(after["event_id"])
    extra = len(after) - len(before)
    of_day = before[before["event_ts"].dt.date == LAST]["event_id"].nunique()
    assert 0.15 * of_day < extra < 0.25 * of_day
    counts_before, counts_after = before.groupby("event_id").size(), after.groupby("event_id").size()
    grew = counts_after[counts_after > counts_before.reindex(counts_after.index)].index
    assert all(e.startswith(f"evt_{LAST:%Y%m%d}_") for e in grew)
    assert not after.duplicated(["kafka_partition", "kafka_offset"]).any()
    folder = after["_file"].str.extract(r"date=(\d{4}-\d\d-\d\d)")[0]
    assert (after["received_ts"].dt.strftime("%Y-%m-%d") == folder).all()


def test_late_partition_delivers_the_days_events_after_48_hours(clean, tmp_path):
    root, _ = _with(tmp_path, f"late_partition@{START}")
    after = LandingZone(str(root)).read("click_events", CLICK_DAYS, required=False)
    before = LandingZone(str(clean)).read("click_events", CLICK_DAYS, required=False)
    of_day = after[after["event_ts"].dt.date == START]
    lag_h = (of_day["received_ts"] - of_day["event_ts"]).dt.total_seconds() / 3600
    assert len(of_day) > 0 and lag_h.between(49, 72).all()
    assert (after["_file"].str.contains(f"date={START}") & (after["event_ts"].dt.date == START)).sum() == 0
    other = lambda f: f[f["event_ts"].dt.date != START].drop(columns=["kafka_offset", "_file"])  # noqa: E731
    key = ["event_id", "received_ts"]
    pd.testing.assert_frame_equal(other(before).sort_values(key, ignore_index=True), other(after).sort_values(key, ignore_index=True))
    assert {p.split("/")[0] for p in _diff(clean, root)} == {"click_events"}
