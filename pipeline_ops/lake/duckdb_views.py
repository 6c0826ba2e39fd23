"""DuckDB views over the lake, so a person can query any asset with SQL.

Each asset folder becomes a view of the same name (partition column restored from the folder
names); the ops table is the view ``ops_materializations``. Views read the files at query time:
nothing is copied, and a partition being re-written is seen whole or not at all.
"""

from __future__ import annotations

import duckdb

from pipeline_ops.lake.ops_log import OPS_TABLE
from pipeline_ops.lake.storage import Lake


def lake_tables(lake: Lake) -> list[str]:
    """Asset folders that hold at least one Parquet file."""
    if not lake.fs.isdir(lake.root):
        return []
    names = []
    for path in sorted(lake.fs.ls(lake.root, detail=False)):
        name = path.rstrip("/").rsplit("/", 1)[-1]
        if not name.startswith(("_", ".")) and lake.fs.glob(f"{path}/*=*/*.parquet"):
            names.append(name)
    return names


def connect(lake: Lake, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per lake table plus ``ops_materializations``."""
    con = duckdb.connect(database)
    for name in lake_tables(lake):
        pattern = lake.uri(f"{lake.table_dir(name)}/*=*/*.parquet").removeprefix("file://")
        con.execute(
            f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM '
            f"read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)"
        )
    ops = f"{lake.root.rstrip('/')}/{OPS_TABLE}"
    if lake.fs.glob(f"{ops}/*/*.parquet"):
        con.execute(
            "CREATE OR REPLACE VIEW ops_materializations AS SELECT * FROM "
            f"read_parquet('{ops}/*/*.parquet', union_by_name = true)"
        )
    return con
