"""Rota linter: problems a person would otherwise find at 3 a.m.

errors (exit status 1): coverage gaps (no primary, or no backup when `require_backup`), primary =
backup, an override that puts someone on call during their PTO, unknown members and pipelines
whose owners are not distinct (also refused when loading), a season day nobody can take.
warnings: a rota shift landing in someone's PTO (the engine covers it, but plan 002 asks for a
pre-arranged swap), fairness spread above `lint.max_fairness_spread`, a member primary for more
than `lint.max_consecutive_days` in a row, on call on a holiday of their own calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline_ops.oncall.fairness import figures, spread
from pipeline_ops.oncall.timeline import member_spans, segments
from pipeline_ops.oncall.timeutil import to_utc

if TYPE_CHECKING:
    from pipeline_ops.oncall.engine import OnCallEngine


@dataclass(frozen=True)
class Problem:
    level: str  # "error" | "warning"
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.key}: {self.message}"


def lint(engine: OnCallEngine, start: dt.datetime, weeks: int | None = None) -> list[Problem]:
    weeks = weeks or engine.oc.lint.horizon_weeks
    # Before the first layer there is no rota yet: that is history, not a gap.
    start = max(start, min(layer.start for layer in engine.layers))
    end = start + dt.timedelta(weeks=weeks)
    tz, oc = engine.tz, engine.oc
    fmt = lambda t: f"{t.astimezone(tz):%Y-%m-%d %H:%M}"  # noqa: E731
    out: list[Problem] = []
    segs = segments(engine, start, end)
    for s in segs:
        if s.primary is None:
            out.append(Problem("error", "oncall.rotations", f"coverage gap: no primary {fmt(s.start)} -> {fmt(s.end)}"))
        elif s.backup is None and oc.require_backup:
            out.append(Problem("error", "oncall.rotations", f"coverage gap: no backup {fmt(s.start)} -> {fmt(s.end)}"))
        elif s.primary == s.backup:
            out.append(Problem("error", "oncall", f"{s.primary} is both primary and backup {fmt(s.start)}"))
        for line in s.assignment.trace:
            if "is off (PTO" in line:
                out.append(Problem("warning", "oncall.pto", f"{fmt(s.start)}: {line}; arrange a swap"))
    for i, o in enumerate(oc.overrides):
        a, b = to_utc(o.start, tz), to_utc(o.end, tz)
        for s_, e_, _ in engine.off.pto.get(o.member, ()):
            if s_ < b and a < e_:
                out.append(Problem("error", f"oncall.overrides[{i}].member", f"{o.member} is on PTO during the override"))
    for i, p in enumerate(engine.cfg.pipelines):
        if p.primary_owner == p.secondary_owner:
            out.append(Problem("error", f"pipelines[{i}].secondary_owner", "owners must be two different members"))
    known = set(engine.member_ids())
    for i, layer in enumerate(oc.rotations):
        for m in layer.members:
            if m not in known:
                out.append(Problem("error", f"oncall.rotations[{i}].members", f"unknown member {m!r}"))
    if engine.seasons is not None:
        for year in range(start.year - 1, end.year + 1):
            plan = engine.seasons.plan(year)
            for day, owner in zip(plan.days if plan else [], plan.owners if plan else []):
                if owner is None and start.date() <= day <= end.date():
                    out.append(Problem("error", "oncall.holiday_season", f"{day}: no volunteer can take this day"))
            if plan and start < plan.end and plan.start < end:
                out.extend(Problem("warning", "oncall.holiday_season", note) for note in plan.notes)
    rota = sorted({m for layer in engine.layers for m in layer.members})
    rows = figures(engine, start, end, segs)
    value = spread(rows, rota)
    if value > oc.lint.max_fairness_spread:
        hours = ", ".join(f"{f.member} {f.primary_hours:.0f} h" for f in rows if f.member in rota)
        out.append(Problem("warning", "oncall.lint.max_fairness_spread",
                           f"primary hours spread {value:.2f} > {oc.lint.max_fairness_spread} ({hours})"))
    for m in engine.member_ids():
        for a, b, role in _merged_primary(member_spans(segs, m)):
            days = (b - a).total_seconds() / 86400
            if days > oc.lint.max_consecutive_days:
                out.append(Problem("warning", "oncall.lint.max_consecutive_days",
                                   f"{m} is primary {days:.1f} days in a row from {fmt(a)}"))
    out += _own_holidays(engine, segs)
    return out


def _merged_primary(spans):
    merged: list[tuple] = []
    for a, b, role in spans:
        if role != "primary":
            continue
        if merged and merged[-1][1] == a:
            merged[-1] = (merged[-1][0], b, role)
        else:
            merged.append((a, b, role))
    return merged


def _own_holidays(engine: OnCallEngine, segs) -> list[Problem]:
    """Members whose own calendar differs from the team's and marks a day they are primary."""
    out, tz = [], engine.tz
    for member in engine.cfg.team.members:
        cal = engine.calendars.get(member.holiday_calendar or "")
        if cal is None or cal is engine.team_calendar or not segs:
            continue
        for day, name in cal.between(segs[0].start.astimezone(tz).date(), segs[-1].end.astimezone(tz).date()):
            noon = dt.datetime.combine(day, dt.time(12))
            t = to_utc(noon, tz)
            if engine.who(t).primary == member.id:
                out.append(Problem("warning", f"team.members.{member.id}",
                                   f"primary on {day} ({name}), a holiday in their calendar; arrange a swap"))
    return out
