"""Faults of the growth sources (accounts snapshot, subscription events) and of experiment assignments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline_ops.generate.common import day_seconds
from pipeline_ops.generate.faults.base import Fault, FaultContext, Frames, fresh_ids, pick, with_rows


def _active(accounts: pd.DataFrame) -> np.ndarray:
    return np.flatnonzero(accounts["status"].to_numpy() == "active")


def _accounts_missing_slice(frames: Frames, ctx: FaultContext) -> Frames:
    acc = frames.get("accounts")
    if acc is None or acc.empty:
        return frames
    active = _active(acc)
    lost = active[pick(len(active), 0.03, ctx.rng("accounts_missing_slice"), minimum=2)]
    return {**frames, "accounts": acc.drop(index=acc.index[lost]).reset_index(drop=True)}


def _duplicate_accounts_new_ids(frames: Frames, ctx: FaultContext) -> Frames:
    acc = frames.get("accounts")
    if acc is None or acc.empty:
        return frames
    active = _active(acc)
    copies = acc.iloc[active[pick(len(active), 0.03, ctx.rng("duplicate_accounts_new_ids"), minimum=2)]].copy()
    copies["account_id"] = fresh_ids(acc["account_id"], len(copies))
    return {**frames, "accounts": with_rows(acc, copies)}


def _accounts_repeated_id(frames: Frames, ctx: FaultContext) -> Frames:
    acc = frames.get("accounts")
    if acc is None or acc.empty:
        return frames
    active = _active(acc)
    copy = acc.iloc[active[pick(len(active), 0.005, ctx.rng("accounts_repeated_id"))]].copy()
    copy["licences"] = copy["licences"] + 1  # a second, different version of the same account
    copy["mrr"] = np.round(copy["licences"] * copy["price_per_licence"], 2)
    return {**frames, "accounts": with_rows(acc, copy)}


def _negative_licences(frames: Frames, ctx: FaultContext) -> Frames:
    acc = frames.get("accounts")
    if acc is None or acc.empty:
        return frames
    acc = acc.copy()
    active = _active(acc)
    rows = acc.index[active[pick(len(active), 0.01, ctx.rng("negative_licences"))]]
    acc.loc[rows, "licences"] = -acc.loc[rows, "licences"]
    acc.loc[rows, "mrr"] = -acc.loc[rows, "mrr"]
    return {**frames, "accounts": acc}


def _accounts_restated(frames: Frames, ctx: FaultContext) -> Frames:
    acc = frames.get("accounts")
    if acc is None or acc.empty:
        return frames
    acc = acc.copy()
    active = _active(acc)
    rows = acc.index[active[pick(len(active), 0.05, ctx.rng("accounts_restated"), minimum=3)]]
    acc.loc[rows, "licences"] = acc.loc[rows, "licences"] * 2
    acc.loc[rows, "mrr"] = np.round(acc.loc[rows, "licences"] * acc.loc[rows, "price_per_licence"], 2)
    return {**frames, "accounts": acc}


def _impossible_growth(frames: Frames, ctx: FaultContext) -> Frames:
    """Churn events for accounts the same day's snapshot still shows active with their seats."""
    events, acc = frames.get("subscription_events"), frames.get("accounts")
    if events is None or acc is None or acc.empty:
        return frames
    active = acc.iloc[_active(acc)]
    active = active[~active["account_id"].isin(set(events["account_id"]))]
    chosen = active.iloc[pick(len(active), 0.03, ctx.rng("impossible_growth"))]
    ts = (day_seconds(ctx.day) + 12 * 3600 + np.arange(len(chosen))).astype("datetime64[s]")
    churn = pd.DataFrame({
        "_idx": -1, "account_id": chosen["account_id"].to_numpy(), "event_type": "churn", "event_ts": ts,
        "plan_before": chosen["plan"].to_numpy(), "plan_after": None, "licences_before": chosen["licences"].to_numpy(),
        "licences_after": 0, "mrr_before": chosen["mrr"].to_numpy(), "mrr_after": 0.0,
        "currency": chosen["currency"].to_numpy(),
    })
    prefix = f"sev_{ctx.day:%Y%m%d}_"
    churn.insert(0, "event_id", [f"{prefix}{len(events) + i:05d}" for i in range(len(churn))])
    return {**frames, "subscription_events": with_rows(events, churn)}


def _duplicate_events_new_ids(frames: Frames, ctx: FaultContext) -> Frames:
    events = frames.get("subscription_events")
    if events is None or events.empty:
        return frames
    copies = events.iloc[pick(len(events), 0.05, ctx.rng("duplicate_subscription_events_new_ids"))].copy()
    copies["event_id"] = fresh_ids(events["event_id"], len(copies))
    return {**frames, "subscription_events": with_rows(events, copies)}


def _exclusions_dropped(frames: Frames, ctx: FaultContext) -> Frames:
    snap = frames.get("experiment_assignments")
    if snap is None or snap.empty:
        return frames
    return {**frames, "experiment_assignments": snap.assign(exclude_from_investor=False)}


