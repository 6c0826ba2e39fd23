"""Rotation layers: which member is primary and backup in shift k, and when shift k starts.

Shift k (k = 0 is "week 1") starts at `handoff_time` on `anchor + k * shift_days` in the layer's
timezone and ends where shift k + 1 starts: boundaries are wall-clock, so a Monday 09:00
Europe/Berlin rota has 167 h and 169 h shifts in the DST weeks. Only the UTC conversion of a
boundary depends on DST, never the week number.

Backups: cycle c = k // n (n members) uses `backup_offsets[c % len]` (primary index + offset) or
the explicit `backup_orders[c % len][k % n]`; plan 002's table is offsets [1, 2].
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline_ops.config.oncall import RotationLayer, hhmm_time
from pipeline_ops.oncall.timeutil import wall_to_utc, zone

FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Shift:
    """One base shift of a layer (before holidays, swaps, overrides or PTO change anything)."""

    layer: str
    index: int  # 0-based; the plans' "week number" is index + 1
    start_local: dt.datetime  # naive wall clock in the layer timezone
    end_local: dt.datetime
    start: dt.datetime  # UTC
    end: dt.datetime
    primary: str
    backup: str | None

    @property
    def number(self) -> int:
        return self.index + 1


class Layer:
    """A compiled rotation layer with cached shift boundaries."""

    def __init__(self, spec: RotationLayer):
        self.spec = spec
        self.id = spec.id
        self.tz = zone(spec.timezone)
        self.members = list(spec.members)
        self.n = len(self.members)
        self.step = spec.shift_days
        self.handoff = hhmm_time(spec.handoff_time)
        self.anchor = spec.anchor
        self.start = wall_to_utc(dt.datetime.combine(spec.start_date, self.handoff), self.tz)
        self.end = (
            wall_to_utc(dt.datetime.combine(spec.effective_until, self.handoff), self.tz)
            if spec.effective_until
            else FAR_FUTURE
        )
        self._bounds: dict[int, dt.datetime] = {}
        self._shifts: dict[int, Shift] = {}

    def contains(self, t: dt.datetime) -> bool:
        return self.start <= t < self.end

    def local_start(self, k: int) -> dt.datetime:
        return dt.datetime.combine(self.anchor + dt.timedelta(days=k * self.step), self.handoff)

    def boundary(self, k: int) -> dt.datetime:
        """UTC start of shift k (cached: the engine asks for the same few weeks again and again)."""
        b = self._bounds.get(k)
        if b is None:
            b = self._bounds[k] = wall_to_utc(self.local_start(k), self.tz)
        return b

    def index_at(self, t: dt.datetime) -> int:
        """The shift containing UTC instant t (half-open: a handoff instant belongs to the new shift)."""
        days = (t.astimezone(self.tz).date() - self.anchor).days
        k = days // self.step
        while t < self.boundary(k):
            k -= 1
        while t >= self.boundary(k + 1):
            k += 1
        return k

    def primary(self, k: int) -> str:
        return self.members[k % self.n]

    def backup(self, k: int) -> str | None:
        spec = self.spec
        cycle = k // self.n
        if spec.backup_orders:
            return spec.backup_orders[cycle % len(spec.backup_orders)][k % self.n]
        if not spec.backup_offsets:
            return None
        offset = spec.backup_offsets[cycle % len(spec.backup_offsets)]
        return self.members[(k + offset) % self.n]

    def shift(self, k: int) -> Shift:
        s = self._shifts.get(k)
        if s is None:
            s = self._shifts[k] = Shift(
                self.id, k, self.local_start(k), self.local_start(k + 1),
                self.boundary(k), self.boundary(k + 1), self.primary(k), self.backup(k),
            )
        return s

    def shifts_overlapping(self, a: dt.datetime, b: dt.datetime) -> list[Shift]:
        """Base shifts overlapping [a, b) and this layer's effective window."""
        a, b = max(a, self.start), min(b, self.end)
        if a >= b:
            return []
        out, k = [], self.index_at(a)
        while self.boundary(k) < b:
            out.append(self.shift(k))
            k += 1
        return out

    def next_primary_shift(self, member: str, after: int) -> Shift | None:
        """The first shift after index `after` in which `member` is primary (plan 001's "next rotation")."""
        for k in range(after + 1, after + 1 + self.n):
            if self.primary(k) == member:
                return self.shift(k)
        return None
