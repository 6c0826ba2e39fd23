"""Delivery from the outbox: what is due, in order per incident and channel, within the channels'
rate limits; one attempt per item per pass, its outcome recorded (see `outbox` for the guarantees).

An item is claimed (`sending`, attempts +1, a lease) in a transaction before its channel is
called, and its notification-log row and `delivered` are written in one transaction after the
receiver said yes; the log is read before the claim, so what was recorded is never sent again.
A channel with `send_many` (the local file) gets its due items together: one claim transaction,
one write, one record transaction for the lot (a tick's 200 local notifications cost three
commits and one fsync, not 400 commits and 200 fsyncs). The crash window is the same as for one
item: killed after the write and before the record, the lot is sent again when its lease ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import sqlalchemy as sa

from pipeline_ops.alerting.notification import Channel, DeliveryResult, Notification
from pipeline_ops.alerting.outbox_policy import UTC, DeliverySummary, OutboxItem, short
from pipeline_ops.alerting.outbox_schema import (
    DEAD, DELIVERED, NOT_CONFIGURED, OPEN, PENDING, SENDING, notification_log_table, outbox_table, parse_dt,
    span_text,
)


class Delivery:
    """The delivering half of `Outbox` (it provides `engine`, `policy`, `now`, `_rng`, `_sleep`)."""

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
            for lot in _lots(rows, channels):
                now = self.now()
                if attempted >= max_items or (deadline is not None and now >= deadline):
                    break
                name = lot[0].channel
                if self._free_at(name, channels[name], last_send) > now:  # sent to earlier
                    continue
                for outcome, sent in self._handle(lot, channels[name], now):
                    attempted += 1
                    progressed = True
                    if sent:
                        last_send[name] = now
                    if outcome in counts:
                        counts[outcome] += 1
                done.update(item.id for item in lot)
            if progressed:  # a delivery may have unblocked the next item of its incident
                continue
            wake = self._next_free(names - open_channels, free_at, now, done)
            if (self._sleep is None or wake is None
                    or (deadline is not None and wake >= deadline)):
                break
            self._sleep(max((wake - now).total_seconds(), 0.0))
        return DeliverySummary(**counts, waiting=self._count_open(names, done, within=True),
                               not_configured=self._count_open(names, (), within=False))

    def _handle(self, lot: list[OutboxItem], channel: Channel, now: dt.datetime) -> list[tuple[str, bool]]:
        """Items of one channel: the log decides, else claim, send once, record. (outcome, sent) each."""
        t, log = outbox_table, notification_log_table
        with self.engine.connect() as conn:
            logged = {r.key: r for r in conn.execute(sa.select(log).where(log.c.key.in_([i.key for i in lot])))}
        outcomes: dict[int, tuple[str, bool]] = {}
        claimed: list[tuple[OutboxItem, Notification]] = []
        with self.engine.begin() as conn:  # the claims: committed before anything is sent
            for item in lot:
                if (row := logged.get(item.key)) is not None:  # sent before a crash, or by another process
                    conn.execute(sa.update(t).where(t.c.id == item.id, t.c.state.in_(OPEN)).values(
                        state=DELIVERED, delivered_at=row.delivered_at, last_status=row.status,
                        last_detail="found in the notification log: not sent again"))
                    outcomes[item.id] = ("delivered", False)
                    continue
                try:
                    notification = item.notification
                except (ValueError, TypeError, KeyError) as exc:  # a payload no channel can send
                    conn.execute(sa.update(t).where(t.c.id == item.id, t.c.state.in_(OPEN)).values(
                        state=DEAD, last_detail=short(f"unreadable payload: {type(exc).__name__}: {exc}")))
                    outcomes[item.id] = ("dead", False)
                    continue
                if conn.execute(sa.update(t).where(
                        t.c.id == item.id, t.c.state == item.state, t.c.attempts == item.attempts,
                ).values(state=SENDING, attempts=item.attempts + 1, last_attempt_at=now,
                         next_attempt_at=now + dt.timedelta(seconds=self.policy.lease_s))).rowcount == 1:
                    claimed.append((item, notification))
                else:  # another process took it between our read and the claim
                    outcomes[item.id] = ("skipped", False)
        results = _send(channel, [n for _, n in claimed])
        finished = self.now()
        for attempt in range(2):
            try:
                with self.engine.begin() as conn:
                    self._record_delivered(conn, [(i, r) for (i, _), r in zip(claimed, results) if r.ok], finished)
                    for (item, _), result in zip(claimed, results):
                        outcomes[item.id] = ("delivered" if result.ok else self._record(conn, item, result, finished),
                                             True)
                break
            except sa.exc.IntegrityError:  # a log row written concurrently: look again
                if attempt:
                    raise
        return [outcomes[item.id] for item in lot]

    @staticmethod
    def _record_delivered(conn, done: list[tuple[OutboxItem, DeliveryResult]], at: dt.datetime) -> None:
        """Delivered items: their log rows (unless already there) and `delivered`, in two statements."""
        if not done:
            return
        t, log = outbox_table, notification_log_table
        logged = set(conn.execute(sa.select(log.c.key).where(log.c.key.in_([i.key for i, _ in done]))).scalars())
        if fresh := [i_r for i_r in done if i_r[0].key not in logged]:
            conn.execute(sa.insert(log), [dict(key=i.key, channel=i.channel, incident_id=i.incident_id,
                                               action=i.action, delivered_at=at, status=r.status) for i, r in fresh])
        conn.execute(sa.update(t).where(t.c.id == sa.bindparam("item_id")).values(
            state=DELIVERED, delivered_at=at, last_status=sa.bindparam("status"), last_detail=sa.bindparam("detail")),
            [dict(item_id=i.id, status=r.status, detail=short(r.detail) or None) for i, r in done])

    def _record(self, conn, item: OutboxItem, result: DeliveryResult, at: dt.datetime) -> str:
        """A failed attempt's outcome: retried later, or dead."""
        t = outbox_table
        attempts = item.attempts + 1
        detail = short(result.detail or (f"status {result.status}" if result.status else "failed"))
        age = at - (item.revived_at or item.created_at)
        reason = ("permanent failure" if result.permanent
                  else f"gave up after {attempts} attempts" if attempts >= self.policy.max_attempts
                  else f"older than {span_text(self.policy.max_age)}" if age >= self.policy.max_age
                  else None)
        values: dict = dict(last_status=result.status)
        if reason is not None:
            values.update(state=DEAD, last_detail=short(f"{reason}: {detail}"))
        else:
            delay = self.policy.delay(attempts, result.retry_after, self._rng)
            values.update(state=PENDING, last_detail=detail, next_attempt_at=at + dt.timedelta(seconds=delay))
        conn.execute(sa.update(t).where(t.c.id == item.id).values(**values))
        return "dead" if reason is not None else "retried"

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
        return {name: parse_dt(value) for name, value in rows if value is not None}

    def _expire_unconfigured(self, names: set[str], now: dt.datetime) -> int:
        """Open items of channels not built: detail "channel not configured"; dead past max_age."""
        t = outbox_table
        unconfigured = sa.and_(t.c.channel.not_in(sorted(names)), sa.or_(
            t.c.state == PENDING, t.c.next_attempt_at <= now))  # a sending item: lease expired
        too_old = sa.func.coalesce(t.c.revived_at, t.c.created_at) <= now - self.policy.max_age
        gave_up = f"{NOT_CONFIGURED} for longer than {span_text(self.policy.max_age)}"
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


