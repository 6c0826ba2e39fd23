"""The Spark twin of `publish_frame`, and reading lake partitions into Spark.

`publish_spark_frame` writes a Spark DataFrame with the same re-run behaviour as the pandas path:
conform to the output schema, write every partition into a fresh staging folder
(`df.write.partitionBy("date")`, Spark's layout = the lake's layout), checksum what was written,
swap the partitions into place with `Lake.commit`, append one ops record per partition and return
the same materialization metadata (`publish.materialization_metadata`).

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
from typing import TYPE_CHECKING

import dagster as dg

from pipeline_ops.lake.ops_log import OpsRecord, append_ops_records
from pipeline_ops.lake.publish import materialization_metadata, now_utc
from pipeline_ops.lake.schema import OutputSchema
from pipeline_ops.lake.storage import Lake, StagedWrite, partition_column

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SPARK_ALGORITHM = "sha256(columns, rows, sum of xxhash64(row, null flags))"
_SPARK_TYPES = {
    "string": "string",
    "int64": "bigint",
    "float64": "double",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}


def spark_schema(schema: OutputSchema):
    """The Spark StructType of an output schema (partition column included)."""
    from pyspark.sql import types as T

    return T.StructType.fromDDL(", ".join(f"`{f.name}` {_SPARK_TYPES[f.dtype]}" for f in schema.fields))


def require_utc(spark: "SparkSession") -> None:
    """Every day boundary is a UTC day: refuse to run in a session with another time zone."""
    tz = spark.conf.get("spark.sql.session.timeZone")
    if tz not in ("UTC", "Etc/UTC", "GMT", "Z"):
        raise RuntimeError(f"Spark session time zone is {tz!r}; pipeline_ops needs spark.sql.session.timeZone=UTC")


def conform_spark(schema: OutputSchema, sdf: "DataFrame") -> "DataFrame":
    """Select the schema's columns in order, cast to its types; raise naming any missing column."""
    from pyspark.sql import functions as F

    missing = [n for n in schema.names if n not in sdf.columns]
    if missing:
        raise ValueError(f"{schema.asset}: output is missing column(s) {missing} (schema: {schema.names})")
    return sdf.select(*[F.col(f.name).cast(_SPARK_TYPES[f.dtype]).alias(f.name) for f in schema.fields])


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


def read_lake_partitions(
    spark: "SparkSession", lake: Lake, schema: OutputSchema, partitions: list[str], required: bool = True
) -> "DataFrame":
    """Rows of `schema.asset` for the given partitions, partition column restored (typed by the schema).

    A missing partition folder raises FileNotFoundError naming it when `required`; otherwise it is
    skipped. An existing but empty folder (a partition with no rows) contributes no rows.
    """
    folders = []
    for p in partitions:
        if lake.has_partition(schema.asset, p):
            folders.append(lake.uri(lake.partition_dir(schema.asset, p)))
        elif required:
            raise FileNotFoundError(
                f"lake partition missing: {lake.partition_dir(schema.asset, p)} (asset {schema.asset!r} "
                f"partition {p}); materialize it first"
            )
    struct = spark_schema(schema)
    if not folders:
        return spark.createDataFrame([], struct)
    base = lake.uri(lake.table_dir(schema.asset))
    return spark.read.schema(struct).option("basePath", base).parquet(*folders).select(*schema.names)


def publish_spark_frame(
    context: "dg.AssetExecutionContext",
    lake: Lake,
    schema: OutputSchema,
    sdf: "DataFrame",
    partitions: list[str],
    started_at: dt.datetime,
    definition_version: str,
    extra_metadata: dict | None = None,
) -> dg.MaterializeResult:
    """Write `sdf` as the given partitions of `schema.asset` and return the materialization.

    Rows for a partition outside `partitions` (or with a null partition value), or nulls in a
    non-nullable column, abort the write: nothing is published.
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
        lake.commit(staged)
    except BaseException:
        lake.abort(staged)
        raise
    ended_at = now_utc()
    records = []
    for p in partitions:
        s = stats.get(p, {"rows": 0, "hash_sum": "0"})
        records.append(OpsRecord(
            asset=schema.asset, partition=p, run_id=context.run.run_id, started_at=started_at, ended_at=ended_at,
            rows_out=s["rows"], checksum=partition_checksum(schema, part, s["rows"], s["hash_sum"]),
            checksum_algorithm=SPARK_ALGORITHM, definition_version=definition_version,
            path=lake.partition_dir(schema.asset, p),
        ))
    append_ops_records(lake, records)
    return dg.MaterializeResult(metadata=materialization_metadata(records, schema, extra_metadata))


def _staged_partitions(lake: Lake, staging: str) -> list[str]:
    if not lake.fs.isdir(staging):
        return []
    names = [p.rstrip("/").rsplit("/", 1)[-1] for p in lake.fs.ls(staging, detail=False)]
    return [n.split("=", 1)[1] for n in names if "=" in n]


def _tidy_staging(lake: Lake, staging: str) -> None:
    """Drop Hadoop's side files (`.crc` checksums, `_SUCCESS`) so only Parquet reaches the lake."""
    for path in lake.fs.glob(f"{staging}/*/.*.crc") + lake.fs.glob(f"{staging}/.*.crc") + lake.fs.glob(f"{staging}/_SUCCESS"):
        lake.fs.rm(path)

