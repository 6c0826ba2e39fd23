"""Read what is new in the Dagster instance since the last tick, as `Signal`s (the sensors' input).

- Check results: every (check, partition) whose latest result changed since the cursor (one
  query); FAILED -> a failing signal, SUCCEEDED where an alert is failing -> a recovery. Landing
  arrival checks are asset checks too, so a late source arrives here.
- Run failures (`fetch_run_status_changes(RUN_FAILURE)`, ascending from the cursor): one signal
  per asset the run planned to build and did not (the failed step's asset and those skipped after it).
- Freshness of pipeline outputs (`deadline_signals`, rules in pipeline_ops/freshness.py): per
  output partition due at the SLA deadline, missing from the deadline is a WARN (`freshness_warn`),
  still missing at deadline + `freshness_tolerance_minutes` an ERROR (`freshness`), each once; its
  first materialization recovers both (the summary says PASS/WARN/FAIL by when it landed). An
  output never built before a deadline is not in service yet and owes nothing (Dagster: UNKNOWN).
- Other assets with a Dagster FreshnessPolicy (`get_freshness_state_records`): a change to FAIL
  (ERROR) or WARN (WARN) is failing, back to PASS a recovery. Not used for pipeline outputs:
  Dagster judges those asset-wide with no WARN (see pipeline_ops/freshness.py).
- Materializations of assets with a run failure seen (`fetch_materializations` after the cursor):
  a recovery of that failure.
- Late landings: an open arrival alert whose folder has landed since is a recovery (the arrival
  sensor reports each day once).
A first tick (no cursor) sees the latest result of every check partition: the current state, not
the history.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from pipeline_ops import freshness
from pipeline_ops.backfills.approval import REFUSED
from pipeline_ops.alerting.check_state import evaluation_events, latest_check_states
from pipeline_ops.alerting.signals import Signal
from pipeline_ops.asset_meta import runbook_link
from pipeline_ops.config.models import Pipeline

_CHECK_DETAIL_KEYS = ("runbook", "owners", "observed", "bound", "sample", "failing_count", "sql", "dimension", "level")


@dataclass
class Cursor:
    check_event: int | None = None  # storage id of the newest check event seen
    runs: str | None = None  # fetch_run_status_changes cursor
    freshness: dict[str, str] = field(default_factory=dict)  # asset -> last state seen
    built: dict[str, int] = field(default_factory=dict)  # asset with a run failure -> last storage id seen
    # "output|partition" -> [state, deadline ISO]: state WARN/FAIL (alert open) or DONE (settled)
    deadlines: dict[str, list] = field(default_factory=dict)

    @staticmethod
    def load(text: str | None) -> "Cursor":
        known = {f.name for f in dataclasses.fields(Cursor)}  # a cursor of an older version: keep what fits
        return Cursor(**{k: v for k, v in json.loads(text).items() if k in known}) if text else Cursor()

    def dump(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _ts(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def check_signals(instance: dg.DagsterInstance, check_keys, cursor: Cursor,
                  open_failing: Mapping[str, set[str | None]] | None = None) -> list[Signal]:
    """The check partitions whose latest result changed since the cursor, as signals.

    One query gives the latest status of every (check, partition) evaluated since the cursor
    (`check_state.latest_check_states`, no event payloads); only a partition whose latest result
    FAILED has its evaluation event read (for the metadata the alert shows). A pass is a recovery only where
    an alert is failing (`open_failing`: "asset.check" -> partitions); a failure followed by a pass
    between two ticks is the latest state, a pass, and alerts nobody.
    """
    storage, out, now = instance.event_log_storage, [], dt.datetime.now(dt.timezone.utc)
    newest = storage.get_maximum_record_id()
    if cursor.check_event is not None and newest is not None and newest <= cursor.check_event:
        return []  # nothing at all was recorded since the last tick: one cheap query
    states = latest_check_states(storage, check_keys, cursor.check_event)
    events = evaluation_events(storage, [s for s in states if s.status == "FAILED"])  # the alerts' metadata
    for state in sorted(states, key=lambda s: s.evaluation_id):
        key, asset, partition = state.check_key, state.check_key.asset_key.to_user_string(), state.partition
        if state.status == "FAILED":
            if (entry := events.get(state.evaluation_id)) is not None:
                out.append(_check_signal(key, partition, entry))
        elif state.status == "SUCCEEDED" and partition in (open_failing or {}).get(f"{asset}.{key.name}", ()):
            out.append(Signal("check", asset, key.name, False, now, partition,
                              summary=f"{asset}.{key.name} passes again for {partition or 'the asset'}"))
    # Everything up to `newest` has been looked at (its check events are in `states`).
    cursor.check_event = max([newest or 0, *(s.evaluation_id for s in states)])
    return out


def failing_checks(incidents) -> dict[str, set[str | None]]:
    """"asset.check" -> the partitions with a failing check alert in the open incidents."""
    out: dict[str, set[str | None]] = {}
    for inc in incidents:
        for a in inc.alerts.values():
            if a.kind == "check" and a.failing:
                out.setdefault(f"{a.asset}.{a.name}", set()).add(a.partition)
    return out


def _check_signal(key, partition: str | None, entry) -> Signal:
    """A failed evaluation as a signal, timed at the evaluation (not at the check's planning)."""
    evaluation = entry.dagster_event.event_specific_data
    meta = {k: _plain(v) for k, v in (evaluation.metadata or {}).items()}
    severity = getattr(evaluation.severity, "value", "ERROR")
    return Signal("check", key.asset_key.to_user_string(), key.name, True, _ts(entry.timestamp), partition,
                  "ERROR" if severity == "ERROR" else "WARN",
                  str(evaluation.description or meta.get("summary", "")),
                  {k: meta[k] for k in _CHECK_DETAIL_KEYS if k in meta}, entry.run_id or "")


def run_failure_signals(instance: dg.DagsterInstance, cursor: Cursor, limit: int = 200) -> list[Signal]:
    result = instance.fetch_run_status_changes(dg.DagsterEventType.RUN_FAILURE, limit=limit, cursor=cursor.runs,
                                               ascending=True)
    cursor.runs = result.cursor or cursor.runs
    out = []
    for rec in result.records:
        run = instance.get_run_by_id(rec.event_log_entry.run_id)
        if run is None or REFUSED in run.tags:  # refused for want of an approval: its launcher saw why
            continue
        planned = _keys_in_run(instance, run.run_id, dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
        built = _keys_in_run(instance, run.run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)
        tags = run.tags
        partition = tags.get("dagster/partition") or (
            f"{tags['dagster/asset_partition_range_start']}..{tags['dagster/asset_partition_range_end']}"
            if "dagster/asset_partition_range_start" in tags else None)
        error = _run_error(instance, run.run_id)
        for key in sorted(planned - built, key=lambda k: k.to_user_string()):
            asset = key.to_user_string()
            out.append(Signal("run_failure", asset, "run_failure", True, _ts(rec.event_log_entry.timestamp), partition,
                              "ERROR", f"run {run.run_id[:8]} ({run.job_name}) did not build {asset}: {error}",
                              {"run_id": run.run_id, "job": run.job_name}, run.run_id))
            cursor.built.setdefault(asset, _latest_storage_id(instance, key))
    return out


def _keys_in_run(instance, run_id: str, event_type) -> set[dg.AssetKey]:
    records = instance.get_records_for_run(run_id, of_type=event_type).records
    return {r.event_log_entry.dagster_event.asset_key for r in records}


def _run_error(instance, run_id: str) -> str:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
    for r in records:
        error = r.event_log_entry.dagster_event.event_specific_data.error
        while error is not None and error.cause is not None:  # the user's error is the innermost cause
            error = error.cause
        if error is not None:
            return f"step {r.event_log_entry.step_key} failed: {error.message.strip()[:300]}"
    return "the run failed before its steps (see the run in the UI)"


def _latest_storage_id(instance, key: dg.AssetKey) -> int:
    recs = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key), limit=1).records
    return recs[0].storage_id if recs else 0


