"""The holiday season as a report: the assignment, what each member got, and why a slot is theirs.

Per member: days held, preferred days granted (and not), avoided days assigned with the reason
each was unavoidable, shift lengths, and primary hours in the season split business / off-hours
/ weekend / holiday (the fairness rules of fairness.py, on the resolved schedule -- so
overrides and PTO cover are counted where they happened).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from pipeline_ops.oncall.fairness import figures
from pipeline_ops.oncall.season import LEVEL_TEXT, LEVELS, runs
from pipeline_ops.oncall.season_explain import others, why
from pipeline_ops.oncall.timeline import segments

if TYPE_CHECKING:
    from pipeline_ops.oncall.engine import OnCallEngine
    from pipeline_ops.oncall.seasons import SeasonPlan


class SeasonInputError(ValueError):
    """Bad input to the season report, naming the flag or config key at fault."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(f"{key}: {message}")


def command(engine: OnCallEngine, year: int, day: dt.date | None, as_json: bool) -> tuple[int, str]:
    """`pipeline-ops oncall season`: (exit code, text); bad input -> 2 and a message naming the flag."""
    try:
        data = explain(engine, year, day) if day else report(engine, year)
    except SeasonInputError as exc:
        return 2, f"pipeline-ops oncall season: {exc}\n"
    if as_json:
        return 0, json.dumps(data, indent=2) + "\n"
    return 0, render_explain(data) if day else render(data)


def season_plan(engine: OnCallEngine, year: int) -> SeasonPlan:
    if engine.seasons is None:
        raise SeasonInputError("oncall.holiday_season", "not set in this config (no holiday season to show)")
    if not 1900 <= year <= 2199:
        raise SeasonInputError("--year", f"expected a year between 1900 and 2199, got {year}")
    plan = engine.seasons.plan(year)
    if plan is None:
        spec = engine.seasons.spec
        raise SeasonInputError("--year", f"no season in {year}: {spec.start_holiday!r} or {spec.end_holiday!r} "
                                         f"not found in calendar {spec.calendar!r}")
    return plan


def report(engine: OnCallEngine, year: int) -> dict:
    """Everything `pipeline-ops oncall season --year Y` shows, as plain data."""
    plan = season_plan(engine, year)
    p, res = plan.problem, plan.result
    picks = res.picks
    hours = {f.member: f.as_dict() for f in figures(engine, plan.start, plan.end)}
    members = []
    for j, m in enumerate(p.members):
        held = [i for i, x in enumerate(picks) if x == j]
        granted = [p.days[i].isoformat() for i in sorted(p.prefer[j]) if picks[i] == j]
        missed = [p.days[i].isoformat() for i in sorted(p.prefer[j]) if picks[i] != j]
        avoided = [{"day": p.days[i].isoformat(), "why": _unavoidable(p, picks, i, res.score.avoided)}
                   for i in sorted(p.avoid[j]) if picks[i] == j]
        h = hours.get(m, {})
        members.append({
            "member": m, "days": len(held), "preferred_granted": granted, "preferred_not_granted": missed,
            "counted_preferred": min(len(granted), p.fair_share), "avoided_assigned": avoided,
            "shift_lengths": [n for x, _, n in runs(list(picks)) if x == j],
            "hours": {k: h.get(k, 0.0) for k in ("primary_hours", "business", "off_hours", "weekend", "holiday")}})
    score = res.score
    return {
        "year": year, "first": plan.first.isoformat(), "last": plan.last.isoformat(),
        "slot": f"{engine.seasons.spec.handoff_time} to {engine.seasons.spec.handoff_time} next day, "
                f"{engine.cfg.team.timezone}",
        "min_shift_days": p.min_len, "max_shift_days": p.max_len, "fair_share": p.fair_share,
        "method": res.method, "proven_optimal": res.proven, "solve_seconds": round(res.seconds, 3),
        "notes": list(res.notes), "levels": {name: getattr(score, name) for name in LEVELS},
        "assignment": [{"day": d.isoformat(), "member": o} for d, o in zip(plan.days, plan.owners)],
        "shifts": [{"member": s.member, "first": s.first.isoformat(), "last": s.last.isoformat(), "days": s.days}
                   for s in plan.shifts],
        "members": members,
    }


def _unavoidable(problem, picks, i: int, fewest: int) -> str:
    """Why an avoided day went to its holder: the season minimum, who else could, the deciding rule."""
    standing = "; ".join(s for s in others(problem, i) if not s.startswith(problem.members[picks[i]] + " "))
    reason = why(problem, picks, i)
    lead = "" if reason.rule in ("pto", "length", "avoided") else (
        f"no schedule has fewer than {fewest} avoided day(s); among those, ")
    return f"{lead}{reason.text} (others that day: {standing})"


