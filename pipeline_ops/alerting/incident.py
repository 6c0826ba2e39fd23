"""An incident and its alerts, as plain values that round-trip through JSON (the store keeps them so).

An *alert* is one fingerprint (pipeline, asset, check or failure class, partition) with its latest
state; an *incident* is the root-cause alert plus every alert that joined it: repeats of the same
fingerprint, other failures of the same asset and partition, and the downstream consequences
("also affects"). Status: open -> acknowledged -> resolved; resolved when every alert recovered
(or by hand).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any, Literal

Role = Literal["root", "same_asset", "also_affects"]
Status = Literal["open", "acknowledged", "resolved"]


@dataclass
class AlertState:
    fingerprint: str
    pipeline: str
    asset: str
    name: str  # check name or failure class
    kind: str
    partition: str | None
    level: str  # ERROR | WARN
    role: Role
    failing: bool
    first_seen: dt.datetime
    last_seen: dt.datetime
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    count: int = 1


@dataclass
class Incident:
    id: str
    opened_at: dt.datetime
    root: str  # fingerprint of the root-cause alert
    alerts: dict[str, AlertState]
    status: Status = "open"
    acknowledged_at: dt.datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: dt.datetime | None = None
    resolution: str | None = None
    notified_at: dt.datetime | None = None  # first notification enqueued (after the grouping wait)
    route_mode: str | None = None  # "page" or "chat", fixed by the first notification
    steps_sent: list[int] = field(default_factory=list)  # escalation steps already enqueued
    channels_told: list[str] = field(default_factory=list)  # channels that got a trigger (they get the resolve)
    paged: list[str] = field(default_factory=list)  # members paged so far (they are told of the ack and resolve)
    ack_sent: bool = False
    resolve_sent: bool = False
    held_until: dt.datetime | None = None  # chat held outside business hours
    silenced_by: str | None = None  # the silence that muted it when last looked at
    trail: list[str] = field(default_factory=list)  # what happened, one line each, for `incidents show`
    # Added later (defaults keep stored incidents loadable): the severity level (alerting.severities key,
    # only ever rises while open), the review due date (ISO date, None: no review), the outage e-mail sent.
    severity: str | None = None
    review_due: str | None = None
    outage_email_sent: bool = False
    ladder_started_at: dt.datetime | None = None  # when the page ladder started (its delays count from here)

    @property
    def root_alert(self) -> AlertState:
        return self.alerts[self.root]

    @property
    def is_open(self) -> bool:
        return self.status != "resolved"

    def note(self, at: dt.datetime, text: str) -> None:
        self.trail.append(f"{at:%Y-%m-%d %H:%M:%S}Z {text}")

    def to_json(self) -> dict[str, Any]:
        # Not `dataclasses.asdict`: its deep copy was most of a tick's save time (_encode copies anyway).
        out = {f.name: _encode(getattr(self, f.name)) for f in _INCIDENT_FIELDS if f.name != "alerts"}
        out["alerts"] = {k: {f.name: _encode(getattr(a, f.name)) for f in _ALERT_FIELDS} for k, a in self.alerts.items()}
        return out

    @staticmethod
    def from_json(data: dict[str, Any]) -> "Incident":
        d = _decode(data)
        d["alerts"] = {k: AlertState(**v) for k, v in d["alerts"].items()}
        return Incident(**d)


_INCIDENT_FIELDS, _ALERT_FIELDS = fields(Incident), fields(AlertState)
_TIME_KEYS = {"opened_at", "acknowledged_at", "resolved_at", "notified_at", "first_seen", "last_seen", "held_until",
              "ladder_started_at"}


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _decode(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _decode(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if key in _TIME_KEYS and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value
