"""Time off: approved PTO and plan 001's compensating day off for a holiday worked.

Compensating day off: the member who is primary at 12:00 (team timezone) on a team holiday has
worked it. They are owed one day, taken during their next primary shift of the rota: the first
business day lying wholly inside that shift (with a Monday 09:00 handoff: the Tuesday). That day
they are treated as off, so the backup covers.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pipeline_ops.oncall.rotation import Layer, Shift
from pipeline_ops.oncall.timeutil import day_bounds, to_utc, wall_to_utc

if TYPE_CHECKING:
    from pipeline_ops.oncall.engine import OnCallEngine

NOON = dt.time(12)


class OffDays:
    def __init__(self, engine: OnCallEngine):
        self.engine = engine
        self.pto: dict[str, list[tuple[dt.datetime, dt.datetime, str]]] = {}
        for p in engine.oc.pto:
            start, _ = day_bounds(p.start, engine.tz)
            _, end = day_bounds(p.end, engine.tz)
            self.pto.setdefault(p.member, []).append((start, end, p.reason))
        self.comp_enabled = engine.oc.holiday_rules.compensating_day_off and engine.team_calendar is not None
        self._comp: dict[tuple[str, int], dict[dt.date, str]] = {}

    def pto_reason(self, member: str, t: dt.datetime) -> str | None:
        for start, end, reason in self.pto.get(member, ()):
            if start <= t < end:
                return f"PTO ({reason})"
        return None

    def reason(self, member: str, t: dt.datetime, layer: Layer, shift: Shift, comp: bool) -> str | None:
        why = self.pto_reason(member, t)
        if why or not (comp and self.comp_enabled) or member != shift.primary:
            return why
        day = t.astimezone(self.engine.tz).date()
        owed_for = self.comp_days(layer, shift.index).get(day)
        return f"compensating day off for {owed_for}" if owed_for else None

    def apply(self, t, layer: Layer, shift: Shift, p, b, trace: list[str], comp: bool = True):
        """Move roles away from absent members (see engine precedence, step 6)."""
        p_off = self.reason(p, t, layer, shift, comp) if p else None
        b_off = self.reason(b, t, layer, shift, comp) if b else None
        if not (p_off or b_off):
            return p, b
        origin = p
        if p_off:
            trace.append(f"{p} is off ({p_off})")
        if b_off:
            trace.append(f"{b} is off ({b_off})")
        if p_off:
            p, b = (b, None) if b and not b_off else (None, None)
        else:
            b = None
        if p is None:
            p = self._substitute(t, layer, shift, origin, {b}, comp)
        if b is None and shift.backup is not None:
            b = self._substitute(t, layer, shift, p or origin, {p}, comp)
        trace.append(f"after time off: primary {p}, backup {b}")
        return p, b

    def _substitute(self, t, layer: Layer, shift: Shift, after, exclude: set, comp: bool) -> str | None:
        members = layer.members
        start = members.index(after) + 1 if after in members else 0
        for i in range(len(members)):
            m = members[(start + i) % len(members)]
            if m not in exclude and not self.reason(m, t, layer, shift, comp):
                return m
        return None

    def worked_by(self, day: dt.date) -> str | None:
        """Who was primary at noon on holiday `day` (team timezone), ignoring compensating days."""
        noon = wall_to_utc(dt.datetime.combine(day, NOON), self.engine.tz)
        return self.engine.resolve(noon, comp=False).primary

    def comp_days(self, layer: Layer, k: int) -> dict[dt.date, str]:
        """Compensating days off inside shift k for its primary: date -> "holiday date name"."""
        key = (layer.id, k)
        if key in self._comp:
            return self._comp[key]
        member, tz = layer.primary(k), self.engine.tz
        prev = next((k - j for j in range(1, layer.n + 1) if layer.primary(k - j) == member), k - layer.n)
        since, until = layer.boundary(prev), layer.boundary(k)
        cal = self.engine.team_calendar
        owed = []
        for day, name in cal.between(since.astimezone(tz).date(), until.astimezone(tz).date()):
            noon = to_utc(dt.datetime.combine(day, NOON), tz)
            if since <= noon < until and self.worked_by(day) == member:
                owed.append(f"{day} {name}")
        out: dict[dt.date, str] = {}
        shift, business = layer.shift(k), self.engine.business
        day = shift.start.astimezone(tz).date()
        while owed and day <= shift.end.astimezone(tz).date():
            start, end = day_bounds(day, tz)
            if shift.start <= start and end <= shift.end and business.is_business_day(day):
                out[day] = owed.pop(0)
            day += dt.timedelta(days=1)
        self._comp[key] = out
        return out
