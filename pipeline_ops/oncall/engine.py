"""Who is primary and backup at an instant, and why (the explanation trace).

Precedence, lowest to highest -- each step sees the result of the one before:

1. rotation layer: the layer in effect with the latest `effective_from` (a roster edit never
   reshuffles earlier shifts); shift k of that layer gives the base primary and backup;
2. holiday season (plan 000): inside the season the day's volunteer is primary, the rota's
   primary (or, if that is the volunteer, the rota's backup) is backup;
3. holiday promotion (plan 002): on a promotion holiday -- the whole calendar day in the *team*
   timezone, 00:00 to 24:00 -- backup and primary exchange roles; not inside the season, which
   was planned around the holidays;
4. swaps, oldest `created_at` first: the two members exchange whatever roles they hold;
5. overrides, oldest `created_at` first so the newest wins: `member` takes `role` (only while
   `replaces` holds it, if given); if `member` held the other role, the displaced person takes
   it, so an override can never leave primary and backup the same person;
6. time off: a primary on PTO (or on a compensating day off, plan 001) hands primary to the
   backup; an absent role is filled by the next member in rota order who is present and not
   already on call. Nobody is ever on call during their PTO.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline_ops.config.models import PipelineOpsConfig
from pipeline_ops.oncall.business import Business
from pipeline_ops.oncall.calendars import Calendar
from pipeline_ops.oncall.offdays import OffDays
from pipeline_ops.oncall.rotation import Layer, Shift
from pipeline_ops.oncall.seasons import Seasons
from pipeline_ops.oncall.timeutil import UTC, parse_instant, to_utc, zone


@dataclass(frozen=True)
class Assignment:
    at: dt.datetime  # UTC
    primary: str | None
    backup: str | None
    layer: str | None
    shift: Shift | None  # the base rota shift containing `at`
    trace: tuple[str, ...]
    holiday: str | None = None  # "2025-10-20 Diwali" when a holiday promotion decided it

    @property
    def week(self) -> int | None:
        return self.shift.number if self.shift else None


@dataclass(frozen=True)
class _Timed:
    start: dt.datetime
    end: dt.datetime
    item: object


class OnCallEngine:
    """Pure answers over (config, time). Build once per config; every method is side-effect free."""

    def __init__(self, cfg: PipelineOpsConfig):
        if cfg.oncall is None:
            raise ValueError("config has no `oncall:` section (expected rotations, escalation, ...)")
        self.cfg = cfg
        self.oc = cfg.oncall
        self.tz = zone(cfg.team.timezone)
        self.calendars = {key: Calendar(key, spec) for key, spec in cfg.calendars.items()}
        self.team_calendar = self.calendars.get(self.oc.team_calendar or "")
        rules = self.oc.holiday_rules
        promo_key = rules.promotion_calendar or self.oc.team_calendar
        self.promotion_calendar = self.calendars.get(promo_key or "") if rules.promote_backup else None
        # Latest effective_from first: the first layer containing an instant is the one in effect.
        self.layers = sorted((Layer(spec) for spec in self.oc.rotations), key=lambda lay: lay.start, reverse=True)
        order = lambda pair: (to_utc(pair[1].created_at, self.tz), pair[0])  # noqa: E731
        self.swaps = [self._timed(s) for _, s in sorted(enumerate(self.oc.swaps), key=order)]
        self.overrides = [self._timed(o) for _, o in sorted(enumerate(self.oc.overrides), key=order)]
        self.business = Business(self)
        self.off = OffDays(self)
        self.seasons = Seasons(self) if self.oc.holiday_season else None

    def _timed(self, item) -> _Timed:
        return _Timed(to_utc(item.start, self.tz), to_utc(item.end, self.tz), item)

    # -- public questions ------------------------------------------------------------------
    def instant(self, value: str | dt.datetime | dt.date) -> dt.datetime:
        """Parse a user-given instant; no offset means team-timezone wall time."""
        return parse_instant(value, self.tz)

    def layer_at(self, t: dt.datetime) -> Layer | None:
        for layer in self.layers:
            if layer.start <= t < layer.end:
                return layer
        return None

    def who(self, t: dt.datetime) -> Assignment:
        """Primary and backup at instant t (aware datetime), with the trace of what decided it."""
        return self.resolve(t.astimezone(UTC))

    def resolve(self, t: dt.datetime, comp: bool = True) -> Assignment:
        """`who` for a UTC instant; comp=False ignores compensating days (used to find who worked a holiday)."""
        trace: list[str] = []
        layer = self.layer_at(t)
        if layer is None:
            return Assignment(t, None, None, None, None, ("no rotation layer in effect (coverage gap)",))
        k = layer.index_at(t)
        shift = layer.shift(k)
        p, b = shift.primary, shift.backup
        trace.append(f"layer {layer.id} week {k + 1} ({shift.start_local:%Y-%m-%d %H:%M} -> "
                     f"{shift.end_local:%Y-%m-%d %H:%M} {layer.spec.timezone}): primary {p}, backup {b}")
        holiday = None
        day = t.astimezone(self.tz).date()
        volunteer = self.seasons.volunteer(t) if self.seasons else None
        if volunteer:
            b = p if p != volunteer else b
            p = volunteer
            trace.append(f"holiday season {day}: volunteer {p} is primary, backup {b}")
        elif self.promotion_calendar is not None and b is not None:
            name = self.promotion_calendar.name(day)
            if name:
                p, b = b, p
                holiday = f"{day} {name}"
                trace.append(f"holiday {day} ({name}, team timezone day): backup promoted, {p} primary, {b} backup")
        for w in self.swaps:
            if w.start <= t < w.end:
                x, y = w.item.members
                swap = {x: y, y: x}
                p, b = swap.get(p, p), swap.get(b, b)
                trace.append(f"swap {x}<->{y} ({w.item.reason}; approved by {w.item.approver})")
        for w in self.overrides:
            if w.start <= t < w.end:
                o = w.item
                holder = p if o.role == "primary" else b
                if o.replaces and holder != o.replaces:
                    continue
                if o.role == "primary":
                    p, b = o.member, (p if b == o.member else b)
                else:
                    p, b = (b if p == o.member else p), o.member
                trace.append(f"override: {o.member} is {o.role} ({o.reason}; approved by {o.approver})")
        p, b = self.off.apply(t, layer, shift, p, b, trace, comp)
        return Assignment(t, p, b, layer.id, shift, tuple(trace), holiday)

    def member_ids(self) -> list[str]:
        return [m.id for m in self.cfg.team.members]

    def label(self, member: str | None) -> str:
        return member or "-"
