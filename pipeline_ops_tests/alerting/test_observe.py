"""Reading the instance: freshness changes, runless check evaluations (landing arrivals) and the
first tick's current-state rule, on a real (ephemeral) Dagster instance."""

from __future__ import annotations

import time

import dagster as dg
import pytest
from dagster._core.definitions.freshness import FreshnessState, FreshnessStateChange

from pipeline_ops.alerting.observe import Cursor, check_signals, freshness_signals
from pipeline_ops.alerting.service import utc_now

KEY = dg.AssetKey("profit_aggregate")


def _freshness(instance, new, old):
    instance.report_runless_asset_event(FreshnessStateChange(
        key=KEY, new_state=new, previous_state=old, state_change_timestamp=time.time()))


def test_freshness_fail_is_an_error_warn_a_warning_pass_a_recovery_and_nothing_new_is_quiet():
    instance, cursor = dg.DagsterInstance.ephemeral(), Cursor()
    _freshness(instance, FreshnessState.FAIL, FreshnessState.PASS)
    [s] = freshness_signals(instance, [KEY], cursor, utc_now())
    assert (s.asset, s.kind, s.failing, s.level, s.partition) == ("profit_aggregate", "freshness", True, "ERROR", None)
    assert freshness_signals(instance, [KEY], cursor, utc_now()) == []  # same state: nothing new
    _freshness(instance, FreshnessState.WARN, FreshnessState.FAIL)
    [w] = freshness_signals(instance, [KEY], cursor, utc_now())
    assert (w.failing, w.level) == (True, "WARN")
    _freshness(instance, FreshnessState.PASS, FreshnessState.WARN)
    [ok] = freshness_signals(instance, [KEY], Cursor.load(cursor.dump()), utc_now())  # the cursor round-trips
    assert not ok.failing and "fresh again" in ok.summary


def _arrival(instance, day, passed):
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(["landing", "revenue"]), check_name="arrived", passed=passed, partition=day,
        metadata={"summary": f"revenue for {day} {'landed' if passed else 'has not landed'}",
                  "runbook": "runbooks/landing_sources.md#arrival-expectations"}))


def test_late_landing_arrivals_become_signals_and_a_tick_reads_only_what_changed():
    instance = dg.DagsterInstance.ephemeral()
    keys = [dg.AssetCheckKey(dg.AssetKey(["landing", "revenue"]), "arrived")]
    _arrival(instance, "2025-09-01", True)
    _arrival(instance, "2025-09-02", False)  # missing at its due time
    cursor = Cursor()
    first = check_signals(instance, keys, cursor)
    # the current state: 09-02 failing; a pass alerts nobody (no failing alert to recover)
    assert [(s.partition, s.failing) for s in first] == [("2025-09-02", True)]
    late = first[0]
    assert late.asset == "landing/revenue" and late.details["runbook"].endswith("#arrival-expectations")
    assert check_signals(instance, keys, cursor) == []
    _arrival(instance, "2025-09-03", False)
    [new] = check_signals(instance, keys, cursor)
    assert (new.partition, new.failing) == ("2025-09-03", True)
    # Dagster keeps one runless result per check and partition: why the arrival sensor reports a day
    # once and late landings are recovered from the folder (test below).
    with pytest.raises(Exception, match="UNIQUE constraint"):
        _arrival(instance, "2025-09-02", True)


def test_an_open_arrival_alert_recovers_when_its_folder_lands(tmp_path):
    import datetime as dt

    from pipeline_ops.alerting.grouping import apply
    from pipeline_ops.alerting.lineage import Lineage
    from pipeline_ops.alerting.observe import arrival_recoveries
    from pipeline_ops.alerting.signals import Signal
    from pipeline_ops.landing.reader import LandingZone

    lineage = Lineage({"landing/revenue": frozenset()}, {"landing/revenue": "profit_aggregate"})
    now = dt.datetime(2025, 9, 3, 1, 0, tzinfo=dt.timezone.utc)
    incidents = []
    apply([Signal("check", "landing/revenue", "arrived", True, now, "2025-09-02")], incidents, lineage)
    zone = LandingZone(str(tmp_path))
    assert arrival_recoveries(zone, incidents, now) == []
    folder = tmp_path / "revenue" / "date=2025-09-02"
    folder.mkdir(parents=True)
    (folder / "invoices.csv").write_text("invoice_id\n")
    [rec] = arrival_recoveries(zone, incidents, now)
    apply([rec], incidents, lineage)
    assert incidents[0].status == "resolved"
