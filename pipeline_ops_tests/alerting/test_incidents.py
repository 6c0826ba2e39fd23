"""Grouping, severity, routing and the dispatch plan, with plain values and hand-computed answers.

The rota is the default config's (see oncall tests): week 2 starts Mon 2025-09-01 09:00 IST with
eng_b primary and eng_c backup; profit_aggregate's secondary owner (incident commander) is eng_b.
"""

from __future__ import annotations

import datetime as dt
import random

from pipeline_ops.alerting.dispatch import DispatchSettings, plan
from pipeline_ops.alerting.grouping import apply
from pipeline_ops.alerting.incident import Incident
from pipeline_ops.alerting.lineage import Lineage
from pipeline_ops.alerting.routing import route, severity
from pipeline_ops.alerting.signals import Signal, overlaps
from pipeline_ops.alerting.silences import Silence
from pipeline_ops_tests.oncall.conftest import at, engine

UTC = dt.timezone.utc
P = {"stg_fx_rates": "profit_aggregate", "stg_revenue_usd": "profit_aggregate", "profit_aggregate": "profit_aggregate",
     "stg_account_daily": "growth_aggregate", "growth_aggregate": "growth_aggregate", "growth_daily": "growth_daily",
     "investor_monthly_report": "investor_monthly_report"}
LINEAGE = Lineage(parents={
    "landing/fx_rates": frozenset(), "stg_fx_rates": frozenset({"landing/fx_rates"}),
    "stg_revenue_usd": frozenset({"stg_fx_rates"}), "stg_account_daily": frozenset({"stg_fx_rates"}),
    "profit_aggregate": frozenset({"stg_revenue_usd", "stg_account_daily"}),
    "growth_aggregate": frozenset({"stg_account_daily"}), "growth_daily": frozenset({"stg_account_daily"}),
    "investor_monthly_report": frozenset({"profit_aggregate", "growth_aggregate"}),
}, pipeline_of=P)
SETTINGS = DispatchSettings(dt.timedelta(seconds=30), ("pagerduty", "local"), ("slack", "local"), "http://ui")
DAY = "2025-09-03"


def sig(asset, name, t, partition=DAY, failing=True, kind="check", level="ERROR", **details):
    return Signal(kind, asset, name, failing, t, partition, level, f"{asset}.{name} {'failed' if failing else 'passed'}",
                  dict(details))


def test_partitions_overlap_by_day_month_range_and_whole_asset():
    assert overlaps("2025-09-03", "2025-09") and overlaps("2025-09-01..2025-09-05", "2025-09-03")
    assert not overlaps("2025-09-03", "2025-09-04") and not overlaps("2025-08", "2025-09-03")
    assert overlaps(None, "2025-09-03")


def test_one_upstream_fault_failing_five_checks_across_three_outputs_is_one_incident():
    t = at("2025-09-03 03:00")
    burst = [sig("stg_fx_rates", "fx_rates_complete", t), sig("stg_fx_rates", "fx_rate_jump", t),
             sig("profit_aggregate", "margin_variance", t), sig("growth_aggregate", "growth_volume", t),
             sig("growth_daily", "plausibility", t, level="WARN")]
    incidents: list[Incident] = []
    random.Random(4).shuffle(burst)  # arrival order must not matter
    apply(burst, incidents, LINEAGE)
    assert len(incidents) == 1
    inc = incidents[0]
    assert inc.root_alert.asset == "stg_fx_rates"
    roles = {a.asset + "." + a.name: a.role for a in inc.alerts.values()}
    assert roles["profit_aggregate.margin_variance"] == roles["growth_daily.plausibility"] == "also_affects"
    assert sorted(roles.values()).count("also_affects") == 3 and len(roles) == 5
    # the same failure again is a repeat, not a new alert
    apply([sig("profit_aggregate", "margin_variance", t + dt.timedelta(minutes=5))], incidents, LINEAGE)
    assert len(incidents) == 1 and inc.alerts["profit_aggregate|profit_aggregate|margin_variance|2025-09-03"].count == 2
    notes = plan(incidents, engine("default"), LINEAGE, [], SETTINGS, t + dt.timedelta(seconds=30))
    assert [(n.channel, n.recipient, n.action) for n in notes] == [("pagerduty", "eng_b", "trigger"), ("local", "eng_b", "trigger")]
    assert "investor-facing outputs affected: growth_aggregate, investor_monthly_report, profit_aggregate" \
        in notes[0].text
    assert "(+4 related)" in notes[0].title and notes[0].dedup_key == inc.id


