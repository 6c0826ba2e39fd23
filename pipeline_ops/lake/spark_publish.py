"""The Spark twin of `publish_frame` (reading the lake into Spark is in `spark_frames`).

`publish_spark_frame` writes a Spark DataFrame with the same re-run behaviour as the pandas path:
conform to the output schema, write every partition into a fresh staging folder
(`df.write.partitionBy("date")`, Spark's layout = the lake's layout), checksum what was written,
swap the partitions into place with `Lake.commit`, append one ops record per partition and return
the same materialization metadata (`publish.materialization_metadata`). `publish_spark_frames`
does the same for several outputs of one run (a table and its quarantine): all staged, then all
committed, so a failure while staging any of them publishes none.

Checksum (`SPARK_ALGORITHM`): per partition, sha256 over the column names and types, the row
count and the sum (as an exact decimal) of xxhash64 over every column and its null flag, read
back from the staged files. Independent of row order and file layout, so a re-run over the same
input shows the same checksum. It is not the pandas `frame_checksum` (the algorithm name says
which one a record used).

pyspark is imported inside functions only, so importing this module never loads Spark.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline_ops.lake.ops_log import OpsRecord, append_ops_records
from pipeline_ops.lake.publish import materialization_metadata, now_utc
from pipeline_ops.lake.schema import OutputSchema
from pipeline_ops.lake.spark_frames import conform_spark, require_utc, spark_schema
from pipeline_ops.lake.storage import Lake, StagedWrite, partition_column

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

SPARK_ALGORITHM = "sha256(columns, rows, sum of xxhash64(row, null flags))"
# The Parquet types Spark writes for the schema's types (timestamps: microseconds, UTC).
_ARROW_TYPES = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
                "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC")}


def partition_stats(schema: OutputSchema, sdf: "DataFrame", part: str = "date") -> dict[str, dict]:
    """Rows, checksum sum and nulls in non-nullable columns per partition of a conformed frame."""
    from pyspark.sql import functions as F

    data = [f for f in schema.fields if f.name != part]
    hashed = [x for f in sorted(data, key=lambda f: f.name) for x in (F.col(f.name), F.isnull(f.name))]
    aggs = [F.count(F.lit(1)).alias("rows"), F.sum(F.xxhash64(*hashed).cast("decimal(20,0)")).alias("hash_sum")]
    aggs += [F.sum(F.isnull(f.name).cast("int")).alias(f"nulls__{f.name}") for f in data if not f.nullable]
    key = F.date_format(part, "yyyy-MM-dd") if part == "date" else F.col(part)
    stats = {}
    for row in sdf.groupBy(key.alias("_p")).agg(*aggs).collect():
        nulls = {k.removeprefix("nulls__"): v for k, v in row.asDict().items() if k.startswith("nulls__") and v}
        stats[row["_p"]] = {"rows": int(row["rows"]), "hash_sum": str(row["hash_sum"] or 0), "nulls": nulls}
    return stats


def partition_checksum(schema: OutputSchema, part: str, rows: int, hash_sum: str) -> str:
    columns = sorted((f.name, f.dtype) for f in schema.fields if f.name != part)
    return hashlib.sha256(f"{SPARK_ALGORITHM}|{columns}|{rows}|{hash_sum}".encode()).hexdigest()


@dataclass(frozen=True)
class SparkStaged:
    """One output written and checked in its staging folder, not yet visible to readers."""

    schema: OutputSchema
    write: StagedWrite
    stats: dict[str, dict]


def stage_spark_frame(lake: Lake, schema: OutputSchema, sdf: "DataFrame", partitions: list[str]) -> SparkStaged:
    """Conform `sdf`, write it to a fresh staging folder and check it; on any error remove the folder.

    Rows for a partition outside `partitions` (or with a null partition value), or nulls in a
    non-nullable column, raise. A requested partition without rows gets a zero-row Parquet file,
    as on the pandas path, so readers (DuckDB views) see its columns.
    """
    spark = sdf.sparkSession
    require_utc(spark)
    part = partition_column(partitions[0])
    conformed = conform_spark(schema, sdf)
    staging = lake.new_staging_dir(schema.asset)
    staged = StagedWrite(schema.asset, staging, tuple(partitions))
    try:
        # REBALANCE: AQE writes one file per small partition and splits big or skewed ones.
        conformed.hint("rebalance", part).write.partitionBy(part).parquet(lake.uri(staging))
        _tidy_staging(lake, staging)
        stray = sorted(set(_staged_partitions(lake, staging)) - set(partitions))
        if stray:
            raise ValueError(
                f"{schema.asset}: output has rows for partitions {stray[:5]} outside the requested {partitions[:5]}"
            )
        written = spark.read.schema(spark_schema(schema)).option("basePath", lake.uri(staging))
        stats = partition_stats(schema, written.parquet(lake.uri(staging)), part) if _staged_partitions(lake, staging) else {}
        bad = {p: s["nulls"] for p, s in stats.items() if s["nulls"]}
        if bad:
            raise ValueError(f"{schema.asset}: null values in non-nullable column(s), by partition: {bad}")
        _write_empty_partitions(lake, schema, staging, sorted(set(partitions) - set(stats)), part)
    except BaseException:
        lake.abort(staged)
        raise
    return SparkStaged(schema, staged, stats)


def publish_spark_frames(
    context: "dg.AssetExecutionContext", lake: Lake, outputs: Sequence[tuple[OutputSchema, "DataFrame"]],
    partitions: list[str], started_at: dt.datetime, definition_version: str, audit_extra: dict | None = None,
) -> Generator[dg.AssetCheckEvaluation, None, dict[str, list[OpsRecord]]]:
    """Publish several outputs of one run together: stage, audit and check all, then commit in order.

    Yields the check evaluations of every audited output (`quality.wap.audit_staged`, reading the
    staged Parquet with DuckDB, never re-running the Spark plan); use `records = yield from ...`.
    An error while staging any output (bad rows, a Spark failure) or a blocking check failure
    removes every staging folder: no output is published. Commits run only after all outputs are staged, so the remaining
    risk is the file system failing between two renames, as within one multi-partition commit.
    Returns the ops records (one per partition) of each asset, already appended to the ops table.
    """
    from pipeline_ops.quality.wap import audit_staged

    staged: list[SparkStaged] = []
    try:
        for schema, sdf in outputs:
            staged.append(stage_spark_frame(lake, schema, sdf, partitions))
        yield from audit_staged(context, lake, [s.write for s in staged], audit_extra)
        for s in staged:
            lake.commit(s.write)
    except BaseException:
        for s in staged:
            lake.abort(s.write)  # no-op for a write already committed (its staging folder is gone)
        raise
    ended_at, part = now_utc(), partition_column(partitions[0])
    out: dict[str, list[OpsRecord]] = {}
    for s in staged:
        stats = [s.stats.get(p, {"rows": 0, "hash_sum": "0"}) for p in partitions]
        out[s.schema.asset] = [OpsRecord(
            asset=s.schema.asset, partition=p, run_id=context.run.run_id, started_at=started_at, ended_at=ended_at,
            rows_out=st["rows"], checksum=partition_checksum(s.schema, part, st["rows"], st["hash_sum"]),
            checksum_algorithm=SPARK_ALGORITHM, definition_version=definition_version,
            path=lake.partition_dir(s.schema.asset, p),
        ) for p, st in zip(partitions, stats)]
        append_ops_records(lake, out[s.schema.asset])
    return out


def publish_spark_frame(
    context: "dg.AssetExecutionContext", lake: Lake, schema: OutputSchema, sdf: "DataFrame", partitions: list[str],
    started_at: dt.datetime, definition_version: str, extra_metadata: dict | None = None,
    audit_extra: dict | None = None,
) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    """Write `sdf` as the given partitions of `schema.asset` (see `stage_spark_frame`): evaluations, then the materialization."""
    records = yield from publish_spark_frames(context, lake, [(schema, sdf)], partitions, started_at, definition_version,
                                              audit_extra)
    yield dg.MaterializeResult(metadata=materialization_metadata(records[schema.asset], schema, extra_metadata))


def _write_empty_partitions(lake: Lake, schema: OutputSchema, staging: str, partitions: list[str], part: str) -> None:
    """A zero-row Parquet file (the schema's columns) for each partition Spark wrote no file for."""
    columns = [pa.field(f.name, _ARROW_TYPES[f.dtype]) for f in schema.fields if f.name != part]
    for p in partitions:
        folder = f"{staging}/{part}={p}"
        lake.fs.makedirs(folder, exist_ok=True)
        with lake.fs.open(f"{folder}/part-00000-empty.parquet", "wb") as fh:
            pq.write_table(pa.schema(columns).empty_table(), fh)


def _staged_partitions(lake: Lake, staging: str) -> list[str]:
    if not lake.fs.isdir(staging):
        return []
    names = [p.rstrip("/").rsplit("/", 1)[-1] for p in lake.fs.ls(staging, detail=False)]
    return [n.split("=", 1)[1] for n in names if "=" in n]


def _tidy_staging(lake: Lake, staging: str) -> None:
    """Drop Hadoop's side files (`.crc` checksums, `_SUCCESS`) so only Parquet reaches the lake."""
    for path in lake.fs.glob(f"{staging}/*/.*.crc") + lake.fs.glob(f"{staging}/.*.crc") + lake.fs.glob(f"{staging}/_SUCCESS"):
        lake.fs.rm(path)

