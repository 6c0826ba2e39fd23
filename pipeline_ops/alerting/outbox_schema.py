"""The outbox's tables and states (SQLAlchemy Core: SQLite and PostgreSQL alike)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from pipeline_ops.alerting import db
from pipeline_ops.alerting.outbox_policy import DETAIL_MAX, UTC, as_utc

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

LIMITS = {"key": 500, "incident_id": 255, "channel": 100, "action": 20}


def utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)


def parse_dt(value) -> dt.datetime:
    if isinstance(value, str):  # SQLite: max() of a DATETIME column is its stored text
        value = dt.datetime.fromisoformat(value)
    return as_utc(value)


def span_text(span: dt.timedelta) -> str:
    seconds = span.total_seconds()
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"

