"""The ops table: one row per partition written, kept in the lake beside the data.

Plan 002's "run artefacts" (run_id, started_at, ended_at, records_out, checksum) live at
``<lake>/_ops/materializations/<asset>/<run_id>-<n>.parquet``: append-only, one small file per
publish, so concurrent runs never contend. Query it as the DuckDB view ``ops_materializations``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline_ops.lake.storage import Lake

OPS_TABLE = "_ops/materializations"


@dataclass(frozen=True)
class OpsRecord:
    asset: str
    partition: str
    run_id: str
    started_at: dt.datetime
    ended_at: dt.datetime
    rows_out: int
    checksum: str
    checksum_algorithm: str
    definition_version: str
    path: str


def append_ops_records(lake: Lake, records: list[OpsRecord]) -> str:
    """Write the records as one new file; returns its path."""
    if not records:
        return ""
    folder = f"{lake.root.rstrip('/')}/{OPS_TABLE}/{records[0].asset}"
    lake.fs.makedirs(folder, exist_ok=True)
    path = f"{folder}/{records[0].run_id}-{uuid.uuid4().hex[:8]}.parquet"
    table = pa.Table.from_pandas(pd.DataFrame([asdict(r) for r in records]), preserve_index=False)
    with lake.fs.open(path, "wb") as fh:
        pq.write_table(table, fh)
    return path


def read_ops_records(lake: Lake, asset: str | None = None) -> pd.DataFrame:
    pattern = f"{lake.root.rstrip('/')}/{OPS_TABLE}/{asset or '*'}/*.parquet"
    files = sorted(lake.fs.glob(pattern))
    if not files:
        return pd.DataFrame(columns=list(OpsRecord.__dataclass_fields__))
    return pd.concat([pq.read_table(f, filesystem=lake.fs).to_pandas() for f in files], ignore_index=True)
