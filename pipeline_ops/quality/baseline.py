"""Robust same-weekday baselines and the two-gate anomaly test, in plain values.

For day D the baseline is the same weekday of the previous `weeks` weeks (D-7, D-14, ...), the
day under test and days already flagged left out. Centre and spread are the median and the MAD
(scaled by 1.4826, so it estimates a standard deviation for normal data): one bad day in the
history moves neither. A value is anomalous only when it passes two gates: statistically unusual
(|z| above the bound) *and* materially different (|relative change| above the percent bound), so
tiny absolute moves in a very stable series do not page anyone. With fewer than `min_points`
usable days the caller falls back to static bounds (`Baseline.method == "insufficient"`).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass

MAD_SCALE = 1.4826


@dataclass(frozen=True)
class Baseline:
    method: str  # "same_weekday_median_mad" or "insufficient"
    points: int
    median: float | None = None
    mad: float | None = None
    days: tuple[str, ...] = ()

    def z(self, value: float) -> float:
        """Robust z-score; infinite when the history is flat and the value differs from it."""
        if self.median is None:
            return 0.0
        spread = MAD_SCALE * (self.mad or 0.0)
        if spread == 0:
            return 0.0 if value == self.median else math.copysign(math.inf, value - self.median)
        return (value - self.median) / spread

    def pct(self, value: float) -> float:
        """Relative change from the median (infinite from a zero median to a non-zero value)."""
        if self.median is None:
            return 0.0
        if self.median == 0:
            return 0.0 if value == 0 else math.inf
        return (value - self.median) / abs(self.median)


def same_weekday_baseline(
    history: Mapping[dt.date, float], day: dt.date, weeks: int, min_points: int,
    flagged: frozenset[dt.date] = frozenset(),
) -> Baseline:
    """The baseline for `day` from `history` (day -> value), `day` itself and `flagged` days excluded."""
    picked = [
        (d, history[d])
        for d in (day - dt.timedelta(days=7 * k) for k in range(1, weeks + 1))
        if d in history and d not in flagged and history[d] is not None and not math.isnan(history[d])
    ]
    if len(picked) < min_points:
        return Baseline("insufficient", len(picked), days=tuple(d.isoformat() for d, _ in picked))
    values = [v for _, v in picked]
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    return Baseline("same_weekday_median_mad", len(picked), median, mad, tuple(d.isoformat() for d, _ in picked))


@dataclass(frozen=True)
class Gates:
    warn_z: float
    warn_pct: float
    error_z: float
    error_pct: float


def anomaly_level(baseline: Baseline, value: float, gates: Gates) -> str:
    """'pass', 'warn' or 'error' for `value` against `baseline` (both gates must be crossed)."""
    if baseline.median is None:
        return "pass"
    z, pct = abs(baseline.z(value)), abs(baseline.pct(value))
    if z > gates.error_z and pct > gates.error_pct:
        return "error"
    if z > gates.warn_z and pct > gates.warn_pct:
        return "warn"
    return "pass"


def psi(expected: Mapping[str, float], actual: Mapping[str, float], floor: float = 1e-4) -> float:
    """Population stability index between two distributions over the same bins (shares or counts).

    sum((a - e) * ln(a / e)) over bins, shares normalised, empty bins floored so the log is finite.
    Conventions: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major shift.
    """
    bins = sorted(set(expected) | set(actual))
    e_total = sum(expected.get(b, 0.0) for b in bins) or 1.0
    a_total = sum(actual.get(b, 0.0) for b in bins) or 1.0
    total = 0.0
    for b in bins:
        e = max(expected.get(b, 0.0) / e_total, floor)
        a = max(actual.get(b, 0.0) / a_total, floor)
        total += (a - e) * math.log(a / e)
    return total
