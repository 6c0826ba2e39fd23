"""Incidents and silences in the alerting database (see db.py): one row per incident, its state
as JSON beside the columns the CLI filters on; one row per silence. Writes are upserts, so a
sensor tick that is retried after a crash leaves the same rows."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import sqlalchemy as sa

from pipeline_ops.alerting import db
from pipeline_ops.alerting.incident import Incident
from pipeline_ops.alerting.silences import Silence

incidents = sa.Table(
    "alert_incidents", db.metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("opened_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Column("root", sa.Text, nullable=False),
    # True once nothing more will be sent for it (resolved, and its resolve enqueued or nobody told):
    # the tick loads only unsettled rows, so history never slows it down.
    sa.Column("settled", sa.Boolean, nullable=False, default=False, index=True),
    sa.Column("body", sa.Text, nullable=False),
)
commands = sa.Table(  # ack / resolve requests from the CLI, applied by the alert sensor (the one writer)
    "alert_commands", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.String(40), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("by", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("applied", sa.Boolean, nullable=False, default=False),
)
silences = sa.Table(
    "alert_silences", db.metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)


class IncidentStore:
    def __init__(self, engine: sa.Engine):
        self.engine = engine
        db.ensure_tables(engine)

    def open_incidents(self) -> list[Incident]:
        return self._load(incidents.c.status != "resolved")

    def unsent_resolved(self) -> list[Incident]:
        """Resolved incidents whose resolve has not been enqueued yet."""
        return self._load((incidents.c.status == "resolved") & incidents.c.settled.is_(False))

    def all(self, limit: int = 200) -> list[Incident]:
        return self._load(None, limit)

    def get(self, incident_id: str) -> Incident | None:
        found = self._load(incidents.c.id == incident_id)
        return found[0] if found else None

    def _load(self, where, limit: int | None = None) -> list[Incident]:
        q = sa.select(incidents.c.body).order_by(incidents.c.opened_at.desc())
        if where is not None:
            q = q.where(where)
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [Incident.from_json(json.loads(r.body)) for r in conn.execute(q)]

    def save(self, items: list[Incident], now: dt.datetime, bodies: dict[str, str] | None = None) -> None:
        """Insert or update `items` in one transaction (`bodies`: their JSON when already encoded)."""
        if not items:
            return
        rows = []
        for inc in items:
            settled = inc.status == "resolved" and (inc.resolve_sent or not inc.channels_told)
            body = (bodies or {}).get(inc.id) or json.dumps(inc.to_json(), default=str)
            rows.append({"id": inc.id, "status": inc.status, "opened_at": inc.opened_at.isoformat(),
                         "updated_at": now.isoformat(), "root": inc.root, "settled": settled, "body": body})
        with self.engine.begin() as conn:
            known = set(conn.execute(sa.select(incidents.c.id).where(incidents.c.id.in_([r["id"] for r in rows])))
                        .scalars())
            if new := [r for r in rows if r["id"] not in known]:
                conn.execute(sa.insert(incidents), new)
            if old := [{**r, "key": r["id"]} for r in rows if r["id"] in known]:
                columns = {c: sa.bindparam(c) for c in ("status", "opened_at", "updated_at", "root", "settled", "body")}
                conn.execute(sa.update(incidents).where(incidents.c.id == sa.bindparam("key")).values(columns), old)

    # -- commands (the CLI writes, the sensor applies: incidents have one writer) ---------------
    def request(self, incident_id: str, action: str, by: str, reason: str, at: dt.datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.insert(commands).values(incident_id=incident_id, action=action, by=by, reason=reason,
                                                   at=at.isoformat(), applied=False))

    def pending_commands(self) -> list[dict]:
        """Unapplied commands in order. Applying one twice is harmless, so they are marked applied
        only after the incidents they changed are saved (`mark_applied`)."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                sa.select(commands).where(commands.c.applied.is_(False)).order_by(commands.c.id))]

    def mark_applied(self, ids: list[int]) -> None:
        if ids:
            with self.engine.begin() as conn:
                conn.execute(sa.update(commands).where(commands.c.id.in_(ids)).values(applied=True))

    # -- silences ----------------------------------------------------------------------------
    def silences(self) -> list[Silence]:
        with self.engine.connect() as conn:
            return [_silence(json.loads(r.body)) for r in conn.execute(sa.select(silences.c.body))]

    def add_silence(self, s: Silence) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.insert(silences).values(id=s.id, body=json.dumps(_silence_json(s))))

    def expire_silence(self, silence_id: str, at: dt.datetime) -> Silence | None:
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(silences.c.body).where(silences.c.id == silence_id)).first()
            if row is None:
                return None
            s = _silence(json.loads(row.body))
            s = Silence(**{**s.__dict__, "expired_at": at})
            conn.execute(sa.update(silences).where(silences.c.id == silence_id).values(body=json.dumps(_silence_json(s))))
            return s


def new_silence_id() -> str:
    return "sil-" + uuid.uuid4().hex[:8]


def _silence_json(s: Silence) -> dict:
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in s.__dict__.items()}


def _silence(d: dict) -> Silence:
    for k in ("starts_at", "ends_at", "expired_at"):
        if d.get(k):
            d[k] = dt.datetime.fromisoformat(d[k])
    return Silence(**d)