def test_another_day_or_an_unrelated_asset_is_another_incident_and_a_late_root_takes_over():
    t = at("2025-09-03 03:00")
    incidents: list[Incident] = []
    apply([sig("profit_aggregate", "margin_variance", t), sig("profit_aggregate", "margin_variance", t, "2025-09-04"),
           sig("growth_daily", "plausibility", t)], incidents, LINEAGE)
    assert len(incidents) == 3
    apply([sig("stg_revenue_usd", "duplicate_documents", t + dt.timedelta(minutes=2))], incidents, LINEAGE)
    first = next(i for i in incidents if i.root_alert.partition == DAY and "profit" in i.root)
    assert first.root_alert.asset == "stg_revenue_usd" and len(incidents) == 3


def test_severity_takes_the_most_important_pipeline_downstream():
    e = engine("default")
    incidents: list[Incident] = []
    apply([sig("stg_account_daily", "account_volume", at("2025-09-03 03:00"), level="WARN")], incidents, LINEAGE)
    assert severity(e, LINEAGE, incidents[0]) == ("warning", "growth_aggregate", "sev3")
    incidents = []
    apply([sig("stg_account_daily", "contract", at("2025-09-03 03:00"))], incidents, LINEAGE)
    # an ERROR upstream of an investor output: Sev-2 (at risk), which pages
    assert severity(e, LINEAGE, incidents[0]) == ("error", "growth_aggregate", "sev2")
    assert route(e, LINEAGE, incidents[0], at("2025-09-03 03:00")).mode == "page"
    incidents = []
    apply([sig("growth_daily", "plausibility", at("2025-09-03 03:00"))], incidents, LINEAGE)
    assert route(e, LINEAGE, incidents[0], at("2025-09-03 03:00")).mode == "hold"


def _ticks(incidents, t0, minutes, silences=()):
    e = engine("default")
    return {m: plan(incidents, e, LINEAGE, list(silences), SETTINGS, t0 + dt.timedelta(minutes=m)) for m in minutes}


def test_unacknowledged_page_climbs_the_ladder_then_ack_stops_it_and_recovery_resolves():
    t0 = at("2025-09-03 03:00")
    incidents: list[Incident] = []
    apply([sig("stg_fx_rates", "fx_rates_complete", t0)], incidents, LINEAGE)
    got = _ticks(incidents, t0, [0, 0.5, 10, 10.5, 11, 25, 25.5])
    who = {m: [(n.recipient, n.channel) for n in ns if n.channel == "pagerduty"] for m, ns in got.items()}
    # first page after the 30 s grouping wait; the backup 10 min after it; the incident commander
    # (eng_b) was already paged as primary: skipped without spending its 15 min; the platform lead
    # (neither primary nor backup this week, next in rota order after eng_b: eng_d) 15 min later.
    assert who == {0: [], 0.5: [("eng_b", "pagerduty")], 10: [], 10.5: [("eng_c", "pagerduty")], 11: [],
                   25: [], 25.5: [("eng_d", "pagerduty")]}
    assert "backup on call, rotation week 2" in got[10.5][0].text
    assert any("escalation step 2 (incident_commander) skipped" in line for line in incidents[0].trail)
    inc = incidents[0]
    inc.status, inc.acknowledged_by, inc.acknowledged_at = "acknowledged", "eng_b", t0 + dt.timedelta(minutes=26)
    acks = _ticks(incidents, t0, [26, 60])
    assert [(n.action, n.channel) for n in acks[26]] == [("acknowledge", "pagerduty"), ("acknowledge", "local")]
    assert acks[60] == []
    apply([sig("stg_fx_rates", "fx_rates_complete", t0 + dt.timedelta(minutes=61), failing=False)], incidents, LINEAGE)
    assert inc.status == "resolved"
    done = _ticks(incidents, t0, [62, 63])
    assert [(n.action, n.channel) for n in done[62]] == [("resolve", "pagerduty"), ("resolve", "local")] and not done[63]


