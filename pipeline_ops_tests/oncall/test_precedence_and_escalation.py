"""Overrides, swaps, holiday promotion and PTO in their documented order; ladder and routing."""

from __future__ import annotations

import datetime as dt

from pipeline_ops.oncall.escalation import ladder, pipeline_oncall, route
from pipeline_ops.oncall.schedule import rows

from .conftest import at, engine, raw

UTC = dt.timezone.utc


def _ov(member, start, end, created, role="primary", **kw):
    return {"role": role, "member": member, "start": start, "end": end, "reason": "cover",
            "approver": "eng_a", "created_at": created, **kw}


def test_override_spanning_a_handoff_and_newest_wins():
    data = raw("default")
    data["oncall"]["overrides"] = [
        # Spans the week 1 -> week 2 handoff (Mon 2025-09-01 09:00 IST).
        _ov("eng_c", "2025-08-31T12:00", "2025-09-01T12:00", "2025-08-20T10:00"),
        # Overlaps the first, created later: wins where both apply.
        _ov("eng_d", "2025-09-01T06:00", "2025-09-01T10:00", "2025-08-21T10:00"),
    ]
    e = engine(data)
    assert e.who(at("2025-08-31 11:59")).primary == "eng_a"
    assert (e.who(at("2025-08-31 12:00")).primary, e.who(at("2025-08-31 12:00")).backup) == ("eng_c", "eng_b")
    assert e.who(at("2025-09-01 06:00")).primary == "eng_d"
    # Week 2 (B primary, C backup): C overriding primary pushes B into C's backup role.
    assert e.who(at("2025-09-01 10:00")).primary == "eng_c"
    assert e.who(at("2025-09-01 10:00")).backup == "eng_b"
    assert e.who(at("2025-09-01 12:00")).primary == "eng_b"


def test_override_beats_holiday_promotion_and_replaces_filter():
    data = raw("default")
    # Diwali 2025-10-20 promotes B to primary from 09:00 (week 9: A primary, B backup).
    data["oncall"]["overrides"] = [
        _ov("eng_c", "2025-10-20T09:00", "2025-10-21T00:00", "2025-10-01T00:00", replaces="eng_b"),
        _ov("eng_d", "2025-10-22T09:00", "2025-10-23T00:00", "2025-10-01T00:00", replaces="eng_b"),
    ]
    e = engine(data)
    a = e.who(at("2025-10-20 12:00"))
    assert (a.primary, a.backup) == ("eng_c", "eng_a")
    assert e.who(at("2025-10-22 12:00")).primary == "eng_a"  # B is not primary then: no effect


def test_swap_and_pto_order():
    data = raw("default")
    data["oncall"]["swaps"] = [{"members": ["eng_a", "eng_c"], "start": "2025-08-25T09:00", "end": "2025-09-01T09:00",
                                "reason": "wedding", "approver": "eng_d", "created_at": "2025-08-01T00:00"}]
    data["oncall"]["pto"] = [{"member": "eng_c", "start": "2025-08-27", "end": "2025-08-27", "approver": "eng_d"}]
    e = engine(data)
    assert (e.who(at("2025-08-26 12:00")).primary, e.who(at("2025-08-26 12:00")).backup) == ("eng_c", "eng_b")
    # C (primary by swap) is on PTO on the 27th: backup B takes primary, next after C (D) is backup.
    a = e.who(at("2025-08-27 12:00"))
    assert (a.primary, a.backup) == ("eng_b", "eng_d")


def test_ladder_skips_already_paged_without_spending_delay():
    e = engine("default")
    t = at("2025-09-03 03:00")  # week 2: B primary, C backup; profit_unit_level IC = C (secondary)
    pages = ladder(e, "profit_unit_level", t)
    assert [(p.target, p.who) for p in pages] == [
        ("primary", "eng_b"), ("backup", "eng_c"), ("incident_commander", None), ("platform_lead", "eng_d")]
    assert pages[1].at == t + dt.timedelta(minutes=10)
    assert pages[3].at == t + dt.timedelta(minutes=25)  # 10 + 15: the skipped step cost nothing


def test_ladder_resolves_each_step_when_it_fires_across_a_handoff():
    e = engine("default")
    t = at("2025-09-01 08:55")  # week 1 (A/B) until 09:00, then week 2 (B/C)
    pages = ladder(e, "growth_aggregate", t)  # IC = D
    # 08:55 A (week 1 primary); 09:05 the week 2 backup C; 09:20 IC D; at 09:35 the lead would
    # be whoever is neither primary (B) nor backup (C) of week 2 -- A and D, both already paged.
    assert [(p.target, p.who) for p in pages] == [
        ("primary", "eng_a"), ("backup", "eng_c"), ("incident_commander", "eng_d"), ("platform_lead", None)]
    assert [p.at for p in pages] == [t + dt.timedelta(minutes=m) for m in (0, 10, 25)] + [None]


