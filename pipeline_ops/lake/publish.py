"""Publish an asset's output: conform, stage, checksum, commit, log to the ops table, report.

Every asset ends with `publish_frame(...)` (pandas) or the Spark twin in `spark_publish.py`, so
all outputs share one re-run behaviour (whole-partition replace), one checksum, one ops record
per partition and the same materialization metadata.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import pandas as pd

from pipeline_ops.lake.checksum import ALGORITHM, frame_checksum
from pipeline_ops.lake.ops_log import OpsRecord, append_ops_records
from pipeline_ops.lake.schema import OutputSchema
from pipeline_ops.lake.storage import Lake, partition_column


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def split_by_partition(frame: pd.DataFrame, partitions: list[str]) -> dict[str, pd.DataFrame]:
    """One frame per requested partition (empty ones included), without the partition column.

    Rows whose partition was not requested are a bug in the asset, so they raise rather than
    being written somewhere nobody asked for. One groupby pass: a year-long range stays linear.
    """
    column = partition_column(partitions[0])
    if column == "date":
        days = frame[column].dt.normalize()
        keys = days.map({d: d.strftime("%Y-%m-%d") for d in days.unique()})
    else:
        keys = frame[column].astype(str)
    stray = sorted(set(keys.unique()) - set(partitions))
    if stray:
        raise ValueError(f"output has rows for partitions {stray[:5]} outside the requested {partitions[:5]}")
    data = frame.drop(columns=[column])
    groups = {key: group.reset_index(drop=True) for key, group in data.groupby(keys.to_numpy(), sort=False)}
    return {p: groups.get(p, data.iloc[0:0].reset_index(drop=True)) for p in partitions}


def publish_frame(
    context: "dg.AssetExecutionContext",
    lake: Lake,
    schema: OutputSchema,
    frame: pd.DataFrame,
    partitions: list[str],
    started_at: dt.datetime,
    definition_version: str,
    extra_metadata: dict | None = None,
    audit_extra: dict | None = None,
) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    """Write `frame` as the given partitions of `schema.asset`: stage, audit, then commit.

    Yields the asset's check evaluations (one per check and partition), then the materialization.
    A blocking check failure removes the staged files and raises before anything is committed.
    """
    from pipeline_ops.quality.wap import audit_staged

    frames = split_by_partition(schema.conform(frame), partitions)
    checksums = {p: frame_checksum(f) for p, f in frames.items()}
    staged = lake.stage_frames(schema.asset, frames)
    try:
        yield from audit_staged(context, lake, [staged], audit_extra)
    except BaseException:
        lake.abort(staged)
        raise
    lake.commit(staged)
    ended_at = now_utc()
    records = [
        OpsRecord(
            asset=schema.asset,
            partition=p,
            run_id=context.run.run_id,
            started_at=started_at,
            ended_at=ended_at,
            rows_out=len(frames[p]),
            checksum=checksums[p],
            checksum_algorithm=ALGORITHM,
            definition_version=definition_version,
            path=lake.partition_dir(schema.asset, p),
        )
        for p in partitions
    ]
    append_ops_records(lake, records)
    yield dg.MaterializeResult(metadata=materialization_metadata(records, schema, extra_metadata))


def materialization_metadata(records: list[OpsRecord], schema: OutputSchema, extra: dict | None) -> dict:
    """Metadata a person at 3 a.m. can use: rows, checksum, where it went, how long it took."""
    rows = sum(r.rows_out for r in records)
    first, last = records[0], records[-1]
    metadata: dict = {
        "dagster/row_count": rows,
        "dagster/column_schema": schema.table_schema(),
        "partitions_written": len(records),
        "checksum": first.checksum if len(records) == 1 else frame_checksum(
            pd.DataFrame({"p": [r.partition for r in records], "c": [r.checksum for r in records]})
        ),
        "checksum_algorithm": first.checksum_algorithm,
        "definition_version": first.definition_version,
        "run_started_at": first.started_at.isoformat(),
        "run_ended_at": last.ended_at.isoformat(),
        "seconds": round((last.ended_at - first.started_at).total_seconds(), 3),
        "lake_path": dg.MetadataValue.path(first.path if len(records) == 1 else first.path.rsplit("/", 1)[0]),
    }
    if len(records) > 1:
        metadata["rows_by_partition"] = dg.MetadataValue.json({r.partition: r.rows_out for r in records})
    metadata.update(extra or {})
    return metadata
