"""The one-query check state equals Dagster's own per-key answer on real instances (run-sharded
SQLite, Dagster's default storage, and in memory) with in-run evaluations (several per
partition), runless ones and an unpartitioned check, from any cursor; the failed evaluations'
events (the alert's metadata) are the right ones."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from pipeline_ops.alerting import check_state

DAYS = dg.DailyPartitionsDefinition(start_date="2025-09-01", end_date="2025-09-05")
KEY = dg.AssetCheckKey(dg.AssetKey("daily"), "rows")
OUTCOME: dict[str, bool] = {}  # partition -> does the check pass


@dg.asset(partitions_def=DAYS, check_specs=[dg.AssetCheckSpec("rows", asset="daily", partitions_def=DAYS)])
def daily(context) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    # as the pipelines' checks do (quality/wap.py): a per-partition evaluation in the run, then the output
    yield dg.AssetCheckEvaluation(asset_key=dg.AssetKey("daily"), check_name="rows",
                                  passed=OUTCOME[context.partition_key], partition=context.partition_key,
                                  metadata={"summary": f"rows of {context.partition_key} in run {context.run.run_id}"})
    yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(KEY))
    yield dg.MaterializeResult()


@dg.asset(check_specs=[dg.AssetCheckSpec("total", asset="whole")])
def whole():
    yield dg.MaterializeResult(check_results=[dg.AssetCheckResult(check_name="total", passed=OUTCOME["whole"])])


def _run(instance, partition, passed):
    OUTCOME[partition or "whole"] = passed
    assets = [whole] if partition is None else [daily]
    assert dg.materialize(assets, instance=instance, partition_key=partition).success


def _state(states):
    return sorted((s.check_key.to_user_string(), s.partition or "", s.status, s.evaluation_id) for s in states)


@pytest.fixture(params=["sqlite", "memory"])
def instance(request, tmp_path):
    with (dg.DagsterInstance.local_temp(str(tmp_path)) if request.param == "sqlite"
          else dg.DagsterInstance.ephemeral()) as inst:
        yield inst


def test_grouped_query_equals_dagsters_per_key_answer_from_every_cursor(instance):
    keys = [dg.AssetCheckKey(dg.AssetKey("daily"), "rows"), dg.AssetCheckKey(dg.AssetKey("whole"), "total"),
            dg.AssetCheckKey(dg.AssetKey("landing"), "arrived")]
    _run(instance, "2025-09-01", True)
    _run(instance, "2025-09-02", False)
    _run(instance, None, False)
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey("landing"), check_name="arrived", passed=False, partition="2025-09-02"))
    middle = instance.event_log_storage.get_maximum_record_id()
    _run(instance, "2025-09-01", False)  # a partition's result changes: only the latest counts
    _run(instance, "2025-09-02", True)
    _run(instance, None, True)
    storage = instance.event_log_storage
    everything = check_state.latest_check_states(storage, keys, None)
    # hand-derived: the latest result per check partition
    assert [(k, p, s) for k, p, s, _ in _state(everything)] == [
        ("daily:rows", "2025-09-01", "FAILED"), ("daily:rows", "2025-09-02", "SUCCEEDED"),
        ("landing:arrived", "2025-09-02", "FAILED"), ("whole:total", "", "SUCCEEDED")]
    for after in (None, 0, middle, storage.get_maximum_record_id()):
        assert _state(check_state._grouped(storage, keys, after)) == _state(check_state._per_key(storage, keys, after))
    since_middle = _state(check_state.latest_check_states(storage, keys, middle))
    assert [(k, p) for k, p, _, _ in since_middle] == [
        ("daily:rows", "2025-09-01"), ("daily:rows", "2025-09-02"), ("whole:total", "")]
    assert check_state.latest_check_states(storage, keys[:1], middle)[0].check_key == keys[0]  # only the keys asked


def test_failed_evaluations_are_read_with_their_own_metadata(instance):
    _run(instance, "2025-09-01", False)
    _run(instance, "2025-09-02", True)
    _run(instance, "2025-09-02", False)  # the latest run's failure, not the earlier pass
    storage = instance.event_log_storage
    states = [s for s in check_state.latest_check_states(storage, [KEY], None) if s.status == "FAILED"]
    runs = {r.tags.get("dagster/partition"): r.run_id for r in reversed(instance.get_runs())}  # the last per day
    expected = {s.evaluation_id: f"rows of {s.partition} in run {runs[s.partition]}" for s in states}
    assert len(expected) == 2
    for read in (check_state.evaluation_events(storage, states),
                 check_state._events_per_partition(storage, [s._replace(execution_id=None) for s in states])):
        got = {i: e.dagster_event.event_specific_data.metadata["summary"].value for i, e in read.items()}
        assert got == expected


def test_a_failing_grouped_query_falls_back_to_the_per_key_api(monkeypatch, caplog, instance):
    _run(instance, "2025-09-03", False)
    keys = [dg.AssetCheckKey(dg.AssetKey("daily"), "rows")]
    expected = _state(check_state._per_key(instance.event_log_storage, keys, None))
    assert expected and expected[0][2] == "FAILED"

    def broken(*args, **kwargs):
        raise RuntimeError("no such table: asset_check_executions")

    monkeypatch.setattr(check_state, "_grouped", broken)
    monkeypatch.setattr(check_state, "_events_from_rows", broken)
    states = check_state.latest_check_states(instance.event_log_storage, keys, None)
    assert _state(states) == expected
    [event] = check_state.evaluation_events(instance.event_log_storage, states).values()
    assert event.dagster_event.event_specific_data.partition == "2025-09-03"
    assert "per-check API" in caplog.text
