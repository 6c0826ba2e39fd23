"""The durable outbox: a notification is stored before anything is sent, then delivered in order per
incident and channel, retried with backoff, and written to the notification log once delivered.

Guarantees. Nothing enqueued is lost or silently dropped: an item ends `delivered` or `dead` (kept
with its last detail, listed by `dead_letters()`, put back by `retry_dead`); an item whose channel
is not built stays pending ("channel not configured") until it is older than `max_age`, then it is
a dead letter too. A resolve never overtakes its trigger: an item is not attempted while an earlier
item of the same incident and channel is neither delivered nor dead.

Delivery is at-least-once to the receiver, not exactly-once. An item is marked `sending` (attempts
+1) in its own transaction before the channel is called, and its log row and `delivered` are
written in one transaction after the receiver said yes. The log is checked before every send, so a
delivery that was recorded is never sent again. The one window left is a process killed (or a
database write failing) after the receiver accepted but before that commit: the item stays
`sending`, and once its lease (`RetryPolicy.lease_s`) runs out it is sent again. Whether the
receiver then shows it twice is up to the receiver: channels send the notification's `key` as an
idempotency key where the receiver supports one (the webhook's Idempotency-Key header), PagerDuty
folds a repeat into the same incident by `dedup_key`; a Slack webhook or an SMTP server has no such
key, so there a duplicate message is possible (rare: only in that crash window).

This module stores and reads; `outbox_delivery` sends (`deliver(channels)`, keyed by the
notification's `channel` name; a missing key: not configured); `outbox_schema` holds the tables.
Times come from the injected clock.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import sqlalchemy as sa

from pipeline_ops.alerting import db
from pipeline_ops.alerting.notification import Notification
from pipeline_ops.alerting.outbox_delivery import Delivery
from pipeline_ops.alerting.outbox_policy import (
    DeliverySummary, OutboxItem, RetryPolicy, as_utc, notification_from_json, notification_to_json,
)
from pipeline_ops.alerting.outbox_schema import (
    DEAD, LIMITS, OPEN, PENDING, notification_log_table, outbox_table, utc_now,
)

__all__ = [
    "DeliverySummary", "Outbox", "OutboxItem", "RetryPolicy", "notification_from_json",
    "notification_to_json", "notification_log_table", "outbox_table", "utc_now",
]


class Outbox(Delivery):
    """The outbox on `engine` (see `db.connect`). `sleep`, when given, lets `deliver` wait out a
    channel's rate limit within its budget; without it a rate-limited item is left due for the
    next call. `clock` must be the same clock `sleep` advances."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], dt.datetime] = utc_now,
                 rng: random.Random | None = None, policy: RetryPolicy = RetryPolicy(),
                 sleep: Callable[[float], None] | None = None) -> None:
        self.engine = engine
        self.policy = policy
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._sleep = sleep
        db.ensure_tables(engine)

    def now(self) -> dt.datetime:
        return as_utc(self._clock())

    # -- enqueue ------------------------------------------------------------------------------

    def enqueue(self, n: Notification) -> bool:
        """Store `n`, due now; False (and nothing changes) when its key is already stored."""
        _check_lengths(n)
        t = outbox_table
        now = self.now()
        values = dict(key=n.key, incident_id=n.incident_id, channel=n.channel, action=n.action,
                      payload=notification_to_json(n), state=PENDING, attempts=0,
                      next_attempt_at=now, created_at=now)
        if self._exists(n.key):
            return False
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(t).values(**values))
        except sa.exc.IntegrityError:
            if self._exists(n.key):  # enqueued concurrently by another process
                return False
            raise
        return True

    def enqueue_many(self, notes: list[Notification]) -> int:
        """`enqueue` for a tick's notifications in one transaction; returns how many were new."""
        if not notes:
            return 0
        for n in notes:
            _check_lengths(n)
        now, t = self.now(), outbox_table
        try:
            with self.engine.begin() as conn:
                known = {r.key for r in conn.execute(sa.select(t.c.key).where(t.c.key.in_([n.key for n in notes])))}
                fresh = list({n.key: n for n in notes if n.key not in known}.values())
                if fresh:
                    conn.execute(sa.insert(t), [dict(
                        key=n.key, incident_id=n.incident_id, channel=n.channel, action=n.action,
                        payload=notification_to_json(n), state=PENDING, attempts=0, next_attempt_at=now,
                        created_at=now) for n in fresh])
        except sa.exc.IntegrityError:  # another process enqueued some meanwhile: one at a time
            return sum(self.enqueue(n) for n in notes)
        return len(fresh)

    def _exists(self, key: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(outbox_table.c.id).where(outbox_table.c.key == key)).first() is not None

    # -- read API (the CLI) -------------------------------------------------------------------

    def pending(self) -> list[OutboxItem]:
        """Open items (pending or sending), in enqueue order."""
        return self._select(outbox_table.c.state.in_(OPEN))

    def dead_letters(self) -> list[OutboxItem]:
        return self._select(outbox_table.c.state == DEAD)

    def items(self, incident_id: str | None = None) -> list[OutboxItem]:
        """Every item (of one incident), in enqueue order."""
        t = outbox_table
        return self._select(None if incident_id is None else t.c.incident_id == incident_id)

    def item(self, key: str) -> OutboxItem | None:
        found = self._select(outbox_table.c.key == key)
        return found[0] if found else None

    def retry_dead(self, key: str) -> bool:
        """Put a dead letter back to pending, due now, with a fresh attempt count and age.
        False when `key` is not a dead letter."""
        t = outbox_table
        now = self.now()
        with self.engine.begin() as conn:
            return conn.execute(sa.update(t).where(t.c.key == key, t.c.state == DEAD).values(
                state=PENDING, attempts=0, next_attempt_at=now, revived_at=now)).rowcount == 1

    def _select(self, where) -> list[OutboxItem]:
        query = sa.select(outbox_table).order_by(outbox_table.c.id)
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as conn:
            return [OutboxItem(**row._mapping) for row in conn.execute(query)]




def _check_lengths(n: Notification) -> None:
    for column, limit in LIMITS.items():
        if len(getattr(n, column)) > limit:
            raise ValueError(f"notification {column} is longer than {limit} characters")
