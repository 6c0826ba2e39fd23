"""Pure functions behind the shared staging assets: validate FX rates, clean assignment snapshots.

Both fail closed: a rule broken in the landing data raises `DataContractError` naming the day, key
and file, and nothing is published.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline_ops.landing.contract import CURRENCIES
from pipeline_ops.staging.common import DataContractError, day_str, folder_day

ASSIGNMENT_KEY = ["date", "experiment_id", "unit_type", "unit_id"]


def stage_fx(raw: pd.DataFrame, days: list[dt.date]) -> pd.DataFrame:
    """The days' rates, one per (date, currency); raise on misaligned, duplicate, non-positive or missing rates."""
    fx = raw.assign(date=folder_day(raw), currency=raw["currency"].astype(str))
    rate_day = pd.to_datetime(fx["rate_date"]).astype("datetime64[ns]")
    misaligned = fx[rate_day != fx["date"]]
    if len(misaligned):
        row = misaligned.iloc[0]
        shift = (pd.Timestamp(row["rate_date"]) - row["date"]).days
        raise DataContractError(
            f"{row['_file']}: FX rates misaligned for day {day_str(row['date'])}: currency {row['currency']} has "
            f"rate_date {row['rate_date']} ({shift:+d} day(s)); {len(misaligned)} row(s) affected. rate_date must equal "
            "the folder day."
        )
    dup = fx[fx.duplicated(["date", "currency"], keep=False)]
    if len(dup):
        row = dup.iloc[0]
        raise DataContractError(
            f"{row['_file']}: duplicate FX rate for day {day_str(row['date'])}, currency {row['currency']} "
            f"({len(dup)} row(s) share a (rate_date, currency)); which one is right cannot be guessed."
        )
    bad = fx[~(fx["usd_per_unit"] > 0)]
    if len(bad):
        row = bad.iloc[0]
        raise DataContractError(
            f"{row['_file']}: FX rate for day {day_str(row['date'])}, currency {row['currency']} is "
            f"{row['usd_per_unit']} (must be > 0)."
        )
    for day in days:
        rows = fx[fx["date"] == pd.Timestamp(day)]
        missing = [c for c in CURRENCIES if c not in set(rows["currency"])]
        if missing:
            file = rows["_file"].iloc[0] if len(rows) else "(no rows)"
            raise DataContractError(
                f"{file}: FX rates for day {day} lack currency {', '.join(missing)} "
                f"(every contract currency {list(CURRENCIES)} needs a rate; rates are never defaulted)."
            )
    return fx[["date", "currency", "usd_per_unit"]].sort_values(["date", "currency"]).reset_index(drop=True)


def stage_assignments(raw: pd.DataFrame, days: list[dt.date]) -> tuple[pd.DataFrame, dict]:
    """Assignments in effect on each of `days`, deduplicated, at most one experiment per unit and unit_type.

    `raw` holds the landing snapshots of `days` and of the day before the first (when it exists): a
    unit in the previous end-of-day snapshot but in no experiment of its unit_type in the day's own
    (it left during the day, e.g. churned) keeps its previous assignment for that day, flagged `in_snapshot = false`, so its last day's
    revenue and churn land in its experiment and stay out of investor numbers when flagged.
    """
    snap = raw.assign(date=folder_day(raw))
    exact = snap.sort_values("assigned_at", kind="stable").drop_duplicates(
        [*ASSIGNMENT_KEY, "variant", "exclude_from_investor"]
    )
    conflict = exact[exact.duplicated(ASSIGNMENT_KEY, keep=False)]
    if len(conflict):
        row = conflict.iloc[0]
        arms = sorted(set(conflict.loc[conflict["unit_id"] == row["unit_id"], "variant"].astype(str)))
        raise DataContractError(
            f"{row['_file']}: {row['unit_type']} {row['unit_id']} has conflicting assignments in experiment "
            f"{row['experiment_id']} on {day_str(row['date'])} (variants {arms} or differing exclude_from_investor); "
            f"{conflict['unit_id'].nunique()} unit(s) affected."
        )
    targets = pd.to_datetime(pd.Series([d.isoformat() for d in days])).astype("datetime64[ns]")
    current = exact[exact["date"].isin(targets)].assign(in_snapshot=True)
    carried = exact.assign(date=exact["date"] + pd.Timedelta(days=1), in_snapshot=False)
    carried = carried[carried["date"].isin(targets)]
    # Only units absent from the whole day's snapshot (of their unit_type) are carried: a unit that
    # moved to another experiment is in its new one, so carrying the old one would double it.
    unit = ["date", "unit_type", "unit_id"]
    carried = carried.merge(current[unit].drop_duplicates(), on=unit, how="left", indicator=True)
    carried = carried[carried["_merge"] == "left_only"].drop(columns="_merge")
    out = pd.concat([current, carried], ignore_index=True)
    check_one_experiment_per_unit(out)
    stats = {"duplicates_dropped": int(len(snap) - len(exact)), "carried_over": int(len(carried))}
    return out.sort_values(ASSIGNMENT_KEY).reset_index(drop=True), stats


def check_one_experiment_per_unit(frame: pd.DataFrame) -> None:
    """A unit in two experiments of one unit_type on a day would fan out every join on the unit: raise."""
    unit = ["date", "unit_type", "unit_id"]
    over = frame[frame.duplicated(unit, keep=False)]
    if len(over):
        row = over.iloc[0]
        same = over[(over["unit_id"] == row["unit_id"]) & (over["date"] == row["date"])]
        raise DataContractError(
            f"{row['unit_type']} {row['unit_id']} is in more than one {row['unit_type']} experiment on "
            f"{day_str(row['date'])}: {sorted(set(same['experiment_id'].astype(str)))} (files: "
            f"{sorted(set(same['_file'].astype(str)))}); {over[unit].drop_duplicates().shape[0]} unit-day(s) "
            "affected. Joins on the unit would fan out: the experiment platform must keep them exclusive."
        )
