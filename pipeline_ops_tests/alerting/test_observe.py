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


# --- Per-partition freshness against the SLA (pipeline_ops/freshness.py) on a real instance ---------

def _deadline_setup():
    import datetime as dt

    from pipeline_ops.config import load_config

    pipeline = load_config().pipeline("profit_aggregate")  # 07:00 IST = 01:30 UTC, tolerance 15 min
    deadline = dt.datetime(2025, 3, 2, 1, 30, tzinfo=dt.timezone.utc)  # owes 2025-03-01
    return pipeline, deadline, dt.timedelta(minutes=1), dg.DagsterInstance.ephemeral()


def _built(instance, partition, at):
    from dagster._core.test_utils import freeze_time

    with freeze_time(at):  # the event's timestamp is Dagster's (frozen) clock
        instance.report_runless_asset_event(dg.AssetMaterialization(KEY, partition=partition))


def test_a_day_missing_at_its_deadline_warns_then_fails_once_each_and_its_late_build_recovers_both():
    from pipeline_ops.alerting.observe import deadline_signals

    pipeline, deadline, minute, instance = _deadline_setup()
    _built(instance, "2025-02-28", deadline - 24 * 60 * minute - 45 * minute)  # yesterday, on time: in service
    cursor = Cursor()
    assert deadline_signals(instance, [pipeline], cursor, deadline - minute) == []  # 02-28 was on time
    [warn] = deadline_signals(instance, [pipeline], cursor, deadline + 5 * minute)
    assert (warn.kind, warn.name, warn.failing, warn.level, warn.partition, warn.at) == (
        "freshness", "freshness_warn", True, "WARN", "2025-03-01", deadline)
    assert warn.details["verdict"] == "WARN" and "FAIL in 15 min" in warn.summary
    assert deadline_signals(instance, [pipeline], cursor, deadline + 10 * minute) == []  # once per partition
    cursor = Cursor.load(cursor.dump())  # the cursor round-trips
    [fail] = deadline_signals(instance, [pipeline], cursor, deadline + 15 * minute)
    assert (fail.name, fail.failing, fail.level, fail.at) == ("freshness", True, "ERROR", deadline + 15 * minute)
    assert deadline_signals(instance, [pipeline], cursor, deadline + 19 * minute) == []
    _built(instance, "2025-03-01", deadline + 20 * minute)
    recovered = deadline_signals(instance, [pipeline], cursor, deadline + 21 * minute)
    assert {(s.name, s.failing, s.at) for s in recovered} == {
        ("freshness_warn", False, deadline + 20 * minute), ("freshness", False, deadline + 20 * minute)}
    assert all(s.details["verdict"] == "FAIL" and "20 min after" in s.summary for s in recovered)
    assert deadline_signals(instance, [pipeline], cursor, deadline + 30 * minute) == []  # settled

    # Grouped: the WARN opens one incident, the FAIL joins it (severity is the highest alert's), the build resolves it.
    from pipeline_ops.alerting.grouping import apply
    from pipeline_ops.alerting.lineage import Lineage

    incidents, lineage = [], Lineage({"profit_aggregate": frozenset()}, {"profit_aggregate": "profit_aggregate"})
    apply([warn], incidents, lineage)
    apply([fail], incidents, lineage)
    [inc] = incidents
    assert sorted(a.level for a in inc.alerts.values()) == ["ERROR", "WARN"]
    apply(recovered, incidents, lineage)
    assert inc.status == "resolved"


def test_built_10_minutes_late_is_a_warn_that_recovers_and_a_rebuild_never_makes_it_late():
    from pipeline_ops.alerting.observe import deadline_signals

    pipeline, deadline, minute, instance = _deadline_setup()
    _built(instance, "2025-02-28", deadline - 24 * 60 * minute - 45 * minute)
    cursor = Cursor()
    [warn] = deadline_signals(instance, [pipeline], cursor, deadline + 2 * minute)
    assert (warn.name, warn.level) == ("freshness_warn", "WARN")
    _built(instance, "2025-03-01", deadline + 10 * minute)
    _built(instance, "2025-03-01", deadline + 60 * minute)  # a later re-build (settle run): the first counts
    [ok] = deadline_signals(instance, [pipeline], cursor, deadline + 61 * minute)
    assert (ok.name, ok.failing, ok.details["verdict"]) == ("freshness_warn", False, "WARN")
    assert "10 min after its deadline: WARN" in ok.summary


def test_on_time_says_nothing_and_an_output_never_built_before_its_deadline_owes_nothing():
    from pipeline_ops.alerting.observe import deadline_signals

    pipeline, deadline, minute, instance = _deadline_setup()
    assert deadline_signals(instance, [pipeline], Cursor(), deadline + 60 * minute) == []  # not in service
    _built(instance, "2025-03-01", deadline - 45 * minute)
    cursor = Cursor()
    assert deadline_signals(instance, [pipeline], cursor, deadline + 60 * minute) == []
    assert cursor.deadlines == {"profit_aggregate|2025-03-01": ["DONE", deadline.isoformat()]}
    # The next day's deadline: 03-02 is missing at +20 (first look): FAIL, and the settled 03-01 is forgotten.
    [fail] = deadline_signals(instance, [pipeline], cursor, deadline + 24 * 60 * minute + 20 * minute)
    assert (fail.partition, fail.name, fail.level) == ("2025-03-02", "freshness", "ERROR")
    assert list(cursor.deadlines) == ["profit_aggregate|2025-03-02"]


def test_the_monthly_report_owes_last_month_at_its_deadline_on_day_3():
    import datetime as dt

    from pipeline_ops.alerting.observe import deadline_signals
    from pipeline_ops.config import load_config

    report = load_config().pipeline("investor_monthly_report")  # 09:00 IST on the 3rd = 03:30 UTC
    key, instance = dg.AssetKey(report.key), dg.DagsterInstance.ephemeral()
    deadline, minute = dt.datetime(2025, 5, 3, 3, 30, tzinfo=dt.timezone.utc), dt.timedelta(minutes=1)
    from dagster._core.test_utils import freeze_time

    with freeze_time(deadline - dt.timedelta(days=30)):
        instance.report_runless_asset_event(dg.AssetMaterialization(key, partition="2025-03"))
    cursor = Cursor()
    [warn] = deadline_signals(instance, [report], cursor, deadline + 10 * minute)
    assert (warn.asset, warn.partition, warn.level) == ("investor_monthly_report", "2025-04", "WARN")
    [fail] = deadline_signals(instance, [report], cursor, deadline + 16 * minute)
    assert (fail.partition, fail.level) == ("2025-04", "ERROR")
