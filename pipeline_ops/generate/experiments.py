"""Experiment assignments: an end-of-day snapshot of every unit in a running experiment.

Experiments of one unit type are mutually exclusive (one "layer" per unit type, as experiment
platforms commonly run them): each unit draws one stable number per layer and each experiment owns
a disjoint slice of [0, 1), so a unit is in at most one account and one user experiment. Its arm is
a stable hash of (experiment, unit), so a unit keeps its arm from day to day. Units
already present when an experiment starts ramp in over its first week; later units are assigned at
signup. Assignments of churned accounts (and of users beyond their account's seats) drop out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline_ops.generate.common import DAY_S, day_seconds, prefixed_ids, stable_uniform


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    unit_type: str  # 'account' or 'user'
    start_offset_days: int  # relative to --start, so every generated range has running experiments
    share: float  # share of units enrolled
    exclude_from_investor: bool
    salt: int


EXPERIMENTS = (
    Experiment("exp_pricing_discount", "account", -45, 0.015, True, 101),  # non-list prices
    Experiment("exp_onboarding_checklist", "account", -20, 0.30, False, 202),
    Experiment("exp_new_dashboard", "user", -30, 0.25, False, 303),
    Experiment("exp_ai_assistant", "user", 10, 0.20, False, 404),
    Experiment("exp_dogfood_internal", "user", -90, 0.012, True, 505),  # internal dogfood users
)
RAMP_UP_S = 7 * DAY_S
LAYER_SALT = {"account": 11, "user": 13}


def _slices() -> dict[str, tuple[float, float]]:
    """Each experiment's disjoint slice [low, high) of its unit type's layer."""
    out, used = {}, {"account": 0.0, "user": 0.0}
    for exp in EXPERIMENTS:
        low = used[exp.unit_type]
        out[exp.experiment_id] = (low, low + exp.share)
        used[exp.unit_type] = low + exp.share
    assert max(used.values()) <= 1.0, "experiment shares of one unit type must sum to at most 1"
    return out


SLICES = _slices()


def assignments(day: dt.date, start: dt.date, company) -> pd.DataFrame:
    end_of_day = day_seconds(day) + DAY_S - 1
    frames = []
    for exp in EXPERIMENTS:
        exp_start = day_seconds(start + dt.timedelta(days=exp.start_offset_days)) + 9 * 3600
        if exp_start > end_of_day:
            continue
        if exp.unit_type == "account":
            units = np.flatnonzero(company.active)
            created = company.created_s[units]
        else:
            units = company.active_users()
            created = company.user_created_s[units]
        low, high = SLICES[exp.experiment_id]
        draw = stable_uniform(units, LAYER_SALT[exp.unit_type])
        enrolled = (draw >= low) & (draw < high)
        units, created = units[enrolled], created[enrolled]
        assigned = np.maximum(exp_start + (stable_uniform(units, exp.salt + 1) * RAMP_UP_S).astype(np.int64), created + 60)
        units, assigned = units[assigned <= end_of_day], assigned[assigned <= end_of_day]
        treatment = stable_uniform(units, exp.salt + 2) < 0.5
        ids = prefixed_ids("acc_", units + 1, 6) if exp.unit_type == "account" else prefixed_ids("usr_", units + 1, 7)
        frames.append(pd.DataFrame({
            "experiment_id": exp.experiment_id,
            "unit_type": exp.unit_type,
            "unit_id": ids,
            "variant": np.where(treatment, "treatment", "control").astype(object),
            "assigned_at": assigned.astype("datetime64[s]"),
            "exclude_from_investor": np.full(len(units), exp.exclude_from_investor),
        }))
    if not frames:
        return pd.DataFrame(columns=["experiment_id", "unit_type", "unit_id", "variant", "assigned_at", "exclude_from_investor"])
    return pd.concat(frames, ignore_index=True)
