"""What a catalogued fault is, what it sees of a generated day, and small helpers the faults share.

A *data* fault receives the day's frames, ``{source: DataFrame | None}``, and returns them changed.
Every source maps to the rows of its partition folder for that day, except ``click_events``, which
holds the deliveries of events that *happened* that day (each is filed later under its received
day, so a fault can make them late). Returning ``None`` for a source withholds that day's folder
(for ``click_events``: that day's deliveries are lost and its folder is not written). Returning the
key `EMPTY_DELIVERY` (any value) writes the day's click folder as one empty file: the exporter ran
and Kafka had nothing (the day's events, and earlier days' late deliveries due that day, are lost).
A private ``_truncate`` column on click rows (a share of the line's length) writes those lines
cut short, as a crashed exporter leaves them.

Other catalogue entries change no landing data: ``config`` faults are a config override the fault
matrix runs like a data fault; ``unit-test`` and ``ops`` entries name the failure modes no landing
data can produce and where they are covered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipeline_ops.generate.common import rng

Frames = dict[str, "pd.DataFrame | None"]
Kind = Literal["data", "config", "unit-test", "ops"]
EMPTY_DELIVERY = "click_events:empty_delivery"


@dataclass(frozen=True)
class FaultContext:
    """The day a fault is applied to and the generation it belongs to (for deterministic draws)."""

    day: dt.date
    seed: int
    start: dt.date | None = None
    scale: float = 1.0
    sources: frozenset[str] = frozenset()  # sources this generation writes

    def rng(self, fault_name: str) -> np.random.Generator:
        return rng(self.seed, self.day, f"fault:{fault_name}")


@dataclass(frozen=True)
class Fault:
    """One catalogued failure: how to cause it and which checks must catch it.

    - `failure_mode`: the ``### anchor`` of the section in ``runbooks/<runbook>.md`` that says what
      to do about it.
    - `detected_by`: ``"asset.check_name"`` of every check that must fail on the fault's partition
      (arrival checks are ``"landing/<source>.arrived"``). `may_also_fail`: checks that may
      legitimately fail too (not required; anything else failing is a false alarm).
    - `guarded_by`: assets whose own code fails closed on the fault (a failed step naming the file
      and rows, no check result), also required.
    - `lag_days`: the checks run this many days after the fault's day (a later recomputation).
    - `reads`: sources the fault reads but never changes (built for it, not written).
    - config faults: `config` is the override (nested mapping) and `assets` the assets it changes.
    - `covered_by`: for unit-test and ops entries, the tests or mechanisms that cover them.
    - `limit`: set when no check can claim the fault (why: e.g. it is inside the data's own noise);
      the fault matrix then asserts that no check fails on it (no false alarm) and reports it.
    """

    name: str
    description: str
    sources: tuple[str, ...]
    apply: Callable[[Frames, FaultContext], Frames] | None
    _: KW_ONLY
    failure_mode: str
    runbook: str
    detected_by: tuple[str, ...] = ()
    kind: Kind = "data"
    may_also_fail: tuple[str, ...] = ()
    guarded_by: tuple[str, ...] = ()
    lag_days: int = 0
    reads: tuple[str, ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict)
    assets: tuple[str, ...] = ()
    covered_by: tuple[str, ...] = ()
    limit: str = ""

    @property
    def runbook_anchor(self) -> str:
        return f"runbooks/{self.runbook}.md#{self.failure_mode}"


def pick(n: int, share: float, gen: np.random.Generator, minimum: int = 1) -> np.ndarray:
    """Sorted positions of round(share * n) of n rows (at least `minimum`, at most n), drawn at random."""
    k = min(n, max(minimum, int(round(share * n))))
    return np.sort(gen.choice(n, k, replace=False)) if k else np.zeros(0, dtype=np.int64)


def fresh_ids(like: pd.Series, count: int) -> list[str]:
    """`count` new identifiers in the style of `like` ('inv_20250205_000003' -> 'inv_20250205_900000', ...).

    Same prefix (up to the last '_') and digit width; numbers from 9 x 10^(width-1), far above any
    counter the generator reaches, so they never collide with a real id of the day.
    """
    sample = str(like.iloc[0])
    prefix, _, digits = sample.rpartition("_")
    width = max(len(digits), 6)
    base = 9 * 10 ** (width - 1)
    return [f"{prefix}_{base + i:0{width}d}" for i in range(count)]


def with_rows(frame: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """`frame` with `extra` appended (a re-export appends; dtypes of `frame` kept where possible)."""
    return pd.concat([frame, extra], ignore_index=True)
