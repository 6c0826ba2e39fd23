"""Serialise typed frames to the contract's file formats and write partition folders atomically.

A new folder is staged under a hidden temporary name next to it and renamed into place; an existing
folder (a re-run) gets each file written to a hidden temporary name in the folder and renamed over
the old one, and data files the new run did not produce are removed. Nothing is written outside
the landing root.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import posixpath
import uuid

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipeline_ops.generate.common import iso_millis, iso_seconds
from pipeline_ops.landing.contract import Source
from pipeline_ops.landing.reader import partition_folder

_NEEDS_QUOTING = r'[,"\r\n]'


def output_columns(src: Source, frame: pd.DataFrame) -> list[str]:
    """Contract columns in contract order, then any extra public columns (faults may add some)."""
    extra = [c for c in frame.columns if c not in src.column_names and not str(c).startswith("_")]
    return [c for c in src.column_names if c in frame.columns] + extra


def _text_column(src: Source, name: str, values: pd.Series, unit: str) -> pa.Array | np.ndarray:
    dtype = src.column(name).dtype if name in src.column_names else ""
    arr = values.to_numpy()
    if dtype == "timestamp" and np.issubdtype(arr.dtype, np.datetime64):
        return iso_millis(arr) if unit == "ms" else iso_seconds(arr)
    if dtype == "date" and np.issubdtype(arr.dtype, np.datetime64):
        out = np.datetime_as_string(arr.astype("datetime64[D]")).astype(object)
        out[np.isnat(arr)] = None
        return out
    return arr


def csv_bytes(src: Source, frame: pd.DataFrame) -> bytes:
    columns = output_columns(src, frame)
    data = {c: _text_column(src, c, frame[c], "s") for c in columns}
    table = pa.table({c: pa.array(v, from_pandas=True) if not isinstance(v, pa.Array) else v for c, v in data.items()})
    quote = any(
        pa.types.is_string(col.type) and pc.any(pc.match_substring_regex(col, _NEEDS_QUOTING)).as_py()
        for col in table.columns
    )
    header = (",".join(columns) + "\n").encode()
    if quote:  # rare: let pandas quote only the fields that need it
        out = table.to_pandas()
        for col in table.column_names:
            if pa.types.is_boolean(table.column(col).type):
                out[col] = out[col].map({True: "true", False: "false"})
        return header + out.to_csv(index=False, header=False, lineterminator="\n", na_rep="").encode()
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return header + buf.getvalue()


def _json_strings(values) -> pa.Array:
    """JSON string literals (null for missing), escaped by json.dumps only where needed."""
    arr = pa.array(values, type=pa.string(), from_pandas=True)
    if pc.any(pc.match_substring_regex(arr, r'["\\\x00-\x1f]')).as_py():
        return pa.array([None if v is None else json.dumps(v) for v in arr.to_pylist()], type=pa.string()).fill_null("null")
    return pc.fill_null(pc.binary_join_element_wise('"', arr, '"', ""), "null")


def jsonl_bytes(src: Source, frame: pd.DataFrame) -> bytes:
    """One JSON object per line, fields in contract order, timestamps ISO-8601 with milliseconds and 'Z'."""
    columns = output_columns(src, frame)
    parts: list = []
    for i, name in enumerate(columns):
        dtype = src.column(name).dtype if name in src.column_names else "string"
        parts.append(("{" if i == 0 else ",") + json.dumps(name) + ":")
        if dtype in ("int64", "float64") and not frame[name].isna().any():
            parts.append(pc.cast(pa.array(frame[name].to_numpy()), pa.string()))
        elif dtype == "bool" and not frame[name].isna().any():
            parts.append(pa.array(np.where(frame[name].to_numpy(dtype=bool), "true", "false")))
        else:
            parts.append(_json_strings(_text_column(src, name, frame[name], "ms")))
    if not len(frame):
        return b""
    lines = pc.binary_join_element_wise(*parts, "}\n", "")
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    if "_truncate" in frame.columns and frame["_truncate"].notna().any():
        lines = _truncated(lines, frame["_truncate"].to_numpy(dtype=float))
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:lines.offset + len(lines) + 1]
    return bytes(memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]])


def _truncated(lines: pa.Array, share: np.ndarray) -> pa.Array:
    """Lines cut to `share` of their length where `share` is set (a fault: a crashed exporter's lines)."""
    text = lines.to_pylist()
    for i in np.flatnonzero(~np.isnan(share)):
        text[i] = text[i][: max(1, int(len(text[i]) * share[i]))] + "\n"
    return pa.array(text, type=pa.string())


class LandingWriter:
    def __init__(self, url: str):
        self.url = url
        self.fs, self.root = fsspec.core.url_to_fs(url)
        self.root = self.root.rstrip("/")

    def write_partition(self, src: Source, day: dt.date, files: dict[str, bytes]) -> list[str]:
        """Write `files` (name -> bytes) as the partition folder of `src` for `day`; returns their paths."""
        folder = posixpath.join(self.root, partition_folder(src, day))
        tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        if not self.fs.isdir(folder):
            staging = posixpath.join(posixpath.dirname(folder), f".{posixpath.basename(folder)}.tmp-{tag}")
            try:
                self.fs.makedirs(staging, exist_ok=True)
                for name, data in files.items():
                    self.fs.pipe_file(posixpath.join(staging, name), data)
                self.fs.mv(staging, folder, recursive=True)
            finally:
                if self.fs.exists(staging):
                    self.fs.rm(staging, recursive=True)
        else:
            for name, data in files.items():
                tmp = posixpath.join(folder, f".{name}.tmp-{tag}")
                self.fs.pipe_file(tmp, data)
                self.fs.mv(tmp, posixpath.join(folder, name))
            stale = set(self.fs.glob(posixpath.join(folder, src.file_glob))) - {posixpath.join(folder, n) for n in files}
            for path in sorted(stale):
                self.fs.rm(path)
        return [posixpath.join(folder, name) for name in files]

    def remove_partition(self, src: Source, day: dt.date) -> bool:
        """Remove a partition folder this generator wrote earlier (a fault that withholds a partition)."""
        folder = posixpath.join(self.root, partition_folder(src, day))
        if self.fs.isdir(folder):
            self.fs.rm(folder, recursive=True)
            return True
        return False
