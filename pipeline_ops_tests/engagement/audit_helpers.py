"""Pure check tests without Spark: staged partitions written with pyarrow, audited as the asset would be.

`stage(...)` writes rows as one Parquet file per partition (the schema's columns and Parquet types,
timestamps in microseconds UTC, as Spark writes them); `publish(...)` writes the same into the lake
(a published input); `run(...)` runs every check of the asset on every staged partition in date
order, exactly as `quality.wap.audit_staged` does, and returns {(check name, partition): Outcome}.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline_ops.config import current_config
from pipeline_ops.lake.schema import OutputSchema
from pipeline_ops.lake.storage import Lake, partition_column
from pipeline_ops.quality.audit import AuditContext, audit
from pipeline_ops.quality.outcome import Outcome
from pipeline_ops.quality.registry import quality_of

ARROW = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
         "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC")}


def _table(schema: OutputSchema, rows: list[dict], part: str) -> pa.Table:
    fields = [pa.field(f.name, ARROW[f.dtype]) for f in schema.fields if f.name != part]
    return pa.Table.from_pylist(rows, schema=pa.schema(fields))


def _write(folder: Path, schema: OutputSchema, partition: str, rows: list[dict]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "part-00000.parquet"
    pq.write_table(_table(schema, rows, partition_column(partition)), path)
    return str(path)


def stage(root: Path, schema: OutputSchema, partitions: dict[str, list[dict]]) -> dict[str, list[str]]:
    """Staged files of each partition (under <root>/staged, outside the lake)."""
    return {p: [_write(root / "staged" / schema.asset / f"{partition_column(p)}={p}", schema, p, rows)]
            for p, rows in partitions.items()}


def publish(lake: Lake, schema: OutputSchema, partitions: dict[str, list[dict]]) -> None:
    for p, rows in partitions.items():
        _write(Path(lake.partition_dir(schema.asset, p)), schema, p, rows)


def run(lake: Lake, schema: OutputSchema, staged: dict[str, list[str]], extra: dict | None = None,
        ) -> dict[tuple[str, str], Outcome]:
    aq = quality_of(schema.asset)
    ctx = AuditContext(lake, schema.asset, aq.pipeline, staged, current_config(), extra)
    return {(r.check.name, r.partition): r.outcome for r in audit(ctx, aq.checks, aq.profile)}


def not_passing(results: dict[tuple[str, str], Outcome]) -> dict[tuple[str, str], str]:
    return {k: f"{o.level}: {o.summary}" for k, o in results.items() if o.level != "pass"}


def ts(day: str, seconds: float) -> dt.datetime:
    """`seconds` after midnight UTC of `day`."""
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc) + dt.timedelta(seconds=seconds)


def days_before(day: str, n: int) -> list[str]:
    d = dt.date.fromisoformat(day)
    return [(d - dt.timedelta(days=k)).isoformat() for k in range(n, 0, -1)]


def counts(clean: int, **kw: Any) -> dict[str, int]:
    """The click asset's per-day counts (events_asset._counts) with `clean` events and the given others."""
    out = {"malformed_lines": 0, "missing_event_id_lines": 0, "missing_user_id_lines": 0, "unparsable_ts_lines": 0,
           "impossible_ts_lines": 0, "duplicates_removed": 0, "too_late_events": 0, "bot_user_agent_events": 0,
           "bot_rate_events": 0, "bot_rate_users": 0, "clean_events": clean}
    out.update(kw)
    out["set_aside_lines"] = sum(v for k, v in out.items() if k.endswith("_lines") and k != "set_aside_lines")
    return out