def _lots(rows: list[OutboxItem], channels: Mapping[str, Channel]) -> list[list[OutboxItem]]:
    """The due heads in id order as lots to hand over at once: all of a `send_many` channel's
    together (at its first item's place), every other item on its own."""
    lots: list[list[OutboxItem]] = []
    batched: dict[str, list[OutboxItem]] = {}
    for item in rows:
        if hasattr(channels[item.channel], "send_many"):
            if item.channel not in batched:
                batched[item.channel] = []
                lots.append(batched[item.channel])
            batched[item.channel].append(item)
        else:
            lots.append([item])
    return lots


def _send(channel: Channel, notes: list[Notification]) -> list[DeliveryResult]:
    """One attempt per notification; a channel bug is a failed, retryable attempt, not a crash."""
    if not notes:
        return []
    try:
        results = channel.send_many(notes) if hasattr(channel, "send_many") else [channel.send(notes[0])]
    except Exception as exc:  # noqa: BLE001
        return [DeliveryResult(ok=False, detail=short(f"{type(exc).__name__}: {exc}"))] * len(notes)
    if not isinstance(results, list) or len(results) != len(notes):
        return [DeliveryResult(ok=False, detail="channel returned no result per notification")] * len(notes)
    return [r if isinstance(r, DeliveryResult) else DeliveryResult(
        ok=False, detail=f"channel returned {type(r).__name__}, not a result") for r in results]
