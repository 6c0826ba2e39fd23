"""On-call section of the configuration: who is responsible when, and how they are reached.

Shapes only; the rules that use them live in `pipeline_ops/oncall/` (the engine). Every model
forbids unknown keys, and every validator message names what was expected, so a typo in a rota
is an error at load time, not a silent gap at 3 a.m. Member ids, calendar keys and pipeline keys
are checked against the rest of the file in `OnCallConfig.reference_problems` (the loader calls
it) so each message carries its full key path, e.g. `oncall.overrides[2].member`.

Times written without an offset (`2025-09-03T09:00`) are wall-clock times in the team timezone.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

if TYPE_CHECKING:  # models.py imports this module; only the type is needed here
    from pipeline_ops.config.models import PipelineOpsConfig

SLUG = r"^[a-z][a-z0-9_]*$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Strict(BaseModel):
    # Same strictness as models.StrictModel (not imported: models.py imports this module).
    model_config = ConfigDict(extra="forbid", frozen=True)


def _hhmm(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f"expected a 24-hour time 'HH:MM', got {value!r}")
    return value


def _tz(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r} (expected e.g. 'Asia/Kolkata' or 'UTC')")
    return value


def hhmm_time(value: str) -> dt.time:
    hour, minute = value.split(":")
    return dt.time(int(hour), int(minute))


class RotationLayer(_Strict):
    """One version of the weekly (or n-day) rota. A roster edit is a new layer with a later
    `effective_from`, so shifts already worked are never reshuffled."""

    id: str = Field(pattern=SLUG)
    anchor: dt.date  # shift 1 (week 1) starts at handoff_time on this date
    effective_from: dt.date | None = None  # default: anchor; the layer applies from this date's handoff
    effective_until: dt.date | None = None  # exclusive, at handoff_time
    timezone: str
    handoff_weekday: Weekday | None = None  # if set, anchor must fall on it (catches off-by-one dates)
    handoff_time: str = "09:00"
    shift_days: int = Field(default=7, ge=1, le=28)
    members: list[str] = Field(min_length=1)  # primary order: shift k's primary is members[k % n]
    # Backup: offset into `members` per cycle of n shifts (cycles repeat), e.g. plan 002's [1, 2];
    # or an explicit backup column per cycle. [] = no backup role.
    backup_offsets: list[int] = [1]
    backup_orders: list[list[str]] | None = None

    _tzv = field_validator("timezone")(_tz)
    _hv = field_validator("handoff_time")(_hhmm)

    @model_validator(mode="after")
    def _consistent(self) -> RotationLayer:
        n = len(self.members)
        if len(set(self.members)) != n:
            raise ValueError(f"members: each member may appear once in the primary order, got {self.members}")
        if self.handoff_weekday and WEEKDAYS[self.anchor.weekday()] != self.handoff_weekday:
            raise ValueError(
                f"anchor: {self.anchor} is a {WEEKDAYS[self.anchor.weekday()]}, "
                f"expected a {self.handoff_weekday} (handoff_weekday)"
            )
        if self.effective_until and self.effective_until <= (self.effective_from or self.anchor):
            raise ValueError("effective_until: expected a date after effective_from")
        if self.backup_orders is not None:
            for c, order in enumerate(self.backup_orders):
                if len(order) != n:
                    raise ValueError(f"backup_orders[{c}]: expected {n} members (one per shift), got {len(order)}")
                for i, (p, b) in enumerate(zip(self.members, order)):
                    if p == b:
                        raise ValueError(f"backup_orders[{c}][{i}]: {b!r} would back themselves up")
        else:
            for c, off in enumerate(self.backup_offsets):
                if off % n == 0:
                    raise ValueError(
                        f"backup_offsets[{c}]: offset {off} makes each primary their own backup "
                        f"(expected 1..{n - 1} for {n} members)"
                    )
        return self

    @property
    def start_date(self) -> dt.date:
        return self.effective_from or self.anchor

    @property
    def has_backup(self) -> bool:
        return bool(self.backup_orders) or bool(self.backup_offsets)


class HolidayRules(_Strict):
    """What a team holiday (a calendar day in the team timezone) changes."""

    promote_backup: bool = False  # plan 002: backup is primary for the day, primary becomes backup
    promotion_calendar: str | None = None  # default: oncall.team_calendar
    compensating_day_off: bool = False  # plan 001: a holiday worked earns a day off in the next shift


class SeasonPreference(_Strict):
    prefer: list[dt.date] = Field(default=[], max_length=10)
    avoid: list[dt.date] = Field(default=[], max_length=10)

    @model_validator(mode="after")
    def _disjoint(self) -> SeasonPreference:
        both = sorted(set(self.prefer) & set(self.avoid))
        if both:
            raise ValueError(f"avoid: {', '.join(map(str, both))} also listed under prefer (expected one or the other)")
        return self


class HolidaySeason(_Strict):
    """Plan 000: from one holiday to another (Thanksgiving -> New Year's Day) the weekly rota is
    replaced by 1-3 day shifts filled from volunteers' preferred and avoided days."""

    calendar: str  # key of `calendars` used to find the two holidays
    start_holiday: str = "Thanksgiving"
    end_holiday: str = "New Year's Day"  # first occurrence after start: a season spans two years
    handoff_time: str = "09:00"
    min_shift_days: int = Field(default=1, ge=1, le=7)
    max_shift_days: int = Field(default=3, ge=1, le=7)
    members: list[str] = []  # default: the active rotation layer's members
    preferences: dict[int, dict[str, SeasonPreference]] = {}  # season start year -> member -> days

    _hv = field_validator("handoff_time")(_hhmm)

    @model_validator(mode="after")
    def _lengths(self) -> HolidaySeason:
        if self.max_shift_days < self.min_shift_days:
            raise ValueError("max_shift_days: expected at least min_shift_days")
        return self


class Pto(_Strict):
    """Approved time off: whole team-timezone calendar days, `start` to `end` inclusive."""

    member: str
    start: dt.date
    end: dt.date
    reason: str = "PTO"
    approver: str | None = None

    @model_validator(mode="after")
    def _order(self) -> Pto:
        if self.end < self.start:
            raise ValueError(f"end: expected a date on or after start ({self.start})")
        return self


class _Window(_Strict):
    start: dt.datetime
    end: dt.datetime
    reason: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    created_at: dt.datetime

    @model_validator(mode="after")
    def _order(self) -> _Window:
        a, b = self.start, self.end
        if (a.tzinfo is None) == (b.tzinfo is None) and b <= a:
            raise ValueError(f"end: expected a time after start ({a.isoformat()})")
        return self


class Override(_Window):
    """`member` takes `role` during [start, end) -- only while `replaces` holds it, if given."""

    role: Literal["primary", "backup"]
    member: str
    replaces: str | None = None


class Swap(_Window):
    """Two members exchange whatever roles they hold during [start, end)."""

    members: list[str] = Field(min_length=2, max_length=2)


class EscalationStep(_Strict):
    """One rung of the ladder; `delay_minutes` counts from the previous step that paged someone."""

    target: Literal["primary", "backup", "incident_commander", "platform_lead", "member", "contact"]
    delay_minutes: int = Field(default=0, ge=0, le=24 * 60)
    member: str | None = None  # for target: member
    contact: str | None = None  # for target: contact (someone outside the team, e.g. a manager)

    @model_validator(mode="after")
    def _needs(self) -> EscalationStep:
        if self.target == "member" and not self.member:
            raise ValueError("member: required when target is 'member' (expected a member id)")
        if self.target == "contact" and not self.contact:
            raise ValueError("contact: required when target is 'contact' (expected a name or address)")
        return self


class BusinessHours(_Strict):
    start: str = "09:00"
    end: str = "18:00"
    weekdays: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]

    _hv = field_validator("start", "end")(_hhmm)

    @model_validator(mode="after")
    def _order(self) -> BusinessHours:
        if hhmm_time(self.end) <= hhmm_time(self.start):
            raise ValueError(f"end: expected a time after start ({self.start})")
        return self


