"""Read landing partitions into typed pandas frames, failing with errors that name the file.

Reading never modifies the landing zone. Columns are checked against the contract: a missing
column or a value that does not parse as the contract's type is an error naming the file and the
column; extra columns are ignored here (schema-drift checks report them).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from pipeline_ops.landing.contract import Source, source

ARROW_TYPES = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


class LandingError(RuntimeError):
    """A landing partition is missing or a file in it does not match the contract."""


def partition_folder(src: Source, day: dt.date) -> str:
    if src.cadence == "monthly":
        day = day.replace(day=1)
    return f"{src.name}/date={day.isoformat()}"


class LandingZone:
    """The landing zone at an fsspec URL (a local path by default)."""

    def __init__(self, url: str):
        self.url = url
        self.fs, self.root = fsspec.core.url_to_fs(url)

    def path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def files(self, source_name: str, day: dt.date, required: bool = True) -> list[str]:
        """Data files of one partition; a missing folder raises LandingError when `required`."""
        src = source(source_name)
        folder = self.path(partition_folder(src, day))
        if not self.fs.isdir(folder):
            if required:
                raise LandingError(
                    f"missing landing partition: {folder} does not exist "
                    f"(source {src.name!r}, day {day}; expected {src.file_format} files matching {src.file_glob!r})"
                )
            return []
        found = sorted(self.fs.glob(f"{folder}/{src.file_glob}"))
        if required and not found:
            raise LandingError(f"empty landing partition: {folder} has no files matching {src.file_glob!r}")
        return found

    def first_day(self, source_name: str) -> dt.date | None:
        """The earliest `date=` folder of a source (None when it has none): where its history starts."""
        src = source(source_name)
        folders = self.fs.glob(self.path(src.name, "date=*")) if self.fs.isdir(self.path(src.name)) else []
        days = sorted(f.rsplit("date=", 1)[1][:10] for f in folders)
        return dt.date.fromisoformat(days[0]) if days else None

    def read(self, source_name: str, days: Iterable[dt.date], required: bool = True) -> pd.DataFrame:
        """All rows of `source_name` for `days`, typed per the contract, with a `_file` column."""
        src = source(source_name)
        frames = []
        seen: set[str] = set()
        for day in days:
            for path in self.files(src.name, day, required=required):
                if path not in seen:  # monthly sources map many days to one folder
                    seen.add(path)
                    frames.append(self._read_file(src, path))
        if not frames:
            return empty_frame(src)
        return pd.concat(frames, ignore_index=True)

    def _read_file(self, src: Source, path: str) -> pd.DataFrame:
        with self.fs.open(path, "rb") as fh:
            raw = fh.read()
        if src.file_format == "csv":
            table = _parse_csv(src, path, raw)
        else:
            table = _parse_jsonl(src, path, raw)
        frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
        frame["_file"] = path
        return frame


def _parse_csv(src: Source, path: str, raw: bytes) -> pa.Table:
    header = raw.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split(",")
    missing = [c for c in src.column_names if c not in header]
    if missing:
        raise LandingError(f"{path}: missing column(s) {missing} (contract for {src.name!r} expects {src.column_names})")
    types = {c.name: ARROW_TYPES[c.dtype] for c in src.columns}
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            convert_options=pacsv.ConvertOptions(
                column_types=types, include_columns=src.column_names, strings_can_be_null=True,
                # Only an empty field is null: 'NA' is North America, not a missing value.
                null_values=[""], quoted_strings_can_be_null=False,
                true_values=["true", "True", "1"], false_values=["false", "False", "0"],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise LandingError(f"{path}: {_describe_arrow_error(src, header, str(exc))}") from None
    _check_nulls(src, path, table)
    return table


def _parse_jsonl(src: Source, path: str, raw: bytes) -> pa.Table:
    try:
        frame = pd.read_json(io.BytesIO(raw), lines=True, dtype=False)
    except ValueError as exc:
        raise LandingError(f"{path}: not valid JSON lines ({exc})") from None
    missing = [c for c in src.column_names if c not in frame.columns]
    if missing and len(frame):
        raise LandingError(f"{path}: missing field(s) {missing} (contract for {src.name!r} expects {src.column_names})")
    frame = frame.reindex(columns=src.column_names)
    for col in src.columns:
        if col.dtype == "timestamp":
            frame[col.name] = pd.to_datetime(frame[col.name], utc=True, errors="raise", format="ISO8601")
    schema = pa.schema([(c.name, ARROW_TYPES[c.dtype]) for c in src.columns])
    try:
        return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise LandingError(f"{path}: {exc}") from None


def _check_nulls(src: Source, path: str, table: pa.Table) -> None:
    for col in src.columns:
        if not col.nullable and table.column(col.name).null_count:
            raise LandingError(
                f"{path}: column {col.name!r} has {table.column(col.name).null_count} empty value(s); "
                f"the contract requires a {col.dtype} in every row"
            )


def _describe_arrow_error(src: Source, header: list[str], message: str) -> str:
    """Arrow names the CSV column by position; say its name and the contract's type instead."""
    match = re.search(r"column #(\d+)", message)
    if match and int(match.group(1)) < len(header):
        name = header[int(match.group(1))]
        if name in src.column_names:
            return f"column {name!r}: expected {src.column(name).dtype}: {message}"
    return message


def empty_frame(src: Source) -> pd.DataFrame:
    schema = pa.schema([(c.name, ARROW_TYPES[c.dtype]) for c in src.columns])
    frame = schema.empty_table().to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
    frame["_file"] = pd.Series(dtype="string")
    return frame
