"""A page in a coverage gap: nobody is primary or backup, so the first person the ladder finds is paged
at once (a delay waits for an acknowledgement, and no page was sent to acknowledge)."""

from __future__ import annotations

import datetime as dt

from pipeline_ops.oncall.escalation import ladder
from pipeline_ops_tests.oncall.conftest import at, engine


def test_in_a_coverage_gap_the_incident_commander_is_paged_at_once():
    # default.yaml's rota starts Mon 2025-08-25: on 2025-03-03 nobody is on call.
    e = engine("default")
    t = at("2025-03-03 03:00")
    assert (e.who(t).primary, e.who(t).backup) == (None, None)
    pages = ladder(e, "profit_aggregate", t)
    # primary and backup skipped; profit_aggregate's secondary owner (eng_b) at once; the platform lead
    # (first member in rota order not yet paged: eng_a) its 15-minute delay after that page.
    assert [(p.target, p.who, p.at) for p in pages] == [
        ("primary", None, None), ("backup", None, None),
        ("incident_commander", "eng_b", t), ("platform_lead", "eng_a", t + dt.timedelta(minutes=15))]


def test_with_someone_on_call_the_delays_count_from_each_page():
    e = engine("default")
    t = at("2025-09-03 03:00")  # week 2: eng_b primary, eng_c backup (plan 002's table)
    pages = ladder(e, "profit_aggregate", t)
    # eng_b is also profit_aggregate's secondary owner: already paged, the IC step is skipped and
    # costs no time; the lead (eng_d, first after the primary in rota order) 15 min after the backup.
    assert [(p.target, p.who, p.at) for p in pages] == [
        ("primary", "eng_b", t), ("backup", "eng_c", t + dt.timedelta(minutes=10)),
        ("incident_commander", None, None), ("platform_lead", "eng_d", t + dt.timedelta(minutes=25))]
