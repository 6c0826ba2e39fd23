"""The partitioned lake: one folder per asset, one Hive-style folder per partition, Parquet inside.

Layout: ``<PIPELINE_OPS_LAKE>/<asset>/<column>=<value>/part-*.parquet`` where column is ``date``
(daily assets, value YYYY-MM-DD) or ``month`` (monthly, YYYY-MM). The partition column lives in
the folder name only (Spark's convention), so pandas, DuckDB (``hive_partitioning``) and Spark
all read the same files.

Re-run behaviour: a write stages every partition under ``<asset>/_staging/<uuid>/`` first and only
then swaps each staged folder into place, so a failed run publishes nothing and a re-run replaces
a partition whole (never duplicates). A reader sees the old partition, the new one, or for the
instant between two renames none; never a mix. Folders starting with ``_`` are not data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def partition_column(partition: str) -> str:
    """'2025-01-31' -> 'date'; '2025-01' -> 'month'."""
    if len(partition) == 10:
        return "date"
    if len(partition) == 7:
        return "month"
    raise ValueError(f"unsupported partition key {partition!r} (expected YYYY-MM-DD or YYYY-MM)")


@dataclass(frozen=True)
class StagedWrite:
    """Partitions written to a staging folder, not yet visible to readers."""

    asset: str
    staging_dir: str
    partitions: tuple[str, ...]


class Lake:
    """The lake at an fsspec URL (a local path by default)."""

    def __init__(self, url: str):
        self.url = url
        self.fs, self.root = fsspec.core.url_to_fs(url)

    # -- paths ---------------------------------------------------------------------------------
    def table_dir(self, asset: str) -> str:
        return f"{self.root.rstrip('/')}/{asset}"

    def partition_dir(self, asset: str, partition: str) -> str:
        return f"{self.table_dir(asset)}/{partition_column(partition)}={partition}"

    def uri(self, path: str) -> str:
        """A URL Spark and DuckDB understand for a path of this lake."""
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        return f"file://{path}" if protocol in ("file", "local") else f"{protocol}://{path}"

    def new_staging_dir(self, asset: str) -> str:
        return f"{self.table_dir(asset)}/_staging/{uuid.uuid4().hex}"

    # -- writing -------------------------------------------------------------------------------
    def stage_frames(self, asset: str, frames: dict[str, pd.DataFrame]) -> StagedWrite:
        """Write one Parquet file per partition into a fresh staging folder."""
        staging = self.new_staging_dir(asset)
        try:
            for partition, frame in frames.items():
                folder = f"{staging}/{partition_column(partition)}={partition}"
                self.fs.makedirs(folder, exist_ok=True)
                table = pa.Table.from_pandas(frame, preserve_index=False)
                with self.fs.open(f"{folder}/part-00000.parquet", "wb") as fh:
                    pq.write_table(table, fh, compression="zstd")
        except BaseException:
            self.fs.rm(staging, recursive=True)
            raise
        return StagedWrite(asset, staging, tuple(frames))

    def commit(self, staged: StagedWrite) -> None:
        """Swap every staged partition into place, replacing what was there."""
        trash = f"{self.table_dir(staged.asset)}/_trash/{uuid.uuid4().hex}"
        for partition in staged.partitions:
            final = self.partition_dir(staged.asset, partition)
            source = f"{staged.staging_dir}/{partition_column(partition)}={partition}"
            if not self.fs.exists(source):  # Spark writes no folder for an empty partition
                self.fs.makedirs(source, exist_ok=True)
            if self.fs.exists(final):
                self.fs.makedirs(trash, exist_ok=True)
                self.fs.mv(final, f"{trash}/{partition_column(partition)}={partition}", recursive=True)
            self.fs.mv(source, final, recursive=True)
        for leftover in (trash, staged.staging_dir):
            if self.fs.exists(leftover):
                self.fs.rm(leftover, recursive=True)

    def abort(self, staged: StagedWrite) -> None:
        if self.fs.exists(staged.staging_dir):
            self.fs.rm(staged.staging_dir, recursive=True)

    # -- reading -------------------------------------------------------------------------------
    def has_partition(self, asset: str, partition: str) -> bool:
        return self.fs.isdir(self.partition_dir(asset, partition))

    def partitions(self, asset: str) -> list[str]:
        """Partition keys present for `asset`, sorted."""
        if not self.fs.isdir(self.table_dir(asset)):
            return []
        names = [p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self.table_dir(asset), detail=False)]
        return sorted(n.split("=", 1)[1] for n in names if "=" in n and not n.startswith("_"))

    def read(self, asset: str, partitions: Iterable[str], required: bool = True) -> pd.DataFrame:
        """Rows of the given partitions with the partition column restored (date as datetime64)."""
        frames = []
        for partition in partitions:
            folder = self.partition_dir(asset, partition)
            if not self.fs.isdir(folder):
                if required:
                    raise FileNotFoundError(
                        f"lake partition missing: {folder} (asset {asset!r} partition {partition}); "
                        "materialize it first"
                    )
                continue
            files = sorted(self.fs.glob(f"{folder}/*.parquet"))
            if not files:
                continue
            table = pa.concat_tables([pq.read_table(f, filesystem=self.fs) for f in files])
            frame = table.to_pandas()
            column = partition_column(partition)
            frame[column] = pd.Timestamp(partition) if column == "date" else partition
            frames.append(frame)
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)
