"""Reading exactly the partitions a profit check needs, staged or published, with DuckDB.

A check of day D reads a handful of days of its inputs (D's snapshot, the 32 days of documents
before D). Going through the lake's views would list every partition of the table on each query;
these helpers name the partition folders instead. Days of the asset under audit that belong to the
run are read from their *staged* files (a single-run backfill publishes all its days at the end,
so day D-1 of the same run is not in the lake yet); other days from the published lake.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipeline_ops.quality.audit import AuditContext


def published_files(ctx: AuditContext, asset: str, partitions: list[str]) -> list[str]:
    lake = ctx.lake
    files: list[str] = []
    for p in partitions:
        folder = lake.partition_dir(asset, p)
        if lake.fs.isdir(folder):
            files += sorted(lake.fs.glob(f"{folder}/*.parquet"))
    return files


def table(ctx: AuditContext, asset: str, partitions: list[str], columns: str = "*") -> str | None:
    """A SELECT of `columns` plus `date` (DATE) over those partitions of `asset`; None when none exists.

    For the asset under audit, partitions of the run come from the staging area, others from the lake.
    """
    staged = [p for p in partitions if asset == ctx.asset and p in ctx.staged]
    parts = [f"SELECT {columns}, DATE '{p}' AS date FROM {ctx.table(p)}" for p in staged]
    files = published_files(ctx, asset, [p for p in partitions if p not in staged])
    if files:
        listed = ", ".join(f"'{ctx.lake.uri(f).removeprefix('file://')}'" for f in files)
        parts.append(f"SELECT {columns} EXCLUDE (date), date::DATE AS date FROM read_parquet([{listed}], "
                     "hive_partitioning = true, union_by_name = true)" if columns == "*" else
                     f"SELECT {columns}, date::DATE AS date FROM read_parquet([{listed}], hive_partitioning = true, "
                     "union_by_name = true)")
    return " UNION ALL BY NAME ".join(f"({p})" for p in parts) if parts else None


def days(first: dt.date, last: dt.date) -> list[str]:
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def query(ctx: AuditContext, sql: str) -> list[dict[str, Any]]:
    rel = ctx.con.sql(sql)
    return [dict(zip(rel.columns, r)) for r in rel.fetchall()]
