"""Run DuckDB SQL over pandas frames.

One thread per query on purpose: DuckDB's parallel float SUM depends on how rows are split across
threads, so the same input could give sums differing in the last bit and a re-run would change
the partition checksum. The inputs are small (a year is < 1 M rows), so one thread costs little.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd


def query(sql: str, **frames: pd.DataFrame) -> pd.DataFrame:
    con = duckdb.connect(config={"threads": 1})
    try:
        for name, frame in frames.items():
            con.register(name, frame)
        return con.execute(sql).df()
    finally:
        con.close()


def days_frame(days: list[dt.date]) -> pd.DataFrame:
    """The run's days as a one-column frame, so every day gets a row even without any input rows."""
    return pd.DataFrame({"date": pd.to_datetime([d.isoformat() for d in days]).astype("datetime64[ns]")})
