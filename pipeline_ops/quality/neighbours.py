"""Another partition of an asset for checks that compare a day with the day before.

`partition_table(ctx, asset, partition)` is a DuckDB table expression (shaped like the staged
partition: no partition column) for the version of that partition a check should compare with:
the run's own staged files when the run stages it (in a backfill, day D-1 is staged, not yet
published, and is what will be published), else the published lake's files, else None (the lake
has no such partition yet: the first day of a lake, or a day that never published).
"""

from __future__ import annotations

from pipeline_ops.quality.audit import AuditContext


def partition_table(ctx: AuditContext, asset: str, partition: str) -> str | None:
    """`asset`'s `partition` as staged by this run, else as published, else None."""
    if asset == ctx.asset and partition in ctx.staged:
        return ctx.table(partition)
    folder = ctx.lake.partition_dir(asset, partition)
    if not ctx.lake.fs.isdir(folder):
        return None
    files = sorted(ctx.lake.fs.glob(f"{folder}/*.parquet"))
    if not files:
        return None
    return "read_parquet([" + ", ".join(f"'{f}'" for f in files) + "], union_by_name = true)"


def neighbour_rows(ctx: AuditContext, query: str, partition: str, other: str, asset: str | None = None) -> list[dict] | None:
    """`query` with `{t}` = the staged `partition` and `{y}` = `asset`'s `other` partition (None if absent)."""
    table = partition_table(ctx, asset or ctx.asset, other)
    if table is None:
        return None
    return ctx.rows(query.replace("{y}", table), partition)
