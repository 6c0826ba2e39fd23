"""One alerting tick, without Dagster: read back PagerDuty's acknowledgements and resolves (when
configured), apply them and the CLI's commands and the new signals to the incidents, plan what is due, put it in the outbox, save, deliver.

Crash safety: notifications are enqueued (idempotent keys) before the incidents are saved, so a
tick that dies in between plans the same notifications again next time and the outbox keeps one
of each; the outbox's notification log keeps a restart from sending twice. The sensor is the only
writer of incidents (the CLI writes commands), so there is no lost update.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from pipeline_ops.alerting.channels.pagerduty_lifecycle import LifecycleError, PagerDutyLifecycle
from pipeline_ops.alerting.dispatch import DispatchSettings, plan
from pipeline_ops.alerting.grouping import Change, apply
from pipeline_ops.alerting.incident import Incident
from pipeline_ops.alerting.incidents_store import IncidentStore
from pipeline_ops.alerting.lineage import Lineage
from pipeline_ops.alerting.notification import Channel
from pipeline_ops.alerting.outbox import DeliverySummary, Outbox
from pipeline_ops.alerting.remote import remote_commands
from pipeline_ops.alerting.signals import Signal
from pipeline_ops.alerting.silences import Silence
from pipeline_ops.config.alerting import AlertingConfig
from pipeline_ops.oncall.engine import OnCallEngine


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class TickReport:
    changes: list[Change]
    enqueued: int
    delivery: DeliverySummary
    remote_errors: tuple[str, ...] = ()  # PagerDuty lifecycle reads that failed this tick (redacted)

    def __str__(self) -> str:
        kinds: dict[str, int] = {}
        for c in self.changes:
            kinds[c.what] = kinds.get(c.what, 0) + 1
        return f"incidents {kinds or 'unchanged'}; {self.enqueued} notification(s) enqueued; delivery: {self.delivery}"


class AlertService:
    def __init__(self, db: sa.Engine, oncall: OnCallEngine, lineage: Lineage, cfg: AlertingConfig,
                 channels: Mapping[str, Channel], clock: Callable[[], dt.datetime] = utc_now,
                 remote: Mapping[str, PagerDutyLifecycle] | None = None):
        """`remote`: PagerDuty accounts whose acknowledgements and resolves are read back each tick."""
        self.store, self.outbox = IncidentStore(db), Outbox(db, clock=clock)
        self.oncall, self.lineage, self.cfg, self.channels, self.clock = oncall, lineage, cfg, channels, clock
        self.remote = dict(remote or {})

    @property
    def settings(self) -> DispatchSettings:
        return DispatchSettings.of(self.cfg)

    def silences(self) -> list[Silence]:
        configured = [Silence(**s.model_dump()) for s in self.cfg.silences]
        return configured + self.store.silences()

    def tick(self, signals: Iterable[Signal]) -> TickReport:
        now = self.clock()
        incidents = self.store.open_incidents() + self.store.unsent_resolved()
        before = {i.id: json.dumps(i.to_json(), default=str) for i in incidents}
        remote_errors = self._read_remote(incidents, now)
        commands = self.store.pending_commands()
        _apply_commands(incidents, commands)
        changes = apply(signals, incidents, self.lineage)
        notes = plan(incidents, self.oncall, self.lineage, self.silences(), self.settings, now)
        enqueued = self.outbox.enqueue_many(notes)
        # Only what changed is written: a quiet tick writes nothing.
        after = {i.id: json.dumps(i.to_json(), default=str) for i in incidents}
        self.store.save([i for i in incidents if after[i.id] != before.get(i.id)], now, after)
        self.store.mark_applied([c["id"] for c in commands])
        return TickReport(changes, enqueued, self.outbox.deliver(self.channels), remote_errors)

    def _read_remote(self, incidents: list[Incident], now: dt.datetime) -> tuple[str, ...]:
        """Queue what PagerDuty acknowledged or resolved as commands; a PagerDuty that cannot be read
        is reported, never fatal (the tick still alerts). Nothing is asked when nothing is open."""
        live = [i for i in incidents if i.status != "resolved"]
        if not live or not self.remote:
            return ()
        since, errors = min(i.opened_at for i in live) - dt.timedelta(hours=1), []
        for name, account in self.remote.items():
            try:
                states = account.changed_since(since, now + dt.timedelta(minutes=5))
            except LifecycleError as exc:
                errors.append(f"{name}: {exc}")
                continue
            for c in remote_commands(states, live):
                self.store.request(**c)
        return tuple(errors)


def _apply_commands(incidents: list[Incident], commands: list[dict]) -> None:
    by_id = {i.id: i for i in incidents}
    for c in commands:
        inc = by_id.get(c["incident_id"])
        if inc is None or inc.status == "resolved":
            continue
        at = dt.datetime.fromisoformat(c["at"])
        if c["action"] == "ack" and inc.status == "open":
            inc.status, inc.acknowledged_at, inc.acknowledged_by = "acknowledged", at, c["by"]
            inc.note(at, f"acknowledged by {c['by']}{': ' + c['reason'] if c['reason'] else ''}")
        elif c["action"] == "resolve":
            inc.status, inc.resolved_at, inc.resolution = "resolved", at, f"resolved by {c['by']}" + (
                f": {c['reason']}" if c["reason"] else "")
            inc.note(at, inc.resolution)
