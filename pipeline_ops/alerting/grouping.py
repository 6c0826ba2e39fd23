"""Signals -> alerts -> incidents, grouped by root cause with the asset lineage.

Rules, in order, for a failing signal (its fingerprint: pipeline|asset|check-or-class|partition):
1. *Repeat*: an open incident already has the fingerprint -> counted there, nobody is paged again
   (unless the repeat is an ERROR of a WARN alert: the alert becomes ERROR, and the incident's
   severity level may rise, which re-routes it; a level never falls).
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
    changes, live = [], _Live(incidents)
    batch = sorted(signals, key=lambda s: (s.at.replace(second=0, microsecond=0), lineage.depth(s.asset), s.at))
    for s in batch:
        changes.extend(_recover(s, live, lineage) if not s.failing else [_place(s, live, lineage)])
    return changes


class _Live:
    """The incidents with lookups by fingerprint and by asset, so placing a burst of signals does
    not scan every alert of every incident per signal. `first` returns the oldest open match, as
    the rules say (opened_at, then list order)."""

    def __init__(self, incidents: list[Incident]):
        self.incidents = incidents
        self.rank: dict[str, tuple] = {}
        self.by_fp: dict[str, list[Incident]] = {}
        self.by_asset: dict[str, list[Incident]] = {}
        for inc in incidents:
            self.add(inc)

    def add(self, inc: Incident) -> None:
        if inc.id not in self.rank:
            self.rank[inc.id] = (inc.opened_at, len(self.rank))
        for a in inc.alerts.values():
            self.index(inc, a)

    def index(self, inc: Incident, a: AlertState) -> None:
        for table, key in ((self.by_fp, a.fingerprint), (self.by_asset, a.asset)):
            found = table.setdefault(key, [])
            if inc not in found:
                found.append(inc)

    def on_assets(self, assets: Iterable[str]) -> list[Incident]:
        """Open incidents with an alert on any of `assets`, oldest first."""
        found = {inc.id: inc for a in assets for inc in self.by_asset.get(a, ()) if inc.is_open}
        return sorted(found.values(), key=lambda i: self.rank[i.id])

    def join(self, inc: Incident, a: AlertState) -> None:
        inc.alerts[a.fingerprint] = a
        self.index(inc, a)


def _alert(s: Signal, pipeline: str, role: Role) -> AlertState:
    return AlertState(s.fingerprint(pipeline), pipeline, s.asset, s.failure_class, s.kind, s.partition, s.level,
                      role, True, s.at, s.at, s.summary, dict(s.details))


def _place(s: Signal, live: _Live, lineage: Lineage) -> Change:
    pipeline = lineage.pipeline(s.asset)
    fp = s.fingerprint(pipeline)
    for inc in sorted((i for i in live.by_fp.get(fp, ()) if i.is_open), key=lambda i: live.rank[i.id])[:1]:
        a = inc.alerts[fp]
        a.count, a.last_seen, a.summary, a.details = a.count + 1, s.at, s.summary, dict(s.details)
        if not a.failing:
            a.failing = True
            inc.note(s.at, f"{fp} failing again")
        if s.level == "ERROR" and a.level != "ERROR":  # a WARN that worsened (freshness WARN -> FAIL)
            a.level = "ERROR"
            inc.note(s.at, f"{fp} now ERROR")
        return Change(inc.id, "repeat", fp)
    ups = lineage.ancestors(s.asset)
    for inc in live.on_assets(ups & live.by_asset.keys()):
        if any(a.failing and a.asset in ups and overlaps(a.partition, s.partition) for a in inc.alerts.values()):
            live.join(inc, _alert(s, pipeline, "also_affects"))
            inc.note(s.at, f"also affects {s.asset} [{s.partition or 'all'}]: {s.failure_class}")
            return Change(inc.id, "joined", fp)
    for inc in live.on_assets([s.asset]):
        if any(a.asset == s.asset and overlaps(a.partition, s.partition) for a in inc.alerts.values()):
            live.join(inc, _alert(s, pipeline, "same_asset"))
            inc.note(s.at, f"also failed on {s.asset} [{s.partition or 'all'}]: {s.failure_class}")
            return Change(inc.id, "joined", fp)
    downs = lineage.descendants(s.asset)
    for inc in live.on_assets(downs & live.by_asset.keys()):
        if all(a.asset in downs and overlaps(a.partition, s.partition) for a in inc.alerts.values()):
            inc.root_alert.role = "also_affects"
            live.join(inc, _alert(s, pipeline, "root"))
            inc.root = fp
            inc.note(s.at, f"root cause found upstream: {fp}")
            return Change(inc.id, "new_root", fp)
    inc = Incident(incident_id(fp, s.at), s.at, fp, {fp: _alert(s, pipeline, "root")})
    inc.note(s.at, f"opened: {fp}: {s.summary}")
    live.incidents.append(inc)
    live.add(inc)
    return Change(inc.id, "opened", fp)


def _recover(s: Signal, live: _Live, lineage: Lineage) -> list[Change]:
    fp = s.fingerprint(lineage.pipeline(s.asset))
    out = []
    # Both ways an alert is answered (its own fingerprint, a build of its asset) are on the signal's asset.
    for inc in sorted((i for i in live.by_asset.get(s.asset, ()) if i.is_open), key=lambda i: live.rank[i.id][1]):
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

