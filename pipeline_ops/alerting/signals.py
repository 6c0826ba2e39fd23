"""What the sensors observed, as plain values: the input of incident grouping.

A `Signal` is one fact about one asset (and partition): a check failed or passed, a run failed to
build it, its freshness changed, it was materialized again. Its `fingerprint` names the thing
that is wrong (pipeline, asset, check or failure class, partition), so the same failure seen
twice is one alert, and its recovery is recognised by the same fingerprint.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["check", "run_failure", "freshness", "materialized"]
Level = Literal["ERROR", "WARN"]
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class Signal:
    kind: Kind
    asset: str  # asset key as a user string: "profit_aggregate", "landing/revenue"
    name: str  # the check name; "run_failure"; "freshness"; "materialized"
    failing: bool  # True: something is wrong; False: it recovered (passed, fresh, built)
    at: dt.datetime  # UTC, when it happened
    partition: str | None = None  # "2025-03-02", "2025-03", a run's range "2025-03-01..2025-03-05", None
    level: Level = "ERROR"
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)  # JSON-safe: observed, bound, sample, runbook, sql
    source: str = ""  # run id or event id, for the incident's trail

    @property
    def failure_class(self) -> str:
        """What the alert is about: the check's name, or the failure class (run_failure, freshness).
        A recovery of a build (materialized) answers a run failure."""
        return "run_failure" if self.kind in ("run_failure", "materialized") else self.name

    def fingerprint(self, pipeline: str) -> str:
        return "|".join((pipeline, self.asset, self.failure_class, self.partition or "*"))


@lru_cache(maxsize=4096)  # pure; grouping asks for the same few partitions thousands of times
def span(partition: str | None) -> tuple[dt.date, dt.date] | None:
    """The days a partition covers, both inclusive; None = the whole asset (any day)."""
    if partition is None or partition == "*":
        return None
    if ".." in partition:
        first, last = partition.split("..", 1)
        return span(first)[0], span(last)[1]  # type: ignore[index]
    if _DAY.match(partition):
        day = dt.date.fromisoformat(partition)
        return day, day
    if _MONTH.match(partition):
        first = dt.date.fromisoformat(partition + "-01")
        nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return first, nxt - dt.timedelta(days=1)
    return None  # an unknown format: treat as the whole asset, never as "unrelated"


def overlaps(a: str | None, b: str | None) -> bool:
    """True when two partitions share a day (a month contains its days; None covers everything)."""
    sa, sb = span(a), span(b)
    if sa is None or sb is None:
        return True
    return sa[0] <= sb[1] and sb[0] <= sa[1]
