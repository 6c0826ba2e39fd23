"""`pipeline-ops sql` and `pipeline-ops tables`: query the lake with DuckDB."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    sql = sub.add_parser("sql", help="run a SQL query over the lake (one DuckDB view per asset)")
    sql.add_argument("query", help='e.g. "select * from profit_aggregate order by date desc limit 5"')
    sql.add_argument("--lake", help="lake URL (default: $PIPELINE_OPS_LAKE or data/lake)")
    sql.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sql.set_defaults(func=run_sql)
    tables = sub.add_parser("tables", help="list the lake's tables with partitions and rows")
    tables.add_argument("--lake", help="lake URL (default: $PIPELINE_OPS_LAKE or data/lake)")
    tables.set_defaults(func=list_tables)


def _lake(args: argparse.Namespace):
    from pipeline_ops import settings
    from pipeline_ops.lake.storage import Lake

    return Lake(args.lake or settings.lake_url())


def run_sql(args: argparse.Namespace) -> int:
    import duckdb

    from pipeline_ops.lake.duckdb_views import connect

    lake = _lake(args)
    try:
        frame = connect(lake).execute(args.query).df()
    except duckdb.Error as exc:
        print(f"pipeline-ops sql: {exc}\n(lake: {lake.url}; `pipeline-ops tables` lists the views)", file=sys.stderr)
        return 1
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(frame.to_json(orient="records", date_format="iso"))
    else:
        print(frame.to_string(index=False, max_rows=200))
    return 0


def list_tables(args: argparse.Namespace) -> int:
    from pipeline_ops.lake.duckdb_views import connect, lake_tables

    lake = _lake(args)
    con = connect(lake)
    for name in lake_tables(lake):
        rows = con.execute(f'select count(*) from "{name}"').fetchone()[0]
        print(f"{name:32} {len(lake.partitions(name)):6} partitions {rows:12} rows")
    return 0