def _unit_in_both_arms(frames: Frames, ctx: FaultContext) -> Frames:
    snap = frames.get("experiment_assignments")
    if snap is None or snap.empty:
        return frames
    copy = snap.iloc[pick(len(snap), 0.002, ctx.rng("assignment_unit_in_both_arms"))].copy()
    copy["variant"] = np.where(copy["variant"] == "control", "treatment", "control")
    return {**frames, "experiment_assignments": with_rows(snap, copy)}


def _unit_in_two_experiments(frames: Frames, ctx: FaultContext) -> Frames:
    snap = frames.get("experiment_assignments")
    if snap is None or snap.empty:
        return frames
    accounts = snap[snap["unit_type"] == "account"]
    experiments = sorted(set(accounts["experiment_id"]))
    if len(experiments) < 2:
        return frames
    first, other = accounts[accounts["experiment_id"] == experiments[0]], experiments[1]
    copy = first.iloc[pick(len(first), 0.01, ctx.rng("assignment_unit_in_two_experiments"))].copy()
    flag = bool(accounts.loc[accounts["experiment_id"] == other, "exclude_from_investor"].iloc[0])
    copy = copy.assign(experiment_id=other, exclude_from_investor=flag)
    return {**frames, "experiment_assignments": with_rows(snap, copy)}


_G, _GD = "growth_aggregate", "growth_daily"
_ACC = "stg_account_daily"
_EV = "stg_subscription_events_usd"
_EXP = "stg_experiment_assignments"
FAULTS = [
    Fault("accounts_missing_slice", "3 % of the active accounts (at least two) are missing from the day's snapshot "
          "(accounts must never disappear)", ("accounts",), _accounts_missing_slice, failure_mode="completeness-drop",
          runbook=_G, detected_by=(f"{_ACC}.accounts_complete",)),
    Fault("duplicate_accounts_new_ids", "3 % of the active accounts (at least two) appear a second time under a new "
          "account_id with the same name, plan, seats and signup time", ("accounts",), _duplicate_accounts_new_ids,
          failure_mode="duplicate-accounts", runbook=_G, detected_by=(f"{_ACC}.duplicate_accounts",)),
    Fault("accounts_repeated_id", "one active account_id (0.5 %, at least one) is listed twice in the snapshot with "
          "different seats", ("accounts",), _accounts_repeated_id, failure_mode="duplicate-accounts", runbook=_G,
          detected_by=(f"{_ACC}.landing_accounts_contract",)),
    Fault("negative_licences", "1 % of the active accounts (at least one) have negative licences and MRR",
          ("accounts",), _negative_licences, failure_mode="impossible-growth-counts", runbook=_G,
          detected_by=(f"{_ACC}.contract",)),
    Fault("accounts_restated", "the day's snapshot is re-delivered later with 5 % of the active accounts (at least "
          "three) at twice their seats and MRR; caught when the day is recomputed 3 days later", ("accounts",),
          _accounts_restated, failure_mode="accuracy-drift", runbook=_G,
          detected_by=("growth_aggregate.accuracy_drift",), lag_days=3,
          # profit_aggregate publishes the day's active accounts and licences too: they drifted as well.
          may_also_fail=("profit_aggregate.accuracy_drift",)),
    Fault("impossible_growth", "churn events for 3 % of the active accounts (at least one) that the same day's "
          "snapshot still shows active with their seats", ("subscription_events",), _impossible_growth,
          failure_mode="impossible-growth-counts", runbook=_G, reads=("accounts",),
          detected_by=(f"{_EV}.events_plausible",)),
    Fault("duplicate_subscription_events_new_ids", "5 % of the day's subscription events (at least one) are delivered "
          "again under a new event_id (same account, type, time and values)", ("subscription_events",),
          _duplicate_events_new_ids, failure_mode="duplicate-records", runbook=_G,
          detected_by=(f"{_EV}.duplicate_events",)),
    Fault("experiment_exclusions_dropped", "the day's assignments snapshot has exclude_from_investor = false on every "
          "row: the pricing and dogfood experiments' exclusions drop out, so their traffic would reach investors",
          ("experiment_assignments",), _exclusions_dropped, failure_mode="experiment-traffic-leak", runbook=_G,
          detected_by=(f"{_EXP}.exclusions_stable",)),
    Fault("assignment_unit_in_both_arms", "0.2 % of the day's assignments (at least one) are listed again with the "
          "other variant", ("experiment_assignments",), _unit_in_both_arms,
          failure_mode="experiment-assignment-mismatch", runbook=_GD,
          detected_by=(f"{_EXP}.landing_experiment_assignments_contract",)),
    Fault("assignment_unit_in_two_experiments", "1 % of one account experiment's units (at least one) are also "
          "listed in another account experiment (layers must be exclusive; every join on the unit would fan out)",
          ("experiment_assignments",), _unit_in_two_experiments, failure_mode="join-fan-out-or-null-explosion",
          runbook="profit_aggregate", guarded_by=(_EXP,)),
]
