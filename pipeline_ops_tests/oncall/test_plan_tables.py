"""Each example config reproduces its plan's rotation table week by week, plus the worked
holiday examples. Expected values are copied from the plans (shared/seeds/*.txt), not computed."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline_ops.config import load_config
from pipeline_ops.oncall.schedule import rows

from .conftest import EXAMPLES, at, engine, raw

# Plan 002, "Rotation (8-week example, IST)": week, Mon->Mon dates, primary, backup.
PLAN_002 = [
    (1, "2025-08-25", "2025-09-01", "AM", "PR"),
    (2, "2025-09-01", "2025-09-08", "PR", "CW"),
    (3, "2025-09-08", "2025-09-15", "CW", "SK"),
    (4, "2025-09-15", "2025-09-22", "SK", "AM"),
    (5, "2025-09-22", "2025-09-29", "AM", "CW"),
    (6, "2025-09-29", "2025-10-06", "PR", "SK"),
    (7, "2025-10-06", "2025-10-13", "CW", "AM"),
    (8, "2025-10-13", "2025-10-20", "SK", "PR"),
]
INITIALS_002 = {"AM": "alex", "PR": "priya", "CW": "chen", "SK": "samir"}
NEUTRAL_002 = {"AM": "eng_a", "PR": "eng_b", "CW": "eng_c", "SK": "eng_d"}


@pytest.mark.parametrize("config,names", [("plan_002", INITIALS_002), ("default", NEUTRAL_002)])
def test_plan_002_table(config, names):
    got = rows(engine(config), dt.date(2025, 8, 25), 8)
    assert len(got) == 8
    for row, (week, start, end, primary, backup) in zip(got, PLAN_002):
        assert row.week == week
        assert row.start == dt.datetime.fromisoformat(f"{start} 09:00")
        assert row.end == dt.datetime.fromisoformat(f"{end} 09:00")
        assert (row.primary, row.backup) == (names[primary], names[backup])


def test_plan_002_table_repeats_after_eight_weeks():
    got = rows(engine("plan_002"), dt.date(2025, 10, 20), 8)
    assert [(r.primary, r.backup) for r in got] == [
        (INITIALS_002[p], INITIALS_002[b]) for *_, p, b in PLAN_002
    ]


def _with_company_holidays(days: list[tuple[str, str]]) -> dict:
    data = raw("plan_002")
    data["calendars"]["india"]["company_holidays"] = [{"date": d, "name": n} for d, n in days]
    return data


def test_plan_002_worked_holi_example():
    # "If Holi occurs on Wed of Week 2 when PR is Primary and CW is Backup, roles swap for Wed only;
    # table annotation: 2025-xx-xx (Holi): CW⇄PR". Wed of week 2 = 2025-09-03.
    e = engine(_with_company_holidays([("2025-09-03", "Holi")]))
    week2 = rows(e, dt.date(2025, 9, 1), 1)[0]
    assert (week2.primary, week2.backup) == ("priya", "chen")
    assert week2.notes == ("2025-09-03 (Holi): chen⇄priya",)
    assert (e.who(at("2025-09-02 23:59:59.999999")).primary) == "priya"
    a = e.who(at("2025-09-03 00:00"))
    assert (a.primary, a.backup, a.holiday) == ("chen", "priya", "2025-09-03 Holi")
    assert e.who(at("2025-09-03 23:59")).primary == "chen"
    assert (e.who(at("2025-09-04 00:00")).primary, e.who(at("2025-09-04 00:00")).backup) == ("priya", "chen")


def test_plan_002_worked_diwali_example():
    # "If Diwali spans Fri of Week 8, Backup (PR) becomes Primary that day; SK is Backup."
    e = engine(_with_company_holidays([("2025-10-17", "Diwali")]))
    a = e.who(at("2025-10-17 15:00"))
    assert (a.primary, a.backup) == ("priya", "samir")
    assert e.who(at("2025-10-16 15:00")).primary == "samir"


def test_real_diwali_2025_on_a_monday_handoff_splits_by_shift():
    # Diwali 2025 is Mon 2025-10-20, the handoff day from week 8 (SK/PR) to week 9 (AM/PR).
    # The team-timezone day 00:00-24:00 is promoted in both shifts it touches.
    e = engine("plan_002")
    early, late = e.who(at("2025-10-20 08:59")), e.who(at("2025-10-20 09:00"))
    assert (early.week, early.primary, early.backup) == (8, "priya", "samir")
    assert (late.week, late.primary, late.backup) == (9, "priya", "alex")
    assert e.who(at("2025-10-21 00:00")).primary == "alex"


def test_holiday_is_a_team_timezone_day():
    # 2025-10-19 19:00 UTC is 2025-10-20 00:30 IST: already Diwali for the team.
    e = engine("plan_002")
    assert e.who(dt.datetime(2025, 10, 19, 18, 29, tzinfo=dt.timezone.utc)).primary == "samir"
    assert e.who(dt.datetime(2025, 10, 19, 18, 30, tzinfo=dt.timezone.utc)).primary == "priya"


# Plan 000 table: primary A, C, B, D; secondary B, D, A, C.
def test_plan_000_table():
    got = rows(engine("plan_000"), dt.date(2025, 9, 1), 8)
    expected = [("eng_a", "eng_b"), ("eng_c", "eng_d"), ("eng_b", "eng_a"), ("eng_d", "eng_c")] * 2
    assert [(r.primary, r.backup) for r in got] == expected
    assert got[0].start == dt.datetime(2025, 9, 1, 9, 0)


# Plan 001: Week 1 A, week 2 B, week 3 C, week 4 D (single on-call; backup derived = next).
def test_plan_001_table():
    got = rows(engine("plan_001"), dt.date(2025, 9, 1), 8)
    assert [r.primary for r in got] == ["eng_a", "eng_b", "eng_c", "eng_d"] * 2
    assert [r.backup for r in got] == ["eng_b", "eng_c", "eng_d", "eng_a"] * 2


def test_plan_001_compensating_day_off():
    # Labor Day Mon 2025-09-01 falls in A's week 1 (from 09:00): A worked it at noon. A's next
    # rotation is week 5 (2025-09-29 09:00 ->); its first full business day is Tue 2025-09-30.
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    e = engine("plan_001")
    assert e.who(at("2025-09-01 12:00", ny)).primary == "eng_a"
    assert e.who(at("2025-09-29 12:00", ny)).primary == "eng_a"
    off = e.who(at("2025-09-30 12:00", ny))
    assert (off.primary, off.backup) == ("eng_b", "eng_c")
    assert any("compensating day off for 2025-09-01 Labor Day" in line for line in off.trace)
    assert e.who(at("2025-10-01 00:00", ny)).primary == "eng_a"


# Plan 003: John, James, Jill, Davis one week each from Monday 9 AM.
def test_plan_003_table_and_worked_swap_and_pto():
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    e = engine("plan_003")
    got = rows(e, dt.date(2025, 9, 1), 8)
    assert [r.primary for r in got] == ["john", "james", "jill", "davis"] * 2
    # Davis's vacation week 4 swapped with John: John primary, Davis backup that week.
    a = e.who(at("2025-09-24 12:00", london))
    assert (a.primary, a.backup) == ("john", "davis")
    # Week 7 (2025-10-13): Jill primary, Davis backup. Jill is on PTO 14-15 Oct: Davis (backup)
    # becomes primary, and the next present member after Jill in the rota, John, is backup.
    b = e.who(at("2025-10-14 12:00", london))
    assert (b.primary, b.backup) == ("davis", "john")
    assert e.who(at("2025-10-13 12:00", london)).primary == "jill"
    assert e.who(at("2025-10-16 00:00", london)).primary == "jill"
    # Christmas Day 2025 is in week 17 (2025-12-22: 112 days after the anchor), John primary and
    # James backup; the holiday promotes James for the day.
    c = e.who(at("2025-12-25 12:00", london))
    assert (c.primary, c.backup) == ("james", "john")
    assert e.who(at("2025-12-24 12:00", london)).primary == "john"


# Plan 004: A, B, C, D one week each; a major holiday goes to the next person in the sequence.
def test_plan_004_table_holiday_and_month_end_watch():
    from zoneinfo import ZoneInfo

    from pipeline_ops.oncall.escalation import watch_at

    la = ZoneInfo("America/Los_Angeles")
    e = engine("plan_004")
    got = rows(e, dt.date(2025, 9, 1), 4)
    assert [r.primary for r in got] == ["de_a", "de_b", "de_c", "de_d"]
    # Thanksgiving Thu 2025-11-27: week 13 (2025-11-24) -> de_a's week; next in sequence de_b covers.
    assert e.who(at("2025-11-27 12:00", la)).primary == "de_b"
    assert e.who(at("2025-11-28 12:00", la)).primary == "de_a"
    # Last week of the month (last 7 days): all four watch; 2025-09-23 is not yet in it.
    assert watch_at(e, at("2025-09-24 12:00", la))[1] == ("de_a", "de_b", "de_c", "de_d")
    assert watch_at(e, at("2025-09-23 12:00", la)) == (None, ())


@pytest.mark.parametrize("name", ["plan_000", "plan_001", "plan_002", "plan_003", "plan_004"])
def test_examples_load_with_fixed_pipeline_keys(name):
    cfg = load_config(EXAMPLES / f"{name}.yaml")
    assert set(cfg.pipeline_keys) == {
        "profit_unit_level", "profit_aggregate", "growth_aggregate", "growth_daily",
        "engagement_aggregate", "investor_monthly_report",
    }
