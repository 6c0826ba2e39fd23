"""Faults any landing source can suffer: a partition that never arrives, and schema drift."""

from __future__ import annotations

import numpy as np

from pipeline_ops.generate.faults.base import Fault, FaultContext, Frames, pick

# The staging asset that reads each source and the runbook of its pipeline.
READER = {
    "fx_rates": ("stg_fx_rates", "profit_aggregate"),
    "revenue": ("stg_revenue_usd", "profit_aggregate"),
    "expenses": ("stg_costs_usd", "profit_aggregate"),
    "salaries": ("stg_costs_usd", "profit_aggregate"),
    "accounts": ("stg_account_daily", "growth_aggregate"),
    "subscription_events": ("stg_subscription_events_usd", "growth_aggregate"),
    "experiment_assignments": ("stg_experiment_assignments", "growth_daily"),
    "click_events": ("stg_click_events", "engagement_aggregate"),
}


def _withhold(source: str):
    def apply(frames: Frames, ctx: FaultContext) -> Frames:
        # A monthly source has no frame on most days, but withholding removes the month's folder.
        if source in frames or source in ctx.sources:
            return {**frames, source: None}
        return frames

    return apply


def missing_partition(source: str) -> Fault:
    """The source's folder for the day never arrives (for salaries: the month's folder)."""
    asset, runbook = READER[source]
    if source == "click_events":  # JSON lines have no landing-contract check: the reader fails closed
        detected, guarded = ("landing/click_events.arrived",), (asset,)
    else:
        detected, guarded = (f"landing/{source}.arrived", f"{asset}.landing_{source}_contract"), ()
    if source == "fx_rates":
        detected += ("stg_fx_rates.fx_rates_complete",)
    what = "the month's salaries folder" if source == "salaries" else f"the day's {source} folder"
    name = {"fx_rates": "missing_fx_partition", "click_events": "missing_click_partition"}.get(
        source, f"missing_{source}_partition")
    return Fault(name, f"{what} is not delivered", (source,), _withhold(source),
                 failure_mode="late-upstream-partition", runbook=runbook, detected_by=detected, guarded_by=guarded)


def _schema_new_column(frames: Frames, ctx: FaultContext) -> Frames:
    docs = frames.get("revenue")
    if docs is None:
        return frames
    return {**frames, "revenue": docs.assign(source_system="billing-v2")}


def _int_widened_to_decimal(frames: Frames, ctx: FaultContext) -> Frames:
    acc = frames.get("accounts")
    if acc is None:
        return frames
    return {**frames, "accounts": acc.assign(licences=[f"{v:.1f}" for v in acc["licences"].tolist()])}


def _nullability_flip(frames: Frames, ctx: FaultContext) -> Frames:
    snap = frames.get("experiment_assignments")
    if snap is None or snap.empty:
        return frames
    snap = snap.copy()
    rows = snap.index[pick(len(snap), 0.10, ctx.rng("nullability_flip"))]
    snap["assigned_at"] = snap["assigned_at"].astype("datetime64[s]")
    snap.loc[rows, "assigned_at"] = np.datetime64("NaT")
    return {**frames, "experiment_assignments": snap}


FAULTS = [
    *(missing_partition(s) for s in READER),
    Fault("schema_new_column", "the revenue file gains a column ('source_system') the contract does not have",
          ("revenue",), _schema_new_column, failure_mode="schema-drift", runbook="profit_aggregate",
          detected_by=("stg_revenue_usd.landing_revenue_contract",)),
    Fault("int_widened_to_decimal", "the accounts snapshot writes the integer licences as decimals ('12.0')",
          ("accounts",), _int_widened_to_decimal, failure_mode="schema-drift", runbook="growth_aggregate",
          detected_by=("stg_account_daily.landing_accounts_contract",)),
    Fault("nullability_flip", "the required assigned_at of 10 % of the day's assignments (at least one) arrives empty",
          ("experiment_assignments",), _nullability_flip, failure_mode="schema-drift", runbook="growth_daily",
          detected_by=("stg_experiment_assignments.landing_experiment_assignments_contract",)),
]
