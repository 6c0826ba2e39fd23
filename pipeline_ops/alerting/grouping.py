"""Signals -> alerts -> incidents, grouped by root cause with the asset lineage.

Rules, in order, for a failing signal (its fingerprint: pipeline|asset|check-or-class|partition):
1. *Repeat*: an open incident already has the fingerprint -> counted there, nobody is paged again.
2. *Consequence*: an open incident has a failing alert on an asset upstream of this one, for a
   partition that overlaps (a month contains its days; freshness covers every partition) -> joins
   it as "also affects". This replaces Alertmanager's hand-written inhibit rules.
3. *Same asset*: an open incident has an alert on the same asset and an overlapping partition
   (several checks failing on one bad partition) -> joins it.
4. *Cause found later*: an open incident's alerts are all downstream of this asset -> this one
   joins as the new root (the root moves upstream; the incident keeps its id and pages).
5. Otherwise a new incident.
The oldest matching incident wins. A batch is processed root first (by depth in the graph), so a
burst from one fault forms one incident whatever order the events arrived in.

A recovering signal marks its alert recovered (a materialization answers a run failure of that
asset and partition); an incident whose alerts have all recovered resolves itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline_ops.alerting.incident import AlertState, Incident, Role
from pipeline_ops.alerting.lineage import Lineage
from pipeline_ops.alerting.signals import Signal, overlaps, span


@dataclass(frozen=True)
class Change:
    incident_id: str
    what: str  # "opened" | "joined" | "repeat" | "new_root" | "recovered" | "resolved" | "ignored"
    fingerprint: str


def incident_id(fingerprint: str, at: dt.datetime) -> str:
    """Stable and short: the root fingerprint and the opening time (a re-opened failure is a new incident)."""
    return "inc-" + hashlib.sha256(f"{fingerprint}@{at.isoformat()}".encode()).hexdigest()[:12]


def apply(signals: Iterable[Signal], incidents: list[Incident], lineage: Lineage) -> list[Change]:
    """Fold `signals` into `incidents` (mutated in place, new ones appended); returns what changed."""
    changes = []
    batch = sorted(signals, key=lambda s: (s.at.replace(second=0, microsecond=0), lineage.depth(s.asset), s.at))
    for s in batch:
        changes.extend(_recover(s, incidents, lineage) if not s.failing else [_place(s, incidents, lineage)])
    return changes


def _alert(s: Signal, pipeline: str, role: Role) -> AlertState:
    return AlertState(s.fingerprint(pipeline), pipeline, s.asset, s.failure_class, s.kind, s.partition, s.level,
                      role, True, s.at, s.at, s.summary, dict(s.details))


def _place(s: Signal, incidents: list[Incident], lineage: Lineage) -> Change:
    pipeline = lineage.pipeline(s.asset)
    fp = s.fingerprint(pipeline)
    live = sorted((i for i in incidents if i.is_open), key=lambda i: i.opened_at)
    for inc in live:
        if fp in inc.alerts:
            a = inc.alerts[fp]
            a.count, a.last_seen, a.summary, a.details = a.count + 1, s.at, s.summary, dict(s.details)
            if not a.failing:
                a.failing = True
                inc.note(s.at, f"{fp} failing again")
            return Change(inc.id, "repeat", fp)
    ups = lineage.ancestors(s.asset)
    for inc in live:
        if any(a.failing and a.asset in ups and overlaps(a.partition, s.partition) for a in inc.alerts.values()):
            inc.alerts[fp] = _alert(s, pipeline, "also_affects")
            inc.note(s.at, f"also affects {s.asset} [{s.partition or 'all'}]: {s.failure_class}")
            return Change(inc.id, "joined", fp)
    for inc in live:
        if any(a.asset == s.asset and overlaps(a.partition, s.partition) for a in inc.alerts.values()):
            inc.alerts[fp] = _alert(s, pipeline, "same_asset")
            inc.note(s.at, f"also failed on {s.asset} [{s.partition or 'all'}]: {s.failure_class}")
            return Change(inc.id, "joined", fp)
    downs = lineage.descendants(s.asset)
    for inc in live:
        if all(a.asset in downs and overlaps(a.partition, s.partition) for a in inc.alerts.values()):
            inc.root_alert.role = "also_affects"
            inc.alerts[fp] = _alert(s, pipeline, "root")
            inc.root = fp
            inc.note(s.at, f"root cause found upstream: {fp}")
            return Change(inc.id, "new_root", fp)
    inc = Incident(incident_id(fp, s.at), s.at, fp, {fp: _alert(s, pipeline, "root")})
    inc.note(s.at, f"opened: {fp}: {s.summary}")
    incidents.append(inc)
    return Change(inc.id, "opened", fp)


def _recover(s: Signal, incidents: list[Incident], lineage: Lineage) -> list[Change]:
    pipeline = lineage.pipeline(s.asset)
    fp = s.fingerprint(pipeline)
    out = []
    for inc in (i for i in incidents if i.is_open):
        hits = [a for a in inc.alerts.values() if a.failing and _answers(s, a, fp)]
        for a in hits:
            a.failing, a.last_seen = False, s.at
            inc.note(s.at, f"recovered: {a.fingerprint}")
            out.append(Change(inc.id, "recovered", a.fingerprint))
        if hits and not any(a.failing for a in inc.alerts.values()):
            inc.status, inc.resolved_at, inc.resolution = "resolved", s.at, "every alert recovered"
            inc.note(s.at, "resolved: every alert recovered")
            out.append(Change(inc.id, "resolved", fp))
    return out


def _answers(s: Signal, a: AlertState, fp: str) -> bool:
    if a.fingerprint == fp:
        return True
    # A build of the asset answers its run failure for any partition it covers (a backfill range too).
    return s.kind == "materialized" and a.name == "run_failure" and a.asset == s.asset and _covers(s.partition, a.partition)


def _covers(built: str | None, failed: str | None) -> bool:
    """True when the built partition(s) include every day of the failed one (None: the whole asset)."""
    b, f = span(built), span(failed)
    if b is None:
        return True
    return f is not None and b[0] <= f[0] and f[1] <= b[1]

