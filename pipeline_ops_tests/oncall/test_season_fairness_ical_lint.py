"""Holiday season assignment, fairness figures, iCal round trip, linter."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar

from pipeline_ops.oncall.fairness import figures
from pipeline_ops.oncall.ical import member_feed, team_feed
from pipeline_ops.oncall.lint import lint
from pipeline_ops.oncall.season import assign_days
from pipeline_ops.oncall.timeline import member_spans, segments

from .conftest import at, engine, raw

NY = ZoneInfo("America/New_York")
D = [dt.date(2025, 12, d) for d in range(1, 5)]


def test_assign_days_small_hand_example():
    # x avoids days 1-2, y avoids day 4 -> y, y, then x (y has its fair share of 2), x.
    got = assign_days(D, ["x", "y"], prefer={}, avoid={"x": {D[0], D[1]}, "y": {D[3]}})
    assert got == ["y", "y", "x", "x"]


def test_avoided_day_only_when_nobody_else_can():
    got = assign_days(D[:2], ["x", "y"], {}, {"x": {D[1]}}, unavailable=lambda m, d: m == "y" and d == D[1])
    assert got == ["y", "x"] or got[1] == "x"
    assert got[1] == "x"  # y is off that day: x must take the avoided day


def test_preferences_stop_at_the_fair_share():
    # x prefers all four days, but the fair share is ceil(4 / 2) = 2 days each.
    got = assign_days(D, ["x", "y"], prefer={"x": set(D)}, avoid={}, max_len=3)
    assert got == ["x", "x", "y", "y"]


def test_max_shift_length_is_kept_when_possible():
    five = [dt.date(2025, 12, d) for d in range(1, 6)]
    # y is off on days 1-3 and 5: x must take 1-3; day 4 goes to y so that x never does 4 in a row.
    got = assign_days(five, ["x", "y"], {}, {}, unavailable=lambda m, d: m == "y" and d != five[3])
    assert got == ["x", "x", "x", "y", "x"]


def test_plan_000_season_2025():
    e = engine("plan_000")
    plan = e.seasons.plan(2025)
    assert (plan.first, plan.last) == (dt.date(2025, 11, 27), dt.date(2026, 1, 1))  # spans two years
    assert len(plan.days) == 36
    prefs = raw("plan_000")["oncall"]["holiday_season"]["preferences"][2025]
    for day, owner in zip(plan.days, plan.owners):
        assert day.isoformat() not in prefs[owner]["avoid"], (day, owner)
    assert all(1 <= s.days <= 3 for s in plan.shifts)
    loads = {m: plan.owners.count(m) for m in prefs}
    assert max(loads.values()) - min(loads.values()) <= 2, loads
    # Christmas Day: A and C avoid it, B prefers it.
    assert plan.owners[plan.days.index(dt.date(2025, 12, 25))] == "eng_b"
    # The season replaces the weekly primary: Thanksgiving 12:00 follows the volunteer.
    assert e.who(at("2025-11-27 12:00", NY)).primary == plan.owners[0]
    assert e.who(at("2025-11-27 08:59", NY)).primary == e.who(at("2025-11-27 08:59", NY)).shift.primary


def test_season_end_ignores_observed_new_year():
    # 2027-12-31 is "New Year's Day (observed)" in the US: the 2027 season still ends 2028-01-01.
    plan = engine("plan_000").seasons.plan(2027)
    assert (plan.first, plan.last) == (dt.date(2027, 11, 25), dt.date(2028, 1, 1))


def test_fairness_hours_split_and_holidays():
    e = engine("default")
    # Week 8 (2025-10-13 09:00 -> 10-20 09:00 IST): D primary 168 h, except Diwali 00:00-09:00 (B).
    a, b = at("2025-10-13 09:00"), at("2025-10-20 09:00")
    rows = {f.member: f for f in figures(e, a, b)}
    d = rows["eng_d"]
    assert d.primary_hours == 168 - 9
    # Business hours Mon-Fri 09-19 = 5 x 10 h; weekend 48 h; rest off-hours.
    assert (d.business, d.weekend, d.holiday) == (50, 48, 0)
    assert d.off_hours == 168 - 9 - 50 - 48
    assert (rows["eng_b"].primary_hours, rows["eng_b"].holiday) == (9, 9)
    assert rows["eng_d"].shifts == 1 and rows["eng_b"].shifts == 1
    whole = {f.member: f for f in figures(e, at("2025-10-13 09:00"), at("2025-10-27 09:00"))}
    assert whole["eng_b"].holidays_worked == 1  # primary at noon on Diwali


def test_fairness_uses_elapsed_hours_across_dst():
    e = engine("plan_003")  # Europe/London: DST ends Sun 2025-10-26 -> week of 10-20 is 169 h
    rows = figures(e, e.instant("2025-10-20T09:00"), e.instant("2025-10-27T09:00"))
    assert sum(f.primary_hours for f in rows) == 169


def test_ical_parses_and_renders_the_same_shifts():
    e = engine("default")
    a, b = at("2025-08-25 09:00"), at("2025-11-17 09:00")
    cal = icalendar.Calendar.from_ical(member_feed(e, "eng_a", a, b))
    events = [c for c in cal.walk("VEVENT")]
    spans = member_spans(segments(e, a, b), "eng_a")
    assert len(events) == len(spans)
    for ev, (start, end, role) in zip(events, spans):
        assert ev.decoded("dtstart") == start and ev.decoded("dtend") == end
        assert role in str(ev.get("summary"))
        assert str(ev.decoded("dtstart").tzinfo) == "Asia/Kolkata"
    uids = [str(ev.get("uid")) for ev in events]
    assert len(set(uids)) == len(uids)
    again = icalendar.Calendar.from_ical(member_feed(e, "eng_a", a, b))
    assert uids == [str(ev.get("uid")) for ev in again.walk("VEVENT")]  # stable UIDs
    team = icalendar.Calendar.from_ical(team_feed(e, a, b, pipeline="profit_aggregate"))
    segs = segments(e, a, b)
    assert [(ev.decoded("dtstart"), ev.decoded("dtend")) for ev in team.walk("VEVENT")] == [
        (s.start, s.end) for s in segs]
    assert "Incident commander: eng_b" in str(team.walk("VEVENT")[0].get("description"))


def test_lint_default_is_clean_and_finds_problems():
    e = engine("default")
    assert [p for p in lint(e, at("2025-08-25 09:00"), 52) if p.level == "error"] == []
    data = raw("default")
    data["oncall"]["rotations"][0]["effective_until"] = "2025-10-06"
    data["oncall"]["pto"] = [{"member": "eng_a", "start": "2025-09-23", "end": "2025-09-24"}]
    data["oncall"]["overrides"] = [{"role": "primary", "member": "eng_a", "start": "2025-09-24T10:00",
                                    "end": "2025-09-24T12:00", "reason": "x", "approver": "y",
                                    "created_at": "2025-09-01T00:00"}]
    data["oncall"]["lint"]["max_consecutive_days"] = 5
    problems = lint(engine(data), at("2025-08-25 09:00"), 8)
    text = "\n".join(map(str, problems))
    assert "error: oncall.rotations: coverage gap: no primary 2025-10-06 09:00" in text
    assert "error: oncall.overrides[0].member: eng_a is on PTO" in text
    assert "warning: oncall.pto: 2025-09-23 00:00: eng_a is off (PTO (PTO))" in text
    assert "max_consecutive_days" in text and "max_fairness_spread" in text
