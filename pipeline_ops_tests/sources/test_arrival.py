"""Arrival checks: due times (DST included), which days a tick judges, and the sensor end to end
over a real landing folder with an injected clock."""

import datetime as dt
import json

import dagster as dg
import pytest

from pipeline_ops.config.quality import Arrival
from pipeline_ops.resources.lake import LandingResource
from pipeline_ops.sources import checks
from pipeline_ops.sources.arrival import days_to_check, due_at, judge, latest_due_day

UTC = dt.timezone.utc
REVENUE = Arrival(time="00:45", timezone="UTC", days_after=1)


def test_due_time_keeps_its_local_hour_across_daylight_saving():
    berlin = Arrival(time="06:00", timezone="Europe/Berlin", days_after=1)
    # 2025-03-30 is the spring-forward day in Berlin: 06:00 CET on the 29th = 05:00 UTC, CEST after = 04:00 UTC.
    assert due_at(berlin, dt.date(2025, 3, 28)) == dt.datetime(2025, 3, 29, 5, 0, tzinfo=UTC)
    assert due_at(berlin, dt.date(2025, 3, 29)) == dt.datetime(2025, 3, 30, 4, 0, tzinfo=UTC)
    ist = Arrival(time="05:00", timezone="Asia/Kolkata", days_after=1)
    assert due_at(ist, dt.date(2025, 3, 1)) == dt.datetime(2025, 3, 1, 23, 30, tzinfo=UTC)


def test_latest_due_day_at_the_boundary():
    assert latest_due_day(REVENUE, dt.datetime(2025, 3, 3, 0, 44, 59, tzinfo=UTC)) == dt.date(2025, 3, 1)
    assert latest_due_day(REVENUE, dt.datetime(2025, 3, 3, 0, 45, tzinfo=UTC)) == dt.date(2025, 3, 2)


def test_first_tick_judges_one_day_then_every_new_day_and_the_missing_ones():
    now = dt.datetime(2025, 3, 10, 1, 0, tzinfo=UTC)  # day 2025-03-09 is due
    assert days_to_check(REVENUE, now, None, []) == [dt.date(2025, 3, 9)]  # never the whole history
    assert days_to_check(REVENUE, now, dt.date(2025, 3, 6), [dt.date(2025, 3, 5)]) == [
        dt.date(2025, 3, 5), dt.date(2025, 3, 7), dt.date(2025, 3, 8), dt.date(2025, 3, 9)]
    assert days_to_check(REVENUE, now, dt.date(2025, 3, 9), []) == []
    # A sensor off for a month catches up at most a week.
    assert days_to_check(REVENUE, now, dt.date(2025, 2, 1), [])[0] == dt.date(2025, 3, 3)


def test_judge():
    due = dt.datetime(2025, 3, 3, 0, 45, tzinfo=UTC)
    assert judge("revenue", "f", 0, 0, due, due + dt.timedelta(minutes=30)).level == "error"
    assert judge("revenue", "f", 2, 2, due, due + dt.timedelta(minutes=1)).summary.endswith("1 min ago")  # empty files
    assert judge("revenue", "f", 0, 0, due, due - dt.timedelta(minutes=10)).level == "warn"  # not due yet
    assert judge("revenue", "f", 1, 0, due, due).level == "pass"
    late = judge("revenue", "f", 1, 0, due, due + dt.timedelta(minutes=95), seen_missing=True)
    assert late.level == "warn" and late.minutes_late == 95


@pytest.fixture()
def landing(tmp_path, monkeypatch):
    zone = tmp_path / "landing"
    monkeypatch.setenv("PIPELINE_OPS_LANDING", str(zone))
    return zone


INSTANCE = dg.DagsterInstance.ephemeral()


def _tick(sensor, cursor, when, monkeypatch):
    monkeypatch.setattr(checks, "_now", lambda: when)
    ctx = dg.build_sensor_context(instance=INSTANCE, cursor=cursor, resources={"landing": LandingResource()})
    result = sensor(ctx)
    for event in result.asset_events:  # as the daemon does: a second result for one partition would raise
        INSTANCE.report_runless_asset_event(event)
    return result, {(e.asset_key.to_user_string(), e.partition): e for e in result.asset_events}


def test_sensor_reports_a_missing_day_once_and_forgets_it_when_it_lands(landing, monkeypatch):
    day = "2025-03-02"
    files = {"accounts": "accounts.csv", "subscription_events": "subscription_events.csv", "fx_rates": "fx_rates.csv",
             "experiment_assignments": "assignments.csv", "expenses": "expenses.csv", "click_events": "part-0000.jsonl"}
    for source, name in files.items():
        (landing / source / f"date={day}").mkdir(parents=True)
        (landing / source / f"date={day}" / name).write_text("x\n1\n")
    (landing / "salaries" / "date=2025-03-01").mkdir(parents=True)
    (landing / "salaries" / "date=2025-03-01" / "salaries.csv").write_text("x\n1\n")
    sensor = checks.landing_arrival_sensor
    due = dt.datetime(2025, 3, 3, 0, 45, tzinfo=UTC)
    first, events = _tick(sensor, None, due + dt.timedelta(minutes=5), monkeypatch)
    assert not events[("landing/revenue", day)].passed
    assert events[("landing/revenue", day)].severity == dg.AssetCheckSeverity.ERROR
    assert events[("landing/revenue", day)].metadata["runbook"].value.endswith("landing_sources.md#revenue")
    assert all(e.passed for k, e in events.items() if k[0] != "landing/revenue") and len(events) == 8
    # Still missing a minute later: not reported again (one alert, not one per minute).
    second, events = _tick(sensor, first.cursor, due + dt.timedelta(minutes=6), monkeypatch)
    assert events == {}
    (landing / "revenue" / f"date={day}").mkdir(parents=True)
    (landing / "revenue" / f"date={day}" / "invoices.csv").write_text("x\n1\n")
    third, events = _tick(sensor, second.cursor, due + dt.timedelta(minutes=50), monkeypatch)
    # Landed late: not reported a second time (Dagster keeps one runless result per partition; the
    # alert sensor resolves the alert from the folder), and no longer missing.
    assert events == {}
    assert json.loads(second.cursor)["revenue"]["missing"] == [day]
    assert json.loads(third.cursor)["revenue"]["missing"] == []
