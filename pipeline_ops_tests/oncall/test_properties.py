"""Property-based tests over random rotas, PTO, overrides and instants."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline_ops.config import parse_config
from pipeline_ops.oncall import OnCallEngine
from pipeline_ops.oncall.calendars import Calendar
from pipeline_ops.oncall.timeutil import day_bounds

from .conftest import raw

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
START = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


@st.composite
def rotas(draw, with_pto: bool = True, with_overrides: bool = False):
    n = draw(st.integers(2, 6))
    ids = [f"m{i}" for i in range(n)]
    data = raw("default")
    tz = draw(st.sampled_from(ZONES))
    data["team"]["timezone"] = tz
    data["team"]["members"] = [
        {"id": m, "name": m, "email": f"{m}@x.example", "chat": f"@{m}", "timezone": tz} for m in ids
    ]
    for i, p in enumerate(data["pipelines"]):
        p["primary_owner"], p["secondary_owner"] = ids[i % n], ids[(i + 1) % n]
    data["oncall"]["watch_periods"] = []
    # Holiday promotion (India calendar) on or off; off where the test checks override precedence alone.
    data["oncall"]["holiday_rules"]["promote_backup"] = (not with_overrides) and draw(st.booleans())
    anchor = dt.date(2025, 1, 1) + dt.timedelta(days=draw(st.integers(0, 60)))
    data["oncall"]["rotations"] = [{
        "id": "r", "anchor": anchor.isoformat(), "timezone": tz,
        "handoff_time": f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from([0, 15, 30, 45])):02d}",
        "shift_days": draw(st.integers(1, 14)), "members": ids,
        "backup_offsets": draw(st.lists(st.integers(1, n - 1), min_size=1, max_size=3)),
    }]
    pto = []
    if with_pto and n >= 3:
        # At most n - 2 members ever take PTO, so two people are always present.
        for m in draw(st.lists(st.sampled_from(ids), max_size=n - 2, unique=True)):
            start = anchor + dt.timedelta(days=draw(st.integers(0, 300)))
            pto.append({"member": m, "start": start.isoformat(),
                        "end": (start + dt.timedelta(days=draw(st.integers(0, 20)))).isoformat()})
    data["oncall"]["pto"] = pto
    if with_overrides:
        overrides = []
        for i in range(draw(st.integers(1, 4))):
            start = dt.datetime.combine(anchor, dt.time()) + dt.timedelta(hours=draw(st.integers(0, 24 * 40)))
            overrides.append({
                "role": "primary", "member": draw(st.sampled_from(ids)), "start": start.isoformat(),
                "end": (start + dt.timedelta(hours=draw(st.integers(1, 24 * 15)))).isoformat(),
                "reason": "cover", "approver": "lead",
                "created_at": f"2024-12-{draw(st.integers(1, 28)):02d}T{i:02d}:00",
            })
        data["oncall"]["overrides"] = overrides
    return OnCallEngine(parse_config(data))


instants = st.integers(0, 400 * 24 * 3600).map(lambda s: START + dt.timedelta(seconds=s))


@SETTINGS
@given(rotas(), st.lists(instants, min_size=5, max_size=20))
def test_every_instant_has_one_primary_and_one_distinct_backup_never_on_pto(e, ts):
    for t in ts:
        a = e.who(t)
        if t < e.layers[0].start:
            assert a.primary is None  # before the anchor: no rota yet
            continue
        assert a.primary and a.backup and a.primary != a.backup, a.trace
        assert not e.off.pto_reason(a.primary, t) and not e.off.pto_reason(a.backup, t)


@SETTINGS
@given(rotas(with_pto=False), st.integers(1, 60))
def test_half_open_handoffs(e, k):
    layer = e.layers[0]
    b = layer.boundary(k)
    eps = dt.timedelta(microseconds=1)
    assert e.who(b - eps).shift.index == k - 1
    assert e.who(b).shift.index == k
    assert e.who(b + eps).shift.index == k


@SETTINGS
@given(rotas(with_pto=False, with_overrides=True), st.lists(instants, min_size=5, max_size=20))
def test_overlapping_overrides_newest_created_wins(e, ts):
    for t in ts:
        a = e.who(t)
        live = [w.item for w in e.overrides if w.start <= t < w.end]
        if a.shift is None:
            continue
        if live:
            newest = max(live, key=lambda o: o.created_at)
            assert a.primary == newest.member
        else:
            assert a.primary == a.shift.primary
        assert a.primary != a.backup


@SETTINGS
@given(st.sampled_from(ZONES), st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)))
def test_a_holiday_is_a_day_in_the_team_timezone(tz, day):
    data = raw("default")
    data["team"]["timezone"] = tz
    data["calendars"]["india"]["company_holidays"] = [{"date": day.isoformat(), "name": "Company day"}]
    e = OnCallEngine(parse_config(data))
    start, end = day_bounds(day, e.tz)
    local_start = start.astimezone(e.tz)
    assert (local_start.date(), local_start.hour, local_start.minute) == (day, 0, 0)
    assert end.astimezone(e.tz).date() == day + dt.timedelta(days=1)
    assert 22 <= (end - start).total_seconds() / 3600 <= 26
    assert isinstance(e.promotion_calendar, Calendar) and "Company day" in e.promotion_calendar.name(day)
    if e.layer_at(start):
        inside, after = e.who(start), e.who(end)
        assert inside.holiday.startswith(f"{day} ") and "Company day" in inside.holiday
        assert after.holiday is None or after.holiday.split()[0] != day.isoformat()
