"""Pure functions behind the growth staging assets (pandas, vectorised over every day of a run)."""

from __future__ import annotations

import pandas as pd

from pipeline_ops.staging.common import attach_rate, check_folder_day, check_unique, folder_day

EXPERIMENT_COLUMNS = ["experiment_id", "variant", "exclude_from_investor"]


def account_assignments(assignments: pd.DataFrame) -> pd.DataFrame:
    """Account-level rows of stg_experiment_assignments keyed by (date, account_id)."""
    acc = assignments[assignments["unit_type"] == "account"]
    return acc.rename(columns={"unit_id": "account_id"})[["date", "account_id", *EXPERIMENT_COLUMNS]].astype(
        {"account_id": "string"}
    )


def with_experiment(frame: pd.DataFrame, assignments: pd.DataFrame, what: str, key: list[str]) -> pd.DataFrame:
    """Left-join the account's experiment fields for its day; unassigned = nulls and not excluded."""
    out = frame.astype({"account_id": "string"}).merge(account_assignments(assignments), on=["date", "account_id"], how="left")
    check_unique(out, key, f"{what} joined with account assignments")  # fan-out guard
    out["exclude_from_investor"] = out["exclude_from_investor"].astype("boolean").fillna(False).astype(bool)
    return out


def stage_account_daily(accounts: pd.DataFrame, assignments: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """One row per (date, account_id): snapshot + assignment in effect + MRR in USD + is_active."""
    acc = accounts.assign(date=folder_day(accounts))
    check_unique(acc, ["date", "account_id"], "accounts snapshot")
    out = with_experiment(acc, assignments, "accounts snapshot", ["date", "account_id"])
    out["mrr_usd"] = out["mrr"] * attach_rate(out, rates, "accounts snapshot (mrr)")
    out["is_active"] = (out["status"] == "active") & (out["licences"] > 0)
    return out


def stage_events(events: pd.DataFrame, assignments: pd.DataFrame, rates: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Events deduplicated by event_id within their day, deltas in USD at the day's rate, experiment fields."""
    ev = events.assign(date=folder_day(events))
    check_folder_day(ev, "event_ts", "subscription_events")
    deduped = ev.sort_values("event_ts", kind="stable").drop_duplicates(["date", "event_id"], keep="first")
    out = with_experiment(deduped, assignments, "subscription events", ["date", "event_id"])
    rate = attach_rate(out, rates, "subscription events")
    out["licence_delta"] = out["licences_after"] - out["licences_before"]
    out["mrr_before_usd"] = out["mrr_before"] * rate
    out["mrr_after_usd"] = out["mrr_after"] * rate
    out["mrr_delta_usd"] = (out["mrr_after"] - out["mrr_before"]) * rate
    return out, {"duplicates_dropped": int(len(ev) - len(deduped))}
