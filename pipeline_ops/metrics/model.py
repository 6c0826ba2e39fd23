"""How a metric is written down: once, precisely, where code and docs both read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """A published metric. Every field is rendered in docs/metrics.md (generated)."""

    name: str  # column name in the output table
    asset: str  # output asset that publishes it
    definition: str  # one sentence of business meaning
    numerator: str
    denominator: str = "-"  # '-' for sums and counts
    unit: str = ""
    day_boundary: str = "UTC calendar day [00:00, 24:00)"
    exclusions: str = "-"
