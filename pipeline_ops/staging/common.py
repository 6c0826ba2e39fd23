"""Helpers every staging and output asset shares: run days, folder days, FX conversion, guards.

Errors raised here are `DataContractError`s whose message names the file, day and key at fault,
so the failing step in the Dagster UI says what to fix without opening the code.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd

from pipeline_ops.partitions import partition_keys


class DataContractError(RuntimeError):
    """Landing or staged data breaks a rule the metrics depend on: the run fails closed."""


def run_days(context: dg.AssetExecutionContext) -> tuple[list[str], list[dt.date]]:
    """The run's partition keys and the same days as dates (one day, or a backfill range)."""
    keys = partition_keys(context)
    return keys, [dt.date.fromisoformat(k) for k in keys]


def folder_day(frame: pd.DataFrame) -> pd.Series:
    """The `date=YYYY-MM-DD` folder each row was read from (the reader's `_file`), as datetime64."""
    files = frame["_file"].astype(str)
    days = {f: f.rsplit("date=", 1)[1][:10] for f in files.unique()}
    return pd.to_datetime(files.map(days)).astype("datetime64[ns]")


def day_str(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def check_unique(frame: pd.DataFrame, keys: list[str], what: str) -> None:
    """Fan-out guard: raise naming up to 5 keys that occur more than once."""
    dup = frame[frame.duplicated(keys, keep=False)]
    if len(dup):
        sample = dup[keys].drop_duplicates().head(5).astype(str).to_dict("records")
        raise DataContractError(
            f"{what}: {len(dup)} row(s) share a key that must be unique on {keys} (a join fanned out or the "
            f"source repeats a key); first keys: {sample}"
        )


def attach_rate(frame: pd.DataFrame, rates: pd.DataFrame, what: str, day_col: str = "date") -> pd.Series:
    """USD per unit for every row of `frame`, by (day, currency) from stg_fx_rates.

    Never defaults a rate: a (day, currency) without one raises naming the rows' file when known.
    """
    lookup = rates.set_index(["date", "currency"])["usd_per_unit"]
    index = pd.MultiIndex.from_arrays([frame[day_col].astype("datetime64[ns]"), frame["currency"].astype(str)])
    rate = pd.Series(lookup.reindex(index).to_numpy(), index=frame.index, dtype="float64")
    missing = frame[rate.isna()]
    if len(missing):
        first = missing.iloc[0]
        where = f" in {first['_file']}" if "_file" in missing.columns else ""
        pairs = sorted({(day_str(d), str(c)) for d, c in zip(missing[day_col], missing["currency"])})[:5]
        raise DataContractError(
            f"{what}: no FX rate in stg_fx_rates for {len(missing)} row(s){where}; (day, currency) without a "
            f"rate: {pairs}. Rates are never defaulted: load the rates, or fix the currency code."
        )
    return rate


def check_folder_day(frame: pd.DataFrame, column: str, what: str) -> None:
    """The contract files a row in the folder of its UTC day: a row dated another day raises."""
    if not len(frame):
        return
    values = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None).dt.normalize()
    wrong = frame[values.astype("datetime64[ns]") != frame["date"]]
    if len(wrong):
        row = wrong.iloc[0]
        raise DataContractError(
            f"{row['_file']}: {len(wrong)} {what} row(s) dated outside their folder day {day_str(row['date'])} "
            f"(first: {column} = {row[column]}); the contract files each row under its own UTC day."
        )
