"""`pipelines[].chat_channel` picks the Slack channel: a chat channel with its own incoming webhook
(`channel_webhooks` on the slack channel) gets its pipelines' messages; the rest go to the default."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline_ops.alerting.channels import build_channels
from pipeline_ops.alerting.dispatch import plan
from pipeline_ops.alerting.grouping import apply
from pipeline_ops.alerting.incident import Incident
from pipeline_ops.config.alerting import AlertingConfig
from pipeline_ops_tests.alerting.receivers import HttpReceiver, slack_ok
from pipeline_ops_tests.alerting.test_incidents import LINEAGE, SETTINGS, sig
from pipeline_ops_tests.oncall.conftest import at, engine

NOON = at("2025-10-16 11:00")  # Thursday, business hours: chat goes out at once


def _chat(asset: str, level: str = "ERROR"):
    incidents: list[Incident] = []
    apply([sig(asset, "plausibility", NOON, "2025-10-15", level=level)], incidents, LINEAGE)
    return [n for n in plan(incidents, engine("default"), LINEAGE, [], SETTINGS, NOON + dt.timedelta(seconds=31))
            if n.channel == "slack"]


def test_each_pipeline_chat_channel_gets_its_own_messages():
    # default.yaml: growth_daily chats in #data-pipeline-alerts, growth_aggregate in #investor-kpis
    [experiment] = _chat("growth_daily")
    [investor_warn] = _chat("growth_aggregate", level="WARN")
    assert (experiment.fields["chat_channel"], investor_warn.fields["chat_channel"]) == (
        "#data-pipeline-alerts", "#investor-kpis")
    with HttpReceiver(slack_ok()) as default, HttpReceiver(slack_ok()) as investor:
        cfg = AlertingConfig(channels={"slack": {"type": "slack", "webhook_url_env": "SLACK_DEFAULT",
                                                 "channel_webhooks": {"#investor-kpis": "SLACK_INVESTOR"}}},
                             page=["slack"], chat=["slack"])
        env = {"SLACK_DEFAULT": default.url("/services/T/B/default"), "SLACK_INVESTOR": investor.url("/services/T/B/inv")}
        slack = build_channels(cfg.channels, env=env).channels["slack"]
        assert slack.send(experiment).ok and slack.send(investor_warn).ok
    assert [r.path for r in default.requests] == ["/services/T/B/default"]
    assert [r.path for r in investor.requests] == ["/services/T/B/inv"]
    context = investor.requests[0].json["blocks"][-2]["elements"]
    assert any(e["text"] == "*Channel:* #investor-kpis" for e in context)


def test_an_unset_channel_webhook_falls_back_to_the_default_and_a_stray_key_is_refused():
    [investor_warn] = _chat("growth_aggregate", level="WARN")
    with HttpReceiver(slack_ok()) as default:
        cfg = AlertingConfig(channels={"slack": {"type": "slack", "webhook_url_env": "SLACK_DEFAULT",
                                                 "channel_webhooks": {"#investor-kpis": "SLACK_INVESTOR"}}},
                             page=["slack"], chat=["slack"])
        slack = build_channels(cfg.channels, env={"SLACK_DEFAULT": default.url("/d")}).channels["slack"]
        assert slack.send(investor_warn).ok
    assert [r.path for r in default.requests] == ["/d"]
    with pytest.raises(ValueError, match="channel_webhooks does not apply to a pagerduty channel"):
        AlertingConfig(channels={"pd": {"type": "pagerduty", "routing_key_env": "K", "channel_webhooks": {"#x": "V"}}},
                       page=["pd"], chat=["pd"])
