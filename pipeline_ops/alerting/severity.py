"""Which rung of the severity ladder an incident is on, and when its review is due. Pure: no Dagster.

The rules (the ladder's labels, routes, ack times and reviews are config: `alerting.severities`):
- **sev1**, an investor output wrong or late: an ERROR on an investor pipeline's own output (its
  blocking check failed, its run failed, its freshness FAIL past deadline + tolerance).
- **sev2**, an investor output at risk: an ERROR on an asset upstream of an investor output (a
  staging check or run failing, a landing file missing at its due time), or the investor output's
  freshness WARN (not built at its deadline, still within the tolerance).
- **sev3**, everything else: failures that reach experiment pipelines only, and WARNs.
"Investor" follows the lineage: an asset that feeds any investor-facing pipeline is investor-grade.
What the signals really carry (signals.py): kind `check` (an asset check, the landing arrival check
`landing/<source>.arrived` included), `run_failure`, `freshness` (ERROR = FAIL; the output's WARN
is the check name `freshness_warn`, or Dagster's WARN state, both kind `freshness`); `materialized`
only recovers. An alert's level is ERROR or WARN; a WARN alert that repeats as an ERROR becomes an
ERROR (grouping.py), so its incident's level can rise without a new fingerprint.
An incident is on the highest rung of any of its alerts; while open it can rise, never fall (a
page already sent is not taken back by a recovery of its worst alert).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Protocol

RANK = {"sev1": 3, "sev2": 2, "sev3": 1}


class BusinessCalendar(Protocol):
    def next_business_day(self, day: dt.date) -> dt.date: ...


def alert_level(asset: str, kind: str, level: str, investor_fed: Sequence[str]) -> str:
    """The level of one alert; `investor_fed` = the investor pipelines its asset feeds (itself included)."""
    if not investor_fed:
        return "sev3"
    own_output = asset in investor_fed  # a pipeline's output asset has the pipeline's key
    if level == "ERROR":
        return "sev1" if own_output else "sev2"
    if own_output and kind == "freshness":
        return "sev2"
    return "sev3"


def output_failure_level(audience: str) -> str:
    """The level of an ERROR on a pipeline's own output: what `oncall who --pipeline` and the
    runbook tables quote for the pipeline (alert_level with the output feeding itself, or nothing)."""
    return "sev1" if audience == "investor" else "sev3"


def highest(levels: Iterable[str], floor: str | None = None) -> str:
    """The most severe of `levels` and of `floor` (the incident's level so far)."""
    return max([*levels, *([floor] if floor else [])], key=RANK.__getitem__, default="sev3")


def channel_severity(level: str, any_error: bool) -> str:
    """What PagerDuty and Slack are told: sev1 critical, sev2 error, sev3 error or warning."""
    if level == "sev1":
        return "critical"
    return "error" if level == "sev2" or any_error else "warning"


def review_due(opened_at: dt.datetime, business_days: int | None, tz: dt.tzinfo,
               calendar: BusinessCalendar) -> dt.date | None:
    """The date a post-incident review is due: `business_days` business days (team calendar:
    weekends and team holidays skipped) after the day the incident opened, in the team timezone."""
    if business_days is None:
        return None
    day = opened_at.astimezone(tz).date()
    for _ in range(business_days):
        day = calendar.next_business_day(day)
    return day
