"""The lake: whole-partition replace, nothing published on failure, order-free checksums."""

import os

import duckdb
import pandas as pd
import pytest

from pipeline_ops.lake.checksum import frame_checksum
from pipeline_ops.lake.duckdb_views import connect
from pipeline_ops.lake.publish import split_by_partition
from pipeline_ops.lake.storage import Lake


def day_frame(rows: list[tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime([d for d, _ in rows]), "x": [x for _, x in rows]})


def snapshot(root) -> dict[str, bytes]:
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = open(p, "rb").read()
    return out


def test_rewrite_replaces_partition_whole(tmp_path):
    lake = Lake(str(tmp_path))
    lake.commit(lake.stage_frames("t", split_by_partition(day_frame([("2025-01-01", 1), ("2025-01-01", 2)]), ["2025-01-01"])))
    lake.commit(lake.stage_frames("t", split_by_partition(day_frame([("2025-01-01", 9)]), ["2025-01-01"])))
    assert lake.read("t", ["2025-01-01"])["x"].tolist() == [9]
    assert lake.partitions("t") == ["2025-01-01"]


def test_failed_staging_publishes_nothing(tmp_path):
    lake = Lake(str(tmp_path))
    lake.commit(lake.stage_frames("t", split_by_partition(day_frame([("2025-01-01", 1)]), ["2025-01-01"])))
    before = snapshot(tmp_path / "t" / "date=2025-01-01")
    frames = {"2025-01-01": pd.DataFrame({"x": [5]}), "2025-01-02": pd.DataFrame({"x": [object()]})}
    with pytest.raises(Exception):
        lake.stage_frames("t", frames)  # second partition cannot be written as Parquet
    assert snapshot(tmp_path / "t" / "date=2025-01-01") == before
    assert lake.partitions("t") == ["2025-01-01"]
    assert not list((tmp_path / "t" / "_staging").glob("*"))


def test_rows_outside_requested_partitions_are_refused():
    with pytest.raises(ValueError, match="2025-01-03"):
        split_by_partition(day_frame([("2025-01-03", 1)]), ["2025-01-01"])


def test_empty_requested_partition_is_written_empty(tmp_path):
    lake = Lake(str(tmp_path))
    frames = split_by_partition(day_frame([("2025-01-01", 1)]), ["2025-01-01", "2025-01-02"])
    lake.commit(lake.stage_frames("t", frames))
    assert lake.partitions("t") == ["2025-01-01", "2025-01-02"]
    assert len(lake.read("t", ["2025-01-02"])) == 0


def test_checksum_ignores_row_order_but_not_values():
    a = pd.DataFrame({"k": ["a", "b", "c"], "v": [1.0, 2.0, 3.0]})
    assert frame_checksum(a) == frame_checksum(a.iloc[::-1])
    assert frame_checksum(a) != frame_checksum(a.assign(v=[1.0, 2.0, 3.5]))
    assert frame_checksum(a) != frame_checksum(a.iloc[:2])


def test_duckdb_views_read_what_pandas_wrote(tmp_path):
    lake = Lake(str(tmp_path))
    frame = day_frame([("2025-01-01", 1), ("2025-01-02", 2), ("2025-01-02", 3)])
    lake.commit(lake.stage_frames("t", split_by_partition(frame, ["2025-01-01", "2025-01-02"])))
    con = connect(lake)
    rows = con.execute("select date, sum(x) from t group by date order by date").fetchall()
    assert [(str(d)[:10], s) for d, s in rows] == [("2025-01-01", 1), ("2025-01-02", 5)]
    assert isinstance(con, duckdb.DuckDBPyConnection)
