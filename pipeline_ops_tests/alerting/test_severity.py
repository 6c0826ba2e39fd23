"""One test per severity level: a failure of each class gets its level, route, recipients and review date.

Hand-computed from the default config: rota week 8 (Mon 2025-10-13 09:00 IST -> Mon 2025-10-20) has
eng_d primary and eng_b backup; the team calendar (india) has Diwali on Mon 2025-10-20. A review due
5 business days after Fri 2025-10-17: Mon 20 is Diwali, so Tue 21 (1), Wed 22 (2), Thu 23 (3),
Fri 24 (4), Mon 27 (5) -> 2025-10-27.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline_ops.alerting.dispatch import DispatchSettings, plan
from pipeline_ops.alerting.grouping import apply
from pipeline_ops.alerting.incident import Incident
from pipeline_ops.alerting.routing import route
from pipeline_ops.alerting.severity import alert_level, review_due
from pipeline_ops.config.alerting import DEFAULT_SEVERITIES, AlertingConfig, SeverityLevel
from pipeline_ops_tests.alerting.test_incidents import LINEAGE, SETTINGS, sig
from pipeline_ops_tests.oncall.conftest import at, engine

FRIDAY_NIGHT = at("2025-10-17 03:00")  # outside business hours
FRIDAY_NOON = at("2025-10-17 11:00")  # inside
DAY = "2025-10-16"


def _first_tick(signal, t, settings=SETTINGS):
    incidents: list[Incident] = []
    apply([signal], incidents, LINEAGE)
    sent = plan(incidents, engine("default"), LINEAGE, [], settings, t + dt.timedelta(seconds=31))
    return incidents[0], sent


def test_sev1_an_investor_outputs_own_error_pages_the_primary_with_a_review_after_diwali():
    inc, sent = _first_tick(sig("profit_aggregate", "ratios_defined", FRIDAY_NIGHT, DAY), FRIDAY_NIGHT)
    assert (inc.severity, inc.review_due) == ("sev1", "2025-10-27")
    assert [(n.channel, n.recipient, n.severity) for n in sent] == [("pagerduty", "eng_d", "critical"),
                                                                     ("local", "eng_d", "critical")]
    assert sent[0].title.startswith("[Sev-1] profit_aggregate.ratios_defined")
    assert "acknowledge within 15 min; post-incident review due 2025-10-27" in sent[0].text


def test_sev1_also_for_a_failed_run_and_a_freshness_fail_of_the_output():
    for kind, name in (("run_failure", "run_failure"), ("freshness", "freshness")):
        inc, sent = _first_tick(sig("growth_aggregate", name, FRIDAY_NIGHT, DAY, kind=kind), FRIDAY_NIGHT)
        assert inc.severity == "sev1" and sent[0].recipient == "eng_d", (kind, inc.trail)


def test_sev2_an_upstream_error_and_the_outputs_freshness_warn_page_at_risk():
    inc, sent = _first_tick(sig("stg_fx_rates", "fx_rates_complete", FRIDAY_NIGHT, DAY), FRIDAY_NIGHT)
    assert (inc.severity, inc.review_due) == ("sev2", "2025-10-27")
    assert [(n.channel, n.recipient, n.severity) for n in sent][0] == ("pagerduty", "eng_d", "error")
    assert "[Sev-2]" in sent[0].title and "acknowledge within 30 min" in sent[0].text
    late = sig("profit_aggregate", "freshness_warn", FRIDAY_NIGHT, DAY, kind="freshness", level="WARN")
    inc, sent = _first_tick(late, FRIDAY_NIGHT)
    assert inc.severity == "sev2" and sent[0].recipient == "eng_d"


def test_sev3_experiment_failures_and_warnings_chat_with_no_review():
    inc, sent = _first_tick(sig("growth_daily", "plausibility", FRIDAY_NOON, DAY), FRIDAY_NOON)
    assert (inc.severity, inc.review_due) == ("sev3", None)
    assert [(n.channel, n.recipient, n.severity) for n in sent] == [("slack", None, "error"), ("local", None, "error")]
    warn = sig("profit_aggregate", "margin_variance", FRIDAY_NIGHT, DAY, level="WARN")  # investor, but a WARN
    inc, sent = _first_tick(warn, FRIDAY_NIGHT)
    assert inc.severity == "sev3" and sent == []  # chat, held until business hours open at 09:00
    assert inc.held_until == at("2025-10-17 09:00").astimezone(dt.timezone.utc)
    inc, sent = _first_tick(sig("growth_daily", "plausibility", at("2025-10-17 20:00"), DAY), at("2025-10-17 20:00"))
    assert inc.held_until == at("2025-10-21 09:00").astimezone(dt.timezone.utc)  # Fri evening: Tue (Mon is Diwali)


def test_a_rising_level_turns_a_chat_incident_into_a_page_and_never_falls():
    e = engine("default")
    incidents: list[Incident] = []
    apply([sig("profit_aggregate", "margin_variance", FRIDAY_NOON, DAY, level="WARN")], incidents, LINEAGE)
    chat = plan(incidents, e, LINEAGE, [], SETTINGS, FRIDAY_NOON + dt.timedelta(seconds=31))
    assert [n.channel for n in chat] == ["slack", "local"] and incidents[0].severity == "sev3"
    t1 = FRIDAY_NOON + dt.timedelta(hours=1)
    apply([sig("profit_aggregate", "ratios_defined", t1, DAY)], incidents, LINEAGE)  # same asset and day: joins
    [inc] = incidents
    page = plan(incidents, e, LINEAGE, [], SETTINGS, t1)
    assert inc.severity == "sev1" and [(n.channel, n.recipient) for n in page] == [("pagerduty", "eng_d"), ("local", "eng_d")]
    backup = plan(incidents, e, LINEAGE, [], SETTINGS, t1 + dt.timedelta(minutes=10))  # ladder counts from the page
    assert [(n.channel, n.recipient) for n in backup][0] == ("pagerduty", "eng_b")
    apply([sig("profit_aggregate", "ratios_defined", t1 + dt.timedelta(minutes=11), DAY, failing=False)], incidents,
          LINEAGE)
    assert inc.is_open and route(e, LINEAGE, inc, t1 + dt.timedelta(minutes=12), DEFAULT_SEVERITIES).level == "sev1"


def _settings(**levels) -> DispatchSettings:
    merged = {**DEFAULT_SEVERITIES, **{k: SeverityLevel(**{**DEFAULT_SEVERITIES[k].model_dump(), **v})
                                        for k, v in levels.items()}}
    return DispatchSettings(SETTINGS.grouping_wait, SETTINGS.page_channels, SETTINGS.chat_channels,
                            SETTINGS.ui_base_url, merged)


def test_the_severity_config_decides_route_and_review():
    upstream = sig("stg_fx_rates", "fx_rates_complete", FRIDAY_NOON, DAY)
    inc, sent = _first_tick(upstream, FRIDAY_NOON, _settings(sev2={"route": "chat", "review_business_days": 3}))
    # Fri + 3 business days: Tue 21 (1; Mon is Diwali), Wed 22 (2), Thu 23 (3)
    assert (inc.severity, inc.review_due) == ("sev2", "2025-10-23")
    assert [(n.channel, n.recipient) for n in sent] == [("slack", None), ("local", None)]


def test_config_rejects_a_missing_level_and_an_unknown_outage_level():
    with pytest.raises(ValueError, match="severities: expected exactly the levels"):
        AlertingConfig(severities={"sev1": DEFAULT_SEVERITIES["sev1"]})
    with pytest.raises(ValueError, match=r"outage_email.severities: unknown level\(s\) \['sev9'\]"):
        AlertingConfig(outage_email={"channels": ["local"], "severities": ["sev9"]})
    with pytest.raises(ValueError, match=r"outage_email.channels: unknown channel\(s\) \['email'\]"):
        AlertingConfig(outage_email={"channels": ["email"]})


def test_alert_levels_and_review_dates_as_plain_values():
    assert alert_level("profit_aggregate", "check", "ERROR", ["profit_aggregate"]) == "sev1"
    assert alert_level("stg_fx_rates", "check", "ERROR", ["growth_aggregate", "profit_aggregate"]) == "sev2"
    assert alert_level("stg_fx_rates", "check", "WARN", ["profit_aggregate"]) == "sev3"
    assert alert_level("growth_daily", "check", "ERROR", []) == "sev3"
    e = engine("default")
    assert review_due(FRIDAY_NIGHT, 5, e.tz, e.business) == dt.date(2025, 10, 27)
    assert review_due(at("2025-10-14 23:30"), 1, e.tz, e.business) == dt.date(2025, 10, 15)  # opened Tue in IST
    assert review_due(FRIDAY_NIGHT, None, e.tz, e.business) is None


def test_an_incident_stored_before_severities_loads():
    inc, _ = _first_tick(sig("profit_aggregate", "ratios_defined", FRIDAY_NIGHT, DAY), FRIDAY_NIGHT)
    old = inc.to_json()
    for key in ("severity", "review_due", "outage_email_sent", "ladder_started_at"):
        old.pop(key)
    loaded = Incident.from_json(old)
    assert (loaded.severity, loaded.review_due, loaded.outage_email_sent, loaded.ladder_started_at) == (None, None, False, None)


def test_a_late_landing_upstream_of_investor_outputs_is_sev2_and_pages():
    # landing/fx_rates feeds stg_fx_rates -> profit_aggregate and growth_aggregate (investor): at risk
    late = sig("landing/fx_rates", "arrived", FRIDAY_NIGHT, DAY)
    inc, sent = _first_tick(late, FRIDAY_NIGHT)
    assert (inc.severity, inc.review_due) == ("sev2", "2025-10-27")
    assert [(n.channel, n.recipient, n.severity) for n in sent] == [("pagerduty", "eng_d", "error"),
                                                                     ("local", "eng_d", "error")]


def test_a_warning_that_repeats_as_an_error_raises_the_level_and_pages():
    e = engine("default")
    incidents: list[Incident] = []
    apply([sig("profit_aggregate", "margin_variance", FRIDAY_NOON, DAY, level="WARN")], incidents, LINEAGE)
    chat = plan(incidents, e, LINEAGE, [], SETTINGS, FRIDAY_NOON + dt.timedelta(seconds=31))
    assert [n.channel for n in chat] == ["slack", "local"] and incidents[0].review_due is None
    t1 = FRIDAY_NOON + dt.timedelta(minutes=20)  # the same check, same partition, now beyond the ERROR bound
    apply([sig("profit_aggregate", "margin_variance", t1, DAY)], incidents, LINEAGE)
    [inc] = incidents
    page = plan(incidents, e, LINEAGE, [], SETTINGS, t1)
    # Sev-1 now; the review counts from the day it opened (Fri 2025-10-17): 2025-10-27 as above
    assert (inc.severity, inc.review_due) == ("sev1", "2025-10-27")
    assert [(n.channel, n.recipient, n.severity) for n in page] == [("pagerduty", "eng_d", "critical"),
                                                                     ("local", "eng_d", "critical")]
    assert any("severity Sev-1 (was Sev-3); review due 2025-10-27" in line for line in inc.trail)


def test_a_bad_severity_key_is_named_in_the_config_error():
    from pipeline_ops.config import ConfigError, parse_config
    from pipeline_ops_tests.oncall.conftest import raw

    data = raw("default")
    data["alerting"]["severities"]["sev2"]["route"] = "pager"
    data["alerting"]["severities"]["sev1"]["ack_within_minutes"] = 0
    with pytest.raises(ConfigError) as info:
        parse_config(data, "test.yaml")
    keys = [k for k, _ in info.value.problems]
    assert "alerting.severities.sev2.route" in keys and "alerting.severities.sev1.ack_within_minutes" in keys
