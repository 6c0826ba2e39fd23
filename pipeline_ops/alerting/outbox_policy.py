"""The outbox's plain values: the retry policy, what one `deliver` call did, a stored item, and the
notification's JSON form (no database here, so it can be tested and imported alone)."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from dataclasses import dataclass, fields
from typing import Any

from pipeline_ops.alerting.notification import Notification

UTC = dt.timezone.utc
DETAIL_MAX = 500  # characters of a channel's detail or an exception's text kept in the outbox


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC; a naive value is taken to be UTC already (what SQLite hands back)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def short(text: str, limit: int = DETAIL_MAX) -> str:
    text = " ".join(str(text).split())  # one line: tracebacks and bodies do not spill into the CLI
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: failed attempt n waits
    uniform(0, min(cap, base * factor**(n-1))) seconds, or the receiver's Retry-After when longer.
    An item is dead (kept, listed, never dropped) after a permanent failure, after `max_attempts`
    failed attempts, or when a failed attempt finds it older than `max_age`. `lease_s`: how long an
    item marked `sending` is left alone before it counts as abandoned by a killed process and is
    sent again; it must exceed the channels' own timeouts, or two processes may send it at once."""

    base_s: float = 5.0
    factor: float = 2.0
    cap_s: float = 600.0
    max_attempts: int = 8
    max_age: dt.timedelta = dt.timedelta(hours=24)
    lease_s: float = 120.0

    def __post_init__(self) -> None:
        if not (self.base_s > 0 and self.factor >= 1 and self.cap_s >= self.base_s):
            raise ValueError("RetryPolicy needs base_s > 0, factor >= 1 and cap_s >= base_s")
        if self.max_attempts < 1 or self.lease_s <= 0 or self.max_age <= dt.timedelta(0):
            raise ValueError("RetryPolicy needs max_attempts >= 1, lease_s > 0 and max_age > 0")

    def ceiling(self, attempts: int) -> float:
        """The longest backoff after the `attempts`-th failed attempt (1-based)."""
        exponent = min(max(attempts - 1, 0), 64)  # no float overflow after a long outage
        return min(self.cap_s, self.base_s * self.factor**exponent)

    def delay(self, attempts: int, retry_after: float | None, rng: random.Random) -> float:
        backoff = rng.uniform(0.0, self.ceiling(attempts))
        if retry_after is not None and math.isfinite(retry_after) and retry_after > backoff:
            return float(retry_after)
        return backoff


@dataclass(frozen=True)
class DeliverySummary:
    """What one `deliver` call did. `delivered`, `retried` (attempted, failed, rescheduled) and
    `dead` count this call's outcomes; `waiting` counts the open items of configured channels it did
    not attempt (not due yet, behind an earlier item of the same incident and channel, rate limited,
    past the budget or `max_items`); `not_configured` counts the open items whose channel is not
    built (left pending, detail "channel not configured")."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    waiting: int = 0
    not_configured: int = 0

    def __str__(self) -> str:
        return (f"delivered {self.delivered}, retried {self.retried}, dead {self.dead}, "
                f"waiting {self.waiting}, channel not configured {self.not_configured}")


@dataclass(frozen=True)
class OutboxItem:
    """One row of `alert_outbox` (datetimes aware UTC)."""

    id: int
    key: str
    incident_id: str
    channel: str
    action: str
    payload: str
    state: str  # pending | sending | delivered | dead
    attempts: int
    next_attempt_at: dt.datetime
    last_attempt_at: dt.datetime | None
    last_status: int | None
    last_detail: str | None
    created_at: dt.datetime
    revived_at: dt.datetime | None  # when `retry_dead` last put it back (its age counts from then)
    delivered_at: dt.datetime | None

    @property
    def notification(self) -> Notification:
        return notification_from_json(self.payload)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return as_utc(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"notification field value {value!r} is not JSON-safe")


def notification_to_json(n: Notification) -> str:
    # Not `dataclasses.asdict`: its deep copy was a fifth of a burst tick; json.dumps copies anyway.
    data = {f.name: getattr(n, f.name) for f in fields(Notification)}
    data["created_at"] = as_utc(n.created_at).isoformat()
    return json.dumps(data, sort_keys=True, default=_json_default, ensure_ascii=False)


def notification_from_json(text: str) -> Notification:
    data = json.loads(text)
    data["created_at"] = as_utc(dt.datetime.fromisoformat(data["created_at"]))
    data["links"] = tuple(tuple(link) for link in data.get("links") or ())
    known = {f.name for f in fields(Notification)}  # a field dropped since enqueue is ignored
    return Notification(**{k: v for k, v in data.items() if k in known})