def test_experiment_failure_at_night_is_held_to_the_business_morning_and_never_sent_if_it_recovers():
    for night, morning in (("2025-09-03 22:00", "2025-09-04 09:00"),   # Wed night -> Thu 09:00
                           ("2025-09-05 22:00", "2025-09-08 09:00"),   # Fri night -> Mon
                           ("2025-08-14 22:00", "2025-08-18 09:00")):  # Thu before Independence Day -> Mon
        t0, opening = at(night), at(morning)
        incidents: list[Incident] = []
        apply([sig("growth_daily", "plausibility", t0)], incidents, LINEAGE)
        e = engine("default")
        assert plan(incidents, e, LINEAGE, [], SETTINGS, t0 + dt.timedelta(minutes=1)) == []
        assert incidents[0].held_until == opening.astimezone(UTC)
        assert plan(incidents, e, LINEAGE, [], SETTINGS, opening - dt.timedelta(seconds=1)) == []
        sent = plan(incidents, e, LINEAGE, [], SETTINGS, opening)
        assert [(n.channel, n.action) for n in sent] == [("slack", "trigger"), ("local", "trigger")], night
    incidents = []
    t0 = at("2025-09-03 22:00")
    apply([sig("growth_daily", "plausibility", t0)], incidents, LINEAGE)
    plan(incidents, engine("default"), LINEAGE, [], SETTINGS, t0 + dt.timedelta(minutes=1))
    apply([sig("growth_daily", "plausibility", t0 + dt.timedelta(hours=2), failing=False)], incidents, LINEAGE)
    assert plan(incidents, engine("default"), LINEAGE, [], SETTINGS, at("2025-09-04 09:00")) == []


def test_a_silenced_incident_is_recorded_not_sent_until_the_silence_ends():
    t0 = at("2025-09-03 03:00")
    s = Silence("sil-1", t0 - dt.timedelta(hours=1), t0 + dt.timedelta(hours=1), "FX vendor maintenance", "eng_a",
                asset="stg_fx_*")
    incidents: list[Incident] = []
    apply([sig("stg_fx_rates", "fx_rates_complete", t0)], incidents, LINEAGE)
    got = _ticks(incidents, t0, [1, 59], [s])
    assert got == {1: [], 59: []} and incidents[0].silenced_by == "sil-1"
    assert [n.recipient for n in _ticks(incidents, t0, [60], [s])[60] if n.channel == "pagerduty"] == ["eng_b"]
    # a silence on one check does not mute an incident that broke something else too
    other: list[Incident] = []
    apply([sig("stg_fx_rates", "fx_rates_complete", t0), sig("stg_fx_rates", "contract", t0)], other, LINEAGE)
    narrow = Silence("sil-2", t0 - dt.timedelta(hours=1), t0 + dt.timedelta(hours=1), "known", "eng_a",
                     check="fx_rates_complete")
    assert _ticks(other, t0, [1], [narrow])[1]


def test_incident_round_trips_through_json():
    incidents: list[Incident] = []
    apply([sig("stg_fx_rates", "fx_rates_complete", at("2025-09-03 03:00"), observed={"missing": ["EUR"]})],
          incidents, LINEAGE)
    again = Incident.from_json(incidents[0].to_json())
    assert again == incidents[0]
