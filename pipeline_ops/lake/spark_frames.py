"""Spark and the lake's typed schemas: the Spark type of an output schema, conforming a frame
to it, reading lake partitions into Spark, and the UTC guard every Spark asset runs first.

pyspark is imported inside functions only, so importing this module never loads Spark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline_ops.lake.schema import OutputSchema
from pipeline_ops.lake.storage import Lake

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_SPARK_TYPES = {"string": "string", "int64": "bigint", "float64": "double", "bool": "boolean", "date": "date",
                "timestamp": "timestamp"}


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