def recovery_signals(instance: dg.DagsterInstance, cursor: Cursor, limit: int = 200) -> list[Signal]:
    """Materializations after a run failure of the same asset: the build succeeded since."""
    out = []
    for asset, after in list(cursor.built.items()):
        key = dg.AssetKey.from_user_string(asset)
        recs = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, after_storage_id=after),
                                               limit=limit, ascending=True).records
        for r in recs:
            out.append(Signal("materialized", asset, "materialized", False, _ts(r.timestamp), r.partition_key,
                              summary=f"{asset} built by run {r.run_id[:8]}", source=r.run_id))
        if recs:
            cursor.built[asset] = recs[-1].storage_id
    return out


def freshness_signals(instance: dg.DagsterInstance, asset_keys, cursor: Cursor, now: dt.datetime) -> list[Signal]:
    out = []
    for key, rec in instance.get_freshness_state_records(list(asset_keys)).items():
        asset, state = key.to_user_string(), rec.freshness_state.value
        before = cursor.freshness.get(asset, "PASS")
        cursor.freshness[asset] = state
        if state == before or state in ("UNKNOWN", "NOT_APPLICABLE"):
            continue
        failing = state in ("FAIL", "WARN")
        out.append(Signal("freshness", asset, "freshness", failing, rec.updated_at or now, None,
                          "ERROR" if state == "FAIL" else "WARN",
                          f"{asset} freshness {before} -> {state} (its FreshnessPolicy deadline)" if failing
                          else f"{asset} is fresh again", {"state": state, "previous": before}))
    return out


def deadline_signals(instance: dg.DagsterInstance, pipelines: list[Pipeline], cursor: Cursor,
                     now: dt.datetime) -> list[Signal]:
    """Per output partition freshness against the SLA (rules and state: freshness.deadline_signals).
    One query per partition not settled yet (a second when it is missing); a settled one costs nothing."""
    def first_built(asset: str, partition: str) -> tuple[dt.datetime, str] | None:
        recs = instance.fetch_materializations(dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(asset), asset_partitions=[partition]), limit=1, ascending=True).records
        return (_ts(recs[0].timestamp), recs[0].run_id or "") if recs else None

    def built_before(asset: str, at: dt.datetime) -> bool:
        return bool(instance.fetch_materializations(dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(asset), before_timestamp=at.timestamp()), limit=1).records)

    runbooks = {p.key: runbook_link(p.runbook, "first-checks") for p in pipelines}  # triage: why is it late?
    return [dataclasses.replace(s, details={**s.details, "runbook": runbooks[s.asset]})
            for s in freshness.deadline_signals(pipelines, cursor.deadlines, now, first_built, built_before)]


def arrival_recoveries(zone, incidents, now: dt.datetime) -> list[Signal]:
    """Late landings that have arrived since their arrival alert: a recovery each.

    The arrival sensor records one result per day (Dagster keeps one runless evaluation per check
    and partition), so the folder itself is looked at for every open `landing/<source>.arrived` alert.
    """
    out = []
    for inc in incidents:
        for a in inc.alerts.values():
            if not (a.failing and a.name == "arrived" and a.asset.startswith("landing/") and a.partition):
                continue
            source = a.asset.split("/", 1)[1]
            if zone.files(source, dt.date.fromisoformat(a.partition), required=False):
                out.append(Signal("check", a.asset, "arrived", False, now, a.partition, "ERROR",
                                  f"{a.asset} for {a.partition} has landed (after its due time)"))
    return out
