"""Named faults injected into one generated day before it is written.

A fault receives the day's frames, ``{source: DataFrame | None}``, and returns them changed. Every
source maps to the rows of its partition folder for that day, except ``click_events``, which holds
the deliveries of events that *happened* that day (each is filed later under its received day, so a
fault can make them late). Returning ``None`` for a source withholds that day's folder (for
``click_events``: that day's deliveries are lost and its folder is not written).

Add a fault by defining a function and registering a `Fault` in `FAULTS`; `pipeline-ops generate
--fault NAME[@YYYY-MM-DD]` applies it (without a date: to the last generated day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline_ops.generate.common import rng

Frames = dict[str, "pd.DataFrame | None"]


@dataclass(frozen=True)
class FaultContext:
    day: dt.date
    seed: int

    def rng(self, fault_name: str) -> np.random.Generator:
        return rng(self.seed, self.day, f"fault:{fault_name}")


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    sources: tuple[str, ...]
    apply: Callable[[Frames, FaultContext], Frames]


def _missing_fx_partition(frames: Frames, ctx: FaultContext) -> Frames:
    return {**frames, "fx_rates": None} if "fx_rates" in frames else frames


def _duplicate_click_deliveries(frames: Frames, ctx: FaultContext) -> Frames:
    clicks = frames.get("click_events")
    if clicks is None or clicks.empty:
        return frames
    gen = ctx.rng("duplicate_click_deliveries")
    originals = clicks.drop_duplicates("event_id")
    extra = originals[gen.random(len(originals)) < 0.20].copy()
    received = extra["received_ts"].to_numpy().astype("datetime64[ms]")
    end_of_received_day = received.astype("datetime64[D]") + np.timedelta64(1, "D") - np.timedelta64(1, "ms")
    redelivery = gen.integers(0, 120_000, len(extra)).astype("timedelta64[ms]")
    extra["received_ts"] = np.minimum(received + redelivery, end_of_received_day)  # same folder as the original
    return {**frames, "click_events": pd.concat([clicks, extra], ignore_index=True)}


def _late_partition(frames: Frames, ctx: FaultContext) -> Frames:
    clicks = frames.get("click_events")
    if clicks is None or clicks.empty:
        return frames
    gen = ctx.rng("late_partition")
    clicks = clicks.copy()
    lag = gen.integers(49 * 3_600_000, 72 * 3_600_000, len(clicks)).astype("timedelta64[ms]")
    clicks["received_ts"] = clicks["event_ts"].to_numpy().astype("datetime64[ms]") + lag
    return {**frames, "click_events": clicks}


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in [
        Fault("missing_fx_partition", "the day's fx_rates folder is not delivered", ("fx_rates",), _missing_fx_partition),
        Fault(
            "duplicate_click_deliveries",
            "20% of the day's click events are delivered a second time (same event_id, new offset, same folder)",
            ("click_events",), _duplicate_click_deliveries,
        ),
        Fault(
            "late_partition",
            "every click event of the day is delivered 49-72 h after it happened (beyond the 48 h SLA), "
            "so the day's folder holds only earlier days' late arrivals",
            ("click_events",), _late_partition,
        ),
    ]
}


def parse_fault(spec: str, start: dt.date, end: dt.date) -> tuple[Fault, dt.date]:
    """'NAME' or 'NAME@YYYY-MM-DD' -> (fault, day); without a date the last generated day."""
    name, _, when = spec.partition("@")
    if name not in FAULTS:
        raise ValueError(f"unknown fault {name!r} (known: {', '.join(sorted(FAULTS))})")
    try:
        day = dt.date.fromisoformat(when) if when else end
    except ValueError:
        raise ValueError(f"fault {spec!r}: expected NAME@YYYY-MM-DD") from None
    if not start <= day <= end:
        raise ValueError(f"fault {spec!r}: {day} is outside the generated range {start}..{end}")
    return FAULTS[name], day
