"""The latest evaluated result of every check partition evaluated since a storage id.

Dagster's own answer (`get_asset_check_partition_info`) costs three queries per check key, most
of it statement compilation and a materialization subquery the alerts do not use: 0.6 s for the
67 check keys with 10,000 evaluations stored, paid by every tick with anything new. The same
answer comes from one grouped query over Dagster's `asset_check_executions` table (the row with
the highest id per check and partition, among evaluated rows, kept when its evaluation is newer
than the cursor), which is what `latest_check_states` runs. That table is Dagster's schema, not
its API: should the query fail (a Dagster whose schema changed), the per-key API is used, and
`pipeline_ops_tests/alerting/test_check_state.py` holds the two equal (on run-sharded SQLite,
the default instance storage, and in memory). `evaluation_events` reads the failed rows'
evaluation events the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, NamedTuple

log = logging.getLogger(__name__)


class CheckState(NamedTuple):
    check_key: Any  # dg.AssetCheckKey
    partition: str | None
    status: str  # AssetCheckExecutionRecordStatus value: SUCCEEDED, FAILED, ...
    evaluation_id: int  # storage id of the evaluation event (in the index shard on SQLite)
    execution_id: int | None = None  # the asset_check_executions row (None from the per-key API)


def latest_check_states(storage, check_keys: Iterable, after: int | None) -> list[CheckState]:
    """Per (check, partition) whose latest evaluation has a storage id above `after` (None: all)."""
    keys = list(check_keys)
    if not keys:
        return []
    try:
        return _grouped(storage, keys, after)
    except Exception as exc:  # noqa: BLE001 - any schema surprise: Dagster's API answers the same
        log.warning("reading check states in one query failed (%s: %s); using the per-check API",
                    type(exc).__name__, exc)
        return _per_key(storage, keys, after)


def _grouped(storage, keys: list, after: int | None) -> list[CheckState]:
    import sqlalchemy as sa
    from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable as t

    by_name = {(k.asset_key.to_string(), k.name): k for k in keys}
    latest = (sa.select(sa.func.max(t.c.id).label("id"))
              .where(t.c.evaluation_event_storage_id.is_not(None),
                     t.c.asset_key.in_(sorted({a for a, _ in by_name})))
              .group_by(t.c.asset_key, t.c.check_name, t.c.partition).subquery())
    query = (sa.select(t.c.asset_key, t.c.check_name, t.c.partition, t.c.execution_status,
                       t.c.evaluation_event_storage_id, t.c.id)
             .join(latest, t.c.id == latest.c.id))
    if after is not None:
        query = query.where(t.c.evaluation_event_storage_id > after)
    with storage.index_connection() as conn:
        rows = conn.execute(query).all()
    return [CheckState(by_name[(a, c)], p, s, int(e), int(i)) for a, c, p, s, e, i in rows if (a, c) in by_name]


def evaluation_events(storage, states: Iterable[CheckState]) -> dict[int, Any]:
    """The evaluation event (`EventLogEntry`) of each state, by `evaluation_id`: the alert's metadata.

    Read from the execution rows themselves (Dagster stores the event there), 500 per query;
    states from the per-key API are looked up one partition at a time. Not by storage id through
    `get_event_records`: on run-sharded SQLite that searches each run's shard with the index
    shard's ids and returns other events."""
    states = list(states)
    with_rows = [s for s in states if s.execution_id is not None]
    out: dict[int, Any] = {}
    if with_rows:
        try:
            out.update(_events_from_rows(storage, with_rows))
        except Exception as exc:  # noqa: BLE001 - a schema surprise: the API answers the same
            log.warning("reading check evaluations in one query failed (%s: %s); using the per-check API",
                        type(exc).__name__, exc)
            out.update(_events_per_partition(storage, with_rows))
    out.update(_events_per_partition(storage, [s for s in states if s.execution_id is None]))
    return out


def _events_from_rows(storage, states: list[CheckState]) -> dict[int, Any]:
    import sqlalchemy as sa
    from dagster import EventLogEntry
    from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable as t
    from dagster._serdes import deserialize_value

    by_row = {s.execution_id: s.evaluation_id for s in states}
    ids, out = sorted(by_row), {}
    with storage.index_connection() as conn:
        for start in range(0, len(ids), 500):
            query = sa.select(t.c.id, t.c.evaluation_event).where(t.c.id.in_(ids[start:start + 500]))
            for row_id, text in conn.execute(query).all():
                if text:
                    out[by_row[row_id]] = deserialize_value(text, EventLogEntry)
    return out


def _events_per_partition(storage, states: list[CheckState]) -> dict[int, Any]:
    from dagster._core.event_api import PartitionKeyFilter

    out = {}
    for s in states:
        found = storage.get_latest_asset_check_execution_by_key(
            [s.check_key], partition_filter=PartitionKeyFilter(key=s.partition)).get(s.check_key)
        if found is not None and found.event is not None:
            out[s.evaluation_id] = found.event
    return out


def _per_key(storage, keys: list, after: int | None) -> list[CheckState]:
    return [CheckState(i.check_key, i.partition_key, i.latest_execution_status.value, i.latest_check_event_storage_id)
            for i in storage.get_asset_check_partition_info(keys, after_storage_id=after)
            if i.latest_check_event_storage_id is not None
            and (after is None or i.latest_check_event_storage_id > after)]
