"""Wall-clock handoffs across DST (pitfalls 1-4): 167/169 h weeks, gap and fold rules, half-open."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from pipeline_ops.oncall.rotation import Layer
from pipeline_ops.oncall.timeutil import hours

from .conftest import at, engine, raw

BERLIN = ZoneInfo("Europe/Berlin")
US = 1e-6


def berlin(anchor: str, handoff: str = "09:00", shift_days: int = 7, weekday: str | None = "mon") -> dict:
    data = raw("default")
    data["team"]["timezone"] = "Europe/Berlin"
    layer = data["oncall"]["rotations"][0]
    layer.update(anchor=anchor, timezone="Europe/Berlin", handoff_time=handoff, shift_days=shift_days,
                 handoff_weekday=weekday)
    data["oncall"]["holiday_rules"]["promote_backup"] = False
    return data


def _shift_containing(e, text: str):
    a = e.who(at(text, BERLIN))
    return a.shift


def test_monday_0900_berlin_gives_167_and_169_hour_weeks():
    e = engine(berlin("2025-03-03"))
    spring = _shift_containing(e, "2025-03-30 12:00")  # DST starts Sun 2025-03-30
    autumn = _shift_containing(e, "2025-10-26 12:00")  # DST ends Sun 2025-10-26
    normal = _shift_containing(e, "2025-06-04 12:00")
    assert (spring.start_local, spring.end_local) == (dt.datetime(2025, 3, 24, 9), dt.datetime(2025, 3, 31, 9))
    assert hours(spring.start, spring.end) == 167
    assert (autumn.start_local, autumn.end_local) == (dt.datetime(2025, 10, 20, 9), dt.datetime(2025, 10, 27, 9))
    assert hours(autumn.start, autumn.end) == 169
    assert hours(normal.start, normal.end) == 168
    # Wall-clock subtraction would claim 168 h for all three (pitfall 1).
    assert spring.end_local - spring.start_local == dt.timedelta(hours=168)


def test_handoff_in_spring_gap_moves_to_first_existing_time():
    # Daily 02:30 handoff; 2025-03-30 02:30 does not exist in Berlin -> boundary at 03:00 CEST.
    e = engine(berlin("2025-03-24", handoff="02:30", shift_days=1, weekday=None))
    layer = e.layers[0]
    k = (dt.date(2025, 3, 30) - dt.date(2025, 3, 24)).days
    assert layer.boundary(k) == dt.datetime(2025, 3, 30, 1, 0, tzinfo=dt.timezone.utc)  # 03:00 CEST
    assert hours(layer.boundary(k - 1), layer.boundary(k)) == 23.5  # 02:30 CET -> 03:00 CEST
    assert hours(layer.boundary(k), layer.boundary(k + 1)) == 23.5  # 03:00 CEST -> 02:30 CEST


def test_handoff_at_ambiguous_time_uses_first_occurrence():
    e = engine(berlin("2025-10-20", handoff="02:30", shift_days=1, weekday=None))
    layer = e.layers[0]
    k = (dt.date(2025, 10, 26) - dt.date(2025, 10, 20)).days
    assert layer.boundary(k) == dt.datetime(2025, 10, 26, 0, 30, tzinfo=dt.timezone.utc)  # 02:30 CEST
    assert hours(layer.boundary(k), layer.boundary(k + 1)) == 25  # gets the repeated hour


def test_naive_instants_follow_the_same_rule():
    e = engine(berlin("2025-03-03"))
    assert e.instant("2025-03-30T02:30") == dt.datetime(2025, 3, 30, 1, 0, tzinfo=dt.timezone.utc)
    assert e.instant("2025-10-26T02:30") == dt.datetime(2025, 10, 26, 0, 30, tzinfo=dt.timezone.utc)
    assert e.instant("2025-10-26T02:30+01:00") == dt.datetime(2025, 10, 26, 1, 30, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("week", [1, 5, 31])  # week 5 spans spring DST in Berlin, 34 autumn
def test_half_open_boundaries_at_the_microsecond(week):
    e = engine(berlin("2025-03-03"))
    handoff = e.layers[0].boundary(week)  # start of week `week + 1`
    assert e.who(handoff - dt.timedelta(microseconds=1)).week == week
    assert e.who(handoff).week == week + 1
    assert e.who(handoff + dt.timedelta(microseconds=1)).week == week + 1


def test_ist_handoff_boundary_in_plan_002():
    e = engine("plan_002")
    assert e.who(at("2025-09-01 08:59:59.999999")).primary == "alex"
    assert e.who(at("2025-09-01 09:00")).primary == "priya"
    before = e.who(at("2025-08-25 08:59:59.999999"))
    assert before.primary is None and "coverage gap" in before.trace[0]


def test_layer_index_is_wall_clock_not_elapsed():
    # 30 weeks later, across both DST changes, the handoff is still Monday 09:00 local.
    e = engine(berlin("2025-03-03"))
    layer: Layer = e.layers[0]
    start = layer.boundary(30).astimezone(BERLIN)
    assert (start.weekday(), start.hour, start.minute) == (0, 9, 0)