def test_routing_investor_pages_experiment_chats_or_holds():
    e = engine("default")
    assert route(e, "profit_aggregate", at("2025-09-06 03:00")).mode == "page"
    assert route(e, "growth_daily", at("2025-09-03 18:59")).mode == "chat"
    held = route(e, "growth_daily", at("2025-09-03 19:00"))
    assert (held.mode, held.deliver_at) == ("hold", at("2025-09-04 09:00"))
    # Friday evening -> Monday 09:00; Friday before Independence Day 2025? (Fri 2025-08-15 is a
    # holiday): Thursday 2025-08-14 20:00 -> held past the holiday and the weekend to Mon 08-18.
    assert route(e, "growth_daily", at("2025-09-05 20:00")).deliver_at == at("2025-09-08 09:00")
    assert route(e, "growth_daily", at("2025-08-14 20:00")).deliver_at == at("2025-08-18 09:00")
    assert e.business.next_business_day(dt.date(2025, 8, 14)) == dt.date(2025, 8, 18)


def test_pipeline_oncall_names_ic_and_lead_and_watch():
    e = engine("default")
    info = pipeline_oncall(e, "growth_aggregate", at("2025-09-26 12:00"))  # week 5: A/C, month end
    assert (info.primary, info.backup, info.incident_commander, info.lead) == ("eng_a", "eng_c", "eng_d", "eng_b")
    assert info.watch == "month-end investor reports" and len(info.watchers) == 4
    assert pipeline_oncall(e, "growth_daily", at("2025-09-26 12:00")).watch is None


def test_roster_edit_is_effective_dated_and_keeps_past_shifts():
    data = raw("default")
    before = [(r.primary, r.backup) for r in rows(engine("default"), dt.date(2025, 8, 25), 6)]
    data["oncall"]["rotations"].append({
        "id": "three", "anchor": "2025-10-06", "timezone": "Asia/Kolkata", "handoff_weekday": "mon",
        "members": ["eng_a", "eng_b", "eng_c"], "backup_offsets": [1]})
    got = rows(engine(data), dt.date(2025, 8, 25), 9)
    assert [(r.primary, r.backup) for r in got[:6]] == before  # weeks 1-6 untouched
    assert [(r.layer, r.week, r.primary, r.backup) for r in got[6:]] == [
        ("three", 1, "eng_a", "eng_b"), ("three", 2, "eng_b", "eng_c"), ("three", 3, "eng_c", "eng_a")]


def test_plan_000_experiment_failures_wait_past_thanksgiving():
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    e = engine("plan_000")
    # Wed 2025-11-26 18:00 (after 17:00): Thanksgiving Thu is a holiday -> Fri 09:00.
    held = route(e, "growth_daily", at("2025-11-26 18:00", ny))
    assert (held.mode, held.deliver_at) == ("hold", at("2025-11-28 09:00", ny))
    assert route(e, "profit_aggregate", at("2025-11-27 03:00", ny)).mode == "page"


def test_schedule_notes_agree_with_who_when_an_override_covers_part_of_a_holiday():
    data = raw("default")
    # Diwali 2025-10-20, week 9 (A primary, B backup from 09:00): the promotion makes B primary for
    # the rest of the day; C overrides primary 12:00-18:00, so C primary and A backup then.
    data["oncall"]["overrides"] = [_ov("eng_c", "2025-10-20T12:00", "2025-10-20T18:00", "2025-10-01T00:00")]
    e = engine(data)
    week9 = rows(e, dt.date(2025, 10, 20), 1)[0]
    heads = [n.split(" (", 1)[0] for n in week9.notes]
    assert heads == ["2025-10-20 09:00 -> 2025-10-20 12:00: primary eng_b, backup eng_a",
                     "2025-10-20 12:00 -> 2025-10-20 18:00: primary eng_c, backup eng_a",
                     "2025-10-20 18:00 -> 2025-10-21 00:00: primary eng_b, backup eng_a"]
    assert "override: eng_c is primary" in week9.notes[1] and "override" not in week9.notes[0] + week9.notes[2]
    for start, who in (("2025-10-20 09:00", ("eng_b", "eng_a")), ("2025-10-20 12:00", ("eng_c", "eng_a")),
                       ("2025-10-20 17:59", ("eng_c", "eng_a")), ("2025-10-20 18:00", ("eng_b", "eng_a"))):
        a = e.who(at(start))
        assert (a.primary, a.backup) == who
    # Without the override the whole promoted day is one plan-002 note, as before.
    plain = rows(engine("default"), dt.date(2025, 10, 20), 1)[0]
    assert plain.notes == ("2025-10-20 (Diwali): eng_b⇄eng_a",)