class WatchPeriod(_Strict):
    """Heightened watch (plan 004): the last N days of each month, team timezone."""

    name: str
    last_days_of_month: int = Field(default=7, ge=1, le=14)
    watchers: list[str] | Literal["all"] = "all"
    pipelines: list[str] = []  # empty: every pipeline


class LintSettings(_Strict):
    horizon_weeks: int = Field(default=52, ge=1, le=520)
    max_fairness_spread: float = Field(default=0.25, gt=0)  # (max - min) / mean primary hours
    max_consecutive_days: int = Field(default=10, ge=1)


class OnCallConfig(_Strict):
    team_calendar: str | None = None  # key of `calendars`: team holidays, business days
    business_hours: BusinessHours = BusinessHours()
    rotations: list[RotationLayer] = Field(min_length=1)
    require_backup: bool = True  # 24x7 tier: every instant needs a primary and a backup
    holiday_rules: HolidayRules = HolidayRules()
    holiday_season: HolidaySeason | None = None
    pto: list[Pto] = []
    swaps: list[Swap] = []
    overrides: list[Override] = []
    escalation: list[EscalationStep] = Field(
        default=[
            EscalationStep(target="primary"),
            EscalationStep(target="backup", delay_minutes=10),
            EscalationStep(target="incident_commander", delay_minutes=15),
            EscalationStep(target="platform_lead", delay_minutes=15),
        ],
        min_length=1,
    )
    platform_lead: str | None = None  # member id; default team.platform_lead, else off-rotation rule
    watch_periods: list[WatchPeriod] = []
    lint: LintSettings = LintSettings()

    @model_validator(mode="before")
    @classmethod
    def _retired_keys(cls, data: object) -> object:
        if isinstance(data, dict) and "routing" in data:
            raise ValueError("routing: retired; how each failure is delivered is the route of its severity "
                             "level, alerting.severities.<sev1|sev2|sev3>.route (page or chat): remove oncall.routing")
        return data

    def reference_problems(self, cfg: PipelineOpsConfig) -> list[tuple[str, str]]:
        """(key path, message) for member ids, calendars and pipelines that do not exist."""
        return _reference_problems(self, cfg)