def explain(engine: OnCallEngine, year: int, day: dt.date) -> dict:
    """Why the holder of `day`'s slot holds it, plus who is actually on call during the slot."""
    plan = season_plan(engine, year)
    if not plan.first <= day <= plan.last:
        raise SeasonInputError("--explain", f"{day} is not a day of the {year} season "
                                            f"({plan.first} .. {plan.last})")
    i, p = plan.days.index(day), plan.problem
    start, end = plan.starts[i], plan.starts[i + 1]
    out: dict = {"day": day.isoformat(), "slot_start": start.astimezone(engine.tz).isoformat(),
                 "slot_end": end.astimezone(engine.tz).isoformat(), "member": plan.owners[i]}
    out["on_call"] = [{"start": s.start.astimezone(engine.tz).isoformat(), "primary": s.primary,
                       "backup": s.backup, "trace": list(s.assignment.trace)} for s in segments(engine, start, end)]
    if plan.owners[i] is None:
        out["why"] = (f"nobody can take {day}: every season member is off during the slot, so the "
                      f"rota (and its PTO cover) decides")
        out["others"] = others(p, i)
        return out
    j = p.members.index(plan.owners[i])
    out["holder"] = ("prefers it" if i in p.prefer[j] else "avoids it" if i in p.avoid[j]
                     else "neither prefers nor avoids it")
    shift = next(s for s in plan.shifts if s.first <= day <= s.last)
    out["shift"] = {"first": shift.first.isoformat(), "last": shift.last.isoformat(), "days": shift.days}
    reason = why(p, plan.result.picks, i)
    out["rule"], out["why"] = reason.rule, reason.text
    out["others"] = [s for s in others(p, i) if not s.startswith(plan.owners[i] + " ")]
    return out


def render(data: dict) -> str:
    lines = [f"holiday season {data['year']}: {data['first']} .. {data['last']} (one slot a day, {data['slot']})",
             f"shifts {data['min_shift_days']}-{data['max_shift_days']} days; fair share of preferred days "
             f"{data['fair_share']}; {data['method']}"
             f"{', proven optimal' if data['proven_optimal'] else ''} in {data['solve_seconds']} s"]
    lines += [f"warning: {n}" for n in data["notes"]]
    lines += ["", "result by rule, in priority order (after: nobody on PTO):"]
    lines += [f"  {k + 2}. {LEVEL_TEXT[name]}: {data['levels'][name]}" for k, name in enumerate(LEVELS)]
    lines += ["", "assignment:"]
    lines += [f"  {s['first']} -> {s['last']}  {s['member']:<10} {s['days']} day(s)" for s in data["shifts"]]
    lines += [f"  {a['day']}  (empty: nobody can take it)" for a in data["assignment"] if a["member"] is None]
    for m in data["members"]:
        h = m["hours"]
        lines += ["", f"{m['member']}: {m['days']} day(s), shifts {m['shift_lengths'] or '-'}",
                  f"  preferred granted {len(m['preferred_granted'])} ({', '.join(m['preferred_granted']) or '-'})"
                  f"; not granted: {', '.join(m['preferred_not_granted']) or '-'}",
                  f"  hours: primary {h['primary_hours']}, business {h['business']}, off-hours {h['off_hours']}, "
                  f"weekend {h['weekend']}, holiday {h['holiday']}"]
        lines += [f"  avoided day assigned {a['day']}: {a['why']}" for a in m["avoided_assigned"]]
        if not m["avoided_assigned"]:
            lines.append("  avoided days assigned: none")
    return "\n".join(lines) + "\n"


def render_explain(data: dict) -> str:
    lines = [f"{data['day']} (slot {data['slot_start']} -> {data['slot_end']}): "
             f"{data['member'] or 'no volunteer'}"]
    if data["member"]:
        s = data["shift"]
        lines.append(f"  {data['member']} {data['holder']}; shift {s['first']} -> {s['last']} ({s['days']} day(s))")
    lines.append(f"  why: {data['why']}")
    lines.append(f"  others that day: {'; '.join(data['others'])}")
    lines.append("  on call during the slot:")
    for seg in data["on_call"]:
        lines.append(f"    from {seg['start']}: primary {seg['primary'] or '-'}, backup {seg['backup'] or '-'}")
        lines += [f"      - {t}" for t in seg["trace"]]
    return "\n".join(lines) + "\n"
