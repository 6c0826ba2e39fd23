"""What a channel delivers, and the one interface every channel implements.

A `Notification` is rendered once from an incident (plain, JSON-safe values, no secrets) and
stored in the outbox before it is sent; `key` is its idempotency key (one per incident, action,
escalation step, recipient and channel), so a restart never delivers it twice. A channel turns it
into its wire format and reports a `DeliveryResult`: delivered, retry later (with the receiver's
`Retry-After` when it gave one), or failed for good (a 4xx other than 429: never retried).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Action = Literal["trigger", "update", "acknowledge", "resolve"]
Severity = Literal["critical", "error", "warning", "info"]


@dataclass(frozen=True)
class Notification:
    key: str  # idempotency key, unique per (incident, action, step, recipient, channel)
    incident_id: str
    action: Action
    channel: str  # the configured channel's name
    severity: Severity
    title: str  # one line: what broke, where, which partition
    text: str  # the body as plain text (what, why this person, next step)
    dedup_key: str  # stable per incident: PagerDuty's dedup_key, the webhook's incident key
    recipient: str | None = None  # member id the step resolved to (None: the channel's audience)
    recipient_address: str | None = None  # e-mail address or chat handle of the recipient
    fields: dict[str, Any] = field(default_factory=dict)  # structured details (JSON-safe)
    links: tuple[tuple[str, str], ...] = ()  # (label, url): runbook, Dagster UI
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    status: int | None = None  # HTTP or SMTP status code when there was one
    retry_after: float | None = None  # seconds, from the receiver (Retry-After), when it said
    permanent: bool = False  # never retry (HTTP 4xx other than 429, a rejected recipient)
    detail: str = ""  # short, redacted: never a secret


class Channel(Protocol):
    name: str
    min_interval_s: float  # the receiver's rate limit: at most one send per this many seconds

    def send(self, notification: Notification) -> DeliveryResult: ...
