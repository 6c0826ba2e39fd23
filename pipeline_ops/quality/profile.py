"""The per-partition profile table: one metrics pass per partition feeds every statistical check.

For each audited partition the audit computes the asset's profile metrics (row count, null share
of every nullable column, and the asset's own metrics: key sums, shares) in one DuckDB query over
the staged Parquet, and records them with the columns and types it saw. Rows are keyed by
partition date, so a backfill compares each day with the days before it, not with whatever ran
last. A metric a check found anomalous is stored with `flagged = true` and left out of later
baselines.

Layout: ``<lake>/_quality/profile/<asset>/<partition>.parquet`` with columns (metric, value, text,
flagged, run_id, computed_at). Re-run behaviour: re-auditing a partition replaces its file.
Query it as ``pipeline-ops sql "select * from read_parquet('<lake>/_quality/profile/*/*.parquet',
filename = true)"``.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline_ops.lake.storage import Lake

PROFILE_DIR = "_quality/profile"


@dataclass
class Profile:
    """What one partition of one asset looked like when it was audited."""

    metrics: dict[str, float] = field(default_factory=dict)
    schema: dict[str, str] = field(default_factory=dict)  # column -> type as DuckDB reads it
    flagged: set[str] = field(default_factory=set)


def _path(lake: Lake, asset: str, partition: str) -> str:
    return f"{lake.root.rstrip('/')}/{PROFILE_DIR}/{asset.replace('/', '__')}/{partition}.parquet"


def write_profile(lake: Lake, asset: str, partition: str, profile: Profile, run_id: str) -> None:
    """Replace the partition's profile (written to a temporary name, then renamed)."""
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    rows = [(m, float(v), None, m in profile.flagged) for m, v in sorted(profile.metrics.items())]
    rows += [(f"schema:{c}", math.nan, t, False) for c, t in profile.schema.items()]
    table = pa.table({
        "metric": [r[0] for r in rows], "value": [r[1] for r in rows], "text": [r[2] for r in rows],
        "flagged": [r[3] for r in rows], "run_id": [run_id] * len(rows), "computed_at": [now] * len(rows),
    })
    final = _path(lake, asset, partition)
    folder = final.rsplit("/", 1)[0]
    lake.fs.makedirs(folder, exist_ok=True)
    tmp = f"{folder}/.{uuid.uuid4().hex}.tmp"
    with lake.fs.open(tmp, "wb") as fh:
        pq.write_table(table, fh)
    lake.fs.mv(tmp, final)


def read_profile(lake: Lake, asset: str, partition: str) -> Profile | None:
    path = _path(lake, asset, partition)
    if not lake.fs.exists(path):
        return None
    table = pq.read_table(path, filesystem=lake.fs).to_pylist()
    profile = Profile()
    for row in table:
        if row["metric"].startswith("schema:"):
            profile.schema[row["metric"].removeprefix("schema:")] = row["text"]
        else:
            profile.metrics[row["metric"]] = row["value"]
            if row["flagged"]:
                profile.flagged.add(row["metric"])
    return profile
