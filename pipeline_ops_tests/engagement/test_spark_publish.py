"""publish_spark_frame / read_lake_partitions: whole-partition writes, guards, empty partitions, checksums."""

import datetime as dt
import types

import pytest

from pipeline_ops.lake.ops_log import read_ops_records
from pipeline_ops.lake.schema import Field, OutputSchema
from pipeline_ops.lake.spark_frames import read_lake_partitions
from pipeline_ops.lake.spark_publish import SPARK_ALGORITHM, publish_spark_frame
from pipeline_ops.lake.storage import Lake

pytestmark = pytest.mark.spark

SCHEMA = OutputSchema("t_spark", "test", (
    Field("k", "string", "key"), Field("v", "float64", "value", nullable=True), Field("date", "date", "day"),
))
CTX = types.SimpleNamespace(run=types.SimpleNamespace(run_id="run-1"), selected_asset_check_keys=frozenset())


def publish(*args):
    """publish_spark_frame is a generator (check evaluations, then the materialization): run it, return the last."""
    return list(publish_spark_frame(*args))[-1]
NOW = dt.datetime(2025, 3, 5, tzinfo=dt.timezone.utc)


def _frame(spark, rows):
    return spark.createDataFrame(rows, "k string, v double, date date")


def test_publish_checksum_is_order_independent_and_empty_partitions_exist(spark, tmp_path):
    lake = Lake(str(tmp_path))
    rows = [("a", 1.0, dt.date(2025, 3, 2)), ("b", None, dt.date(2025, 3, 2)), ("c", 3.0, dt.date(2025, 3, 2))]
    days = ["2025-03-02", "2025-03-03"]
    result = publish(CTX, lake, SCHEMA, _frame(spark, rows), days, NOW, "v1")
    assert result.metadata["dagster/row_count"] == 3 and result.metadata["checksum_algorithm"] == SPARK_ALGORITHM
    publish(CTX, lake, SCHEMA, _frame(spark, rows[::-1]).repartition(3), days, NOW, "v1")
    ops = read_ops_records(lake)
    assert ops.groupby("partition")["checksum"].nunique().tolist() == [1, 1]  # same rows -> same checksum
    assert ops.set_index("partition")["rows_out"].to_dict() == {"2025-03-02": 3, "2025-03-03": 0}
    assert lake.has_partition("t_spark", "2025-03-03")  # committed empty: "no rows", not "not run"
    back = read_lake_partitions(spark, lake, SCHEMA, days + ["2025-03-04"], required=False)
    assert sorted(r["k"] for r in back.collect()) == ["a", "b", "c"]
    assert sorted(p.name for p in (tmp_path / "t_spark").iterdir() if not p.name.startswith("_")) == [
        "date=2025-03-02", "date=2025-03-03"]
    files = [p.name for p in (tmp_path / "t_spark").rglob("*") if p.is_file()]
    assert files and all(f.endswith(".parquet") for f in files)  # no .crc / _SUCCESS side files
    with pytest.raises(FileNotFoundError, match="t_spark/date=2025-03-04"):
        read_lake_partitions(spark, lake, SCHEMA, ["2025-03-04"])


def test_rows_outside_the_partitions_or_nulls_publish_nothing(spark, tmp_path):
    lake = Lake(str(tmp_path))
    stray = _frame(spark, [("a", 1.0, dt.date(2025, 3, 2)), ("b", 1.0, dt.date(2025, 3, 9))])
    with pytest.raises(ValueError, match="outside the requested"):
        publish(CTX, lake, SCHEMA, stray, ["2025-03-02"], NOW, "v1")
    nulls = _frame(spark, [(None, 1.0, dt.date(2025, 3, 2))])
    with pytest.raises(ValueError, match="non-nullable"):
        publish(CTX, lake, SCHEMA, nulls, ["2025-03-02"], NOW, "v1")
    assert lake.partitions("t_spark") == [] and not list((tmp_path / "t_spark" / "_staging").iterdir())
