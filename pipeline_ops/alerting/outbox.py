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

`deliver(channels)` is keyed by the notification's `channel` name (a missing key: not configured).
Schema is SQLAlchemy Core only (SQLite and PostgreSQL alike); times come from the injected clock.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Mapping

import sqlalchemy as sa

from pipeline_ops.alerting import db
from pipeline_ops.alerting.notification import Channel, DeliveryResult, Notification
from pipeline_ops.alerting.outbox_policy import (
    DETAIL_MAX, UTC, DeliverySummary, OutboxItem, RetryPolicy, as_utc, notification_from_json,
    notification_to_json, short,
)

__all__ = [
    "DeliverySummary", "Outbox", "OutboxItem", "RetryPolicy", "notification_from_json",
    "notification_to_json", "outbox_table", "notification_log_table",
]

PENDING, SENDING, DELIVERED, DEAD = "pending", "sending", "delivered", "dead"
OPEN = (PENDING, SENDING)
NOT_CONFIGURED = "channel not configured"


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC in and out, on SQLite (which stores no offset) as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else as_utc(value)

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)


outbox_table = sa.Table(
    "alert_outbox", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # enqueue order
    sa.Column("key", sa.String(500), nullable=False, unique=True),  # the idempotency key
    sa.Column("incident_id", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(100), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # the Notification as JSON (datetimes ISO)
    sa.Column("state", sa.String(16), nullable=False),  # pending | sending | delivered | dead
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),  # sending: end of the lease
    sa.Column("last_attempt_at", UTCDateTime),  # start of the last send (the rate limit's clock)
    sa.Column("last_status", sa.Integer),
    sa.Column("last_detail", sa.String(DETAIL_MAX)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revived_at", UTCDateTime),
    sa.Column("delivered_at", UTCDateTime),
    sa.Index("ix_alert_outbox_open", "state", "incident_id", "channel", "id"),
    sa.Index("ix_alert_outbox_incident", "incident_id", "id"),
    sa.Index("ix_alert_outbox_channel_sent", "channel", "last_attempt_at"),
)

notification_log_table = sa.Table(
    "alert_notification_log", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(500), nullable=False, unique=True),
    sa.Column("channel", sa.String(100), nullable=False),
    sa.Column("incident_id", sa.String(255), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("delivered_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.Integer),  # the receiver's HTTP/SMTP status, when it gave one
)

_LIMITS = {"key": 500, "incident_id": 255, "channel": 100, "action": 20}


def utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)


class Outbox:
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
        for column, limit in _LIMITS.items():
            if len(getattr(n, column)) > limit:
                raise ValueError(f"notification {column} is longer than {limit} characters")
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
            for column, limit in _LIMITS.items():
                if len(getattr(n, column)) > limit:
                    raise ValueError(f"notification {column} is longer than {limit} characters")
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

    # -- deliver ------------------------------------------------------------------------------

    def deliver(self, channels: Mapping[str, Channel], budget_s: float | None = None,
                max_items: int = 200) -> DeliverySummary:
        """Send what is due, oldest first, at most `max_items` attempts, starting none after
        `budget_s` seconds (of the injected clock; a send already started may run past it)."""
        start = self.now()
        deadline = None if budget_s is None else start + dt.timedelta(seconds=budget_s)
        names = set(channels)
        counts = dict(delivered=0, retried=0, dead=0)
        counts["dead"] += self._expire_unconfigured(names, start)
        last_send = self._last_sends(names)
        done: set[int] = set()
        attempted = 0
        while attempted < max_items:
            now = self.now()
            if deadline is not None and now >= deadline:
                break
            free_at = {name: self._free_at(name, channels[name], last_send) for name in names}
            open_channels = {name for name in names if free_at[name] <= now}
            rows = self._due_heads(now, open_channels, done, max_items - attempted)
            progressed = False
            for item in rows:
                now = self.now()
                if attempted >= max_items or (deadline is not None and now >= deadline):
                    break
                channel = channels[item.channel]
                if self._free_at(item.channel, channel, last_send) > now:  # sent to earlier
                    continue
                outcome, sent = self._handle(item, channel, now)
                done.add(item.id)
                attempted += 1
                progressed = True
                if sent:
                    last_send[item.channel] = now
                if outcome in counts:
                    counts[outcome] += 1
            if progressed:  # a delivery may have unblocked the next item of its incident
                continue
            wake = self._next_free(names - open_channels, free_at, now, done)
            if (self._sleep is None or wake is None
                    or (deadline is not None and wake >= deadline)):
                break
            self._sleep(max((wake - now).total_seconds(), 0.0))
        return DeliverySummary(**counts, waiting=self._count_open(names, done, within=True),
                               not_configured=self._count_open(names, (), within=False))

    def _handle(self, item: OutboxItem, channel: Channel, now: dt.datetime) -> tuple[str, bool]:
        """One item: the log decides, else claim, send once, record. (outcome, whether sent)."""
        t, log = outbox_table, notification_log_table
        with self.engine.connect() as conn:
            logged = conn.execute(sa.select(log).where(log.c.key == item.key)).first()
        if logged is not None:  # sent before a crash, or by another process: never again
            with self.engine.begin() as conn:
                conn.execute(sa.update(t).where(t.c.id == item.id, t.c.state.in_(OPEN)).values(
                    state=DELIVERED, delivered_at=logged.delivered_at, last_status=logged.status,
                    last_detail="found in the notification log: not sent again"))
            return "delivered", False
        try:
            notification = item.notification
        except (ValueError, TypeError, KeyError) as exc:  # a payload no channel can send
            unreadable = short(f"unreadable payload: {type(exc).__name__}: {exc}")
            with self.engine.begin() as conn:
                conn.execute(sa.update(t).where(t.c.id == item.id, t.c.state.in_(OPEN))
                             .values(state=DEAD, last_detail=unreadable))
            return "dead", False
        attempts = item.attempts + 1
        with self.engine.begin() as conn:  # the claim: its own transaction, before the send
            claimed = conn.execute(sa.update(t).where(
                t.c.id == item.id, t.c.state == item.state, t.c.attempts == item.attempts,
            ).values(state=SENDING, attempts=attempts, last_attempt_at=now,
                     next_attempt_at=now + dt.timedelta(seconds=self.policy.lease_s))).rowcount
        if claimed != 1:  # another process took it between our read and the claim
            return "skipped", False
        try:
            result = channel.send(notification)
            if not isinstance(result, DeliveryResult):
                result = DeliveryResult(
                    ok=False, detail=f"channel returned {type(result).__name__}, not a result")
        except Exception as exc:  # noqa: BLE001 - a channel bug is one failed attempt, retried
            result = DeliveryResult(ok=False, detail=short(f"{type(exc).__name__}: {exc}"))
        finished = self.now()
        if result.ok:
            self._record_delivery(item, result, finished)
            return "delivered", True
        detail = short(result.detail or (f"status {result.status}" if result.status else "failed"))
        age = finished - (item.revived_at or item.created_at)
        reason = ("permanent failure" if result.permanent
                  else f"gave up after {attempts} attempts" if attempts >= self.policy.max_attempts
                  else f"older than {_span(self.policy.max_age)}" if age >= self.policy.max_age
                  else None)
        values: dict = dict(last_status=result.status)
        if reason is not None:
            values.update(state=DEAD, last_detail=short(f"{reason}: {detail}"))
        else:
            delay = self.policy.delay(attempts, result.retry_after, self._rng)
            values.update(state=PENDING, last_detail=detail,
                          next_attempt_at=finished + dt.timedelta(seconds=delay))
        with self.engine.begin() as conn:
            conn.execute(sa.update(t).where(t.c.id == item.id).values(**values))
        return ("dead" if reason is not None else "retried"), True

    def _record_delivery(self, item: OutboxItem, result: DeliveryResult, at: dt.datetime) -> None:
        """The log row and `delivered` in one transaction."""
        t, log = outbox_table, notification_log_table
        for attempt in range(2):
            try:
                with self.engine.begin() as conn:
                    logged = conn.execute(sa.select(log.c.id).where(log.c.key == item.key))
                    if logged.first() is None:
                        conn.execute(sa.insert(log).values(
                            key=item.key, channel=item.channel, incident_id=item.incident_id,
                            action=item.action, delivered_at=at, status=result.status))
                    conn.execute(sa.update(t).where(t.c.id == item.id).values(
                        state=DELIVERED, delivered_at=at, last_status=result.status,
                        last_detail=short(result.detail) or None))
                return
            except sa.exc.IntegrityError:  # logged concurrently between our check and insert
                if attempt:
                    raise

    def _heads(self, now: dt.datetime, channel_names: Iterable[str], exclude: set[int]):
        """Due items that are first among the open items of their incident and channel."""
        t = outbox_table
        heads = (sa.select(sa.func.min(t.c.id).label("head_id"))
                 .where(t.c.state.in_(OPEN), t.c.channel.in_(sorted(channel_names)))
                 .group_by(t.c.incident_id, t.c.channel).subquery())
        query = (sa.select(t).join(heads, t.c.id == heads.c.head_id)
                 .where(t.c.next_attempt_at <= now))
        return query.where(t.c.id.not_in(sorted(exclude))) if exclude else query

    def _due_heads(self, now: dt.datetime, channel_names: set[str], exclude: set[int],
                   limit: int) -> list[OutboxItem]:
        if not channel_names or limit <= 0:
            return []
        query = self._heads(now, channel_names, exclude).order_by(outbox_table.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [OutboxItem(**row._mapping) for row in conn.execute(query)]

    def _next_free(self, blocked: set[str], free_at: Mapping[str, dt.datetime], now: dt.datetime,
                   done: set[int]) -> dt.datetime | None:
        """When the first rate-limited channel with a due item is free again (None: no such)."""
        if not blocked:
            return None
        heads = self._heads(now, blocked, done).subquery()
        with self.engine.connect() as conn:
            waiting = conn.execute(sa.select(heads.c.channel).distinct()).scalars().all()
        return min((free_at[name] for name in waiting), default=None)

    def _free_at(self, name: str, channel: Channel,
                 last_send: Mapping[str, dt.datetime]) -> dt.datetime:
        last = last_send.get(name)
        interval = float(getattr(channel, "min_interval_s", 0.0) or 0.0)
        if last is None or interval <= 0:
            return dt.datetime.min.replace(tzinfo=UTC)
        return last + dt.timedelta(seconds=interval)

    def _last_sends(self, names: set[str]) -> dict[str, dt.datetime]:
        """The last send per channel, from the outbox: the rate limit holds across processes."""
        t = outbox_table
        if not names:
            return {}
        query = (sa.select(t.c.channel, sa.func.max(t.c.last_attempt_at))
                 .where(t.c.channel.in_(sorted(names)), t.c.last_attempt_at.is_not(None))
                 .group_by(t.c.channel))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        # max() over a TypeDecorator column comes back as the bare SQL type: normalise here.
        return {name: _parse_dt(value) for name, value in rows if value is not None}

    def _expire_unconfigured(self, names: set[str], now: dt.datetime) -> int:
        """Open items of channels not built: detail "channel not configured"; dead past max_age."""
        t = outbox_table
        unconfigured = sa.and_(t.c.channel.not_in(sorted(names)), sa.or_(
            t.c.state == PENDING, t.c.next_attempt_at <= now))  # a sending item: lease expired
        too_old = sa.func.coalesce(t.c.revived_at, t.c.created_at) <= now - self.policy.max_age
        gave_up = f"{NOT_CONFIGURED} for longer than {_span(self.policy.max_age)}"
        with self.engine.begin() as conn:
            dead = conn.execute(sa.update(t).where(unconfigured, t.c.state.in_(OPEN), too_old)
                                .values(state=DEAD, last_detail=gave_up)).rowcount
            conn.execute(sa.update(t).where(unconfigured, t.c.state.in_(OPEN), sa.or_(
                t.c.state == SENDING, t.c.last_detail.is_(None), t.c.last_detail != NOT_CONFIGURED,
            )).values(state=PENDING, last_detail=NOT_CONFIGURED))  # written once, not every call
        return dead

    def _count_open(self, names: set[str], exclude: Iterable[int], within: bool) -> int:
        t = outbox_table
        names_ = sorted(names)
        channel_filter = t.c.channel.in_(names_) if within else t.c.channel.not_in(names_)
        query = sa.select(sa.func.count()).select_from(t).where(t.c.state.in_(OPEN), channel_filter)
        if exclude := sorted(exclude):
            query = query.where(t.c.id.not_in(exclude))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

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


def _parse_dt(value) -> dt.datetime:
    if isinstance(value, str):  # SQLite: max() of a DATETIME column is its stored text
        value = dt.datetime.fromisoformat(value)
    return as_utc(value)


def _span(span: dt.timedelta) -> str:
    seconds = span.total_seconds()
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"
