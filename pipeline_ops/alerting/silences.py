"""Silences and maintenance windows: matchers on pipeline, asset and check, a start, an end, a
reason and who set it. A silenced alert is still recorded in its incident; it is just not sent.
Matchers are shell-style patterns (`fnmatch`: `stg_*`, `landing/*`); every given matcher must
match, an omitted one matches anything. From config (`alerting.silences`) or `pipeline-ops silence`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fnmatch import fnmatchcase

from pipeline_ops.alerting.incident import AlertState, Incident


@dataclass(frozen=True)
class Silence:
    id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str
    created_by: str
    pipeline: str | None = None
    asset: str | None = None
    check: str | None = None  # a check name or failure class (run_failure, freshness)
    expired_at: dt.datetime | None = None  # set by `silence expire` (ends it early)

    def active(self, at: dt.datetime) -> bool:
        end = min(self.ends_at, self.expired_at) if self.expired_at else self.ends_at
        return self.starts_at <= at < end

    def matches(self, alert: AlertState) -> bool:
        return all(pattern is None or fnmatchcase(value, pattern) for pattern, value in (
            (self.pipeline, alert.pipeline), (self.asset, alert.asset), (self.check, alert.name)))


def silenced_by(incident: Incident, silences: list[Silence], at: dt.datetime) -> Silence | None:
    """The silence covering the incident at `at`: one that matches every failing alert of it (a
    silence on one check does not mute an incident that also broke something else)."""
    failing = [a for a in incident.alerts.values() if a.failing] or list(incident.alerts.values())
    for s in silences:
        if s.active(at) and all(s.matches(a) for a in failing):
            return s
    return None