def _reference_problems(oc: OnCallConfig, cfg: PipelineOpsConfig) -> list[tuple[str, str]]:
    members = [m.id for m in cfg.team.members]
    known = ", ".join(members)
    problems: list[tuple[str, str]] = []

    def member(key: str, value: str | None) -> None:
        if value is not None and value not in members:
            problems.append((key, f"unknown member {value!r} (expected one of: {known})"))

    def calendar(key: str, value: str | None) -> None:
        if value is not None and value not in cfg.calendars:
            have = ", ".join(cfg.calendars) or "none defined under calendars"
            problems.append((key, f"unknown calendar {value!r} (expected one of: {have})"))

    calendar("oncall.team_calendar", oc.team_calendar)
    calendar("oncall.holiday_rules.promotion_calendar", oc.holiday_rules.promotion_calendar)
    if oc.holiday_rules.promote_backup and not (oc.holiday_rules.promotion_calendar or oc.team_calendar):
        problems.append(("oncall.holiday_rules.promotion_calendar", "promote_backup needs a calendar "
                         "(expected promotion_calendar or oncall.team_calendar)"))
    for i, layer in enumerate(oc.rotations):
        for j, m in enumerate(layer.members):
            member(f"oncall.rotations[{i}].members[{j}]", m)
        for c, order in enumerate(layer.backup_orders or []):
            for j, m in enumerate(order):
                member(f"oncall.rotations[{i}].backup_orders[{c}][{j}]", m)
        if oc.require_backup and not layer.has_backup:
            problems.append((f"oncall.rotations[{i}].backup_offsets",
                             "require_backup is true: expected at least one backup offset or order"))
    if oc.holiday_season:
        season = oc.holiday_season
        calendar("oncall.holiday_season.calendar", season.calendar)
        for j, m in enumerate(season.members):
            member(f"oncall.holiday_season.members[{j}]", m)
        for year, prefs in season.preferences.items():
            for m in prefs:
                member(f"oncall.holiday_season.preferences[{year}].{m}", m)
    for name, items, fields in (("pto", oc.pto, ("member", "approver")), ("overrides", oc.overrides,
                                ("member", "replaces")), ("swaps", oc.swaps, ())):
        for i, item in enumerate(items):
            for f in fields:
                if f == "approver":
                    continue  # approvers may be managers outside the team
                member(f"oncall.{name}[{i}].{f}", getattr(item, f))
            for j, m in enumerate(getattr(item, "members", [])):
                member(f"oncall.{name}[{i}].members[{j}]", m)
            if name == "swaps" and len(set(item.members)) < 2:
                problems.append((f"oncall.swaps[{i}].members", "expected two different members"))
    for i, step in enumerate(oc.escalation):
        member(f"oncall.escalation[{i}].member", step.member)
    member("oncall.platform_lead", oc.platform_lead)
    for i, watch in enumerate(oc.watch_periods):
        if watch.watchers != "all":
            for j, m in enumerate(watch.watchers):
                member(f"oncall.watch_periods[{i}].watchers[{j}]", m)
        for j, key in enumerate(watch.pipelines):
            if key not in cfg.pipeline_keys:
                problems.append((f"oncall.watch_periods[{i}].pipelines[{j}]",
                                 f"unknown pipeline {key!r} (expected one of: {', '.join(cfg.pipeline_keys)})"))
    return problems
