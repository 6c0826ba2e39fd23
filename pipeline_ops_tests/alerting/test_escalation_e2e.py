"""The ladder end to end through real receivers on 127.0.0.1 and an injected clock (no sleeps):
a PagerDuty-like HTTP server, a Slack-like one and an SMTP server (aiosmtpd).

Week 2 of the default rota (from Mon 2025-09-01 09:00 IST): eng_b primary, eng_c backup; growth
pipelines' incident commander is growth_aggregate's secondary owner, eng_d.
"""

from __future__ import annotations

import datetime as dt

from pipeline_ops.alerting import db
from pipeline_ops.alerting.channels import EmailChannel, LocalChannel, PagerDutyChannel, SlackChannel
from pipeline_ops.alerting.service import AlertService
from pipeline_ops.config.alerting import AlertingConfig
from pipeline_ops_tests.alerting.receivers import HttpReceiver, SmtpReceiver, pd_accepted, slack_ok
from pipeline_ops_tests.alerting.test_incidents import LINEAGE, sig
from pipeline_ops_tests.alerting.test_incidents_cli import Clock
from pipeline_ops_tests.oncall.conftest import at, engine

CFG = AlertingConfig(grouping_wait_seconds=30, channels={"pd": {"type": "local"}, "mail": {"type": "local"},
                                                          "slack": {"type": "local"}, "local": {"type": "local"}},
                     page=["pd", "mail", "local"], chat=["slack", "local"])


def _service(tmp_path, clock, pd, slack, smtp):
    channels = {"pd": PagerDutyChannel("pd", "routing-key-123", url=pd.url("/v2/enqueue")),
                "mail": EmailChannel("mail", "127.0.0.1", smtp.port, sender="alerts@pipeline-ops.example", starttls=False),
                "slack": SlackChannel("slack", slack.url("/services/T000/B000/secret")),
                "local": LocalChannel("local", tmp_path / "alerts.jsonl")}
    return AlertService(db.connect(f"sqlite:///{tmp_path / 'alerts.db'}"), engine("default"), LINEAGE, CFG,
                        channels, clock)


def test_investor_failure_pages_primary_then_backup_after_10_then_commander_after_15_then_resolves(tmp_path):
    t0 = at("2025-09-03 03:00")
    clock = Clock(t0)
    with HttpReceiver(default=pd_accepted("k")) as pd, HttpReceiver(default=slack_ok()) as slack, SmtpReceiver() as smtp:
        service = _service(tmp_path, clock, pd, slack, smtp)
        service.tick([sig("stg_account_daily", "contract", t0)])  # feeds growth_aggregate: investor-grade
        for minutes in (0.5, 5, 10.4, 10.5, 20, 25.5, 30):
            clock.t = t0 + dt.timedelta(minutes=minutes)
            service.tick([])
        mails = [(m.rcpt_tos, m.message["Date"] is not None) for m in smtp.messages]
        assert [r[0] for r in mails] == [["engineer-b@company.example"], ["engineer-c@company.example"],
                                         ["engineer-d@company.example"]]
        events = [r.json for r in pd.requests]
        assert [e["event_action"] for e in events] == ["trigger", "trigger", "trigger"]
        assert len({e["dedup_key"] for e in events}) == 1  # one PagerDuty alert, updated per step
        assert slack.requests == []  # investor-grade: paged, not chatted
        clock.t = t0 + dt.timedelta(minutes=40)
        service.tick([sig("stg_account_daily", "contract", clock.t, failing=False)])
        assert [r.json["event_action"] for r in pd.requests][-1] == "resolve"
        assert "Resolved" in str(smtp.messages[-1].message["Subject"])
        assert sorted(smtp.messages[-1].rcpt_tos) == ["engineer-b@company.example", "engineer-c@company.example",
                                                      "engineer-d@company.example"]  # everyone paged hears it


def test_experiment_failure_at_22h_waits_for_the_business_morning_in_chat(tmp_path):
    t0 = at("2025-09-05 22:00")  # a Friday night in the team timezone
    clock = Clock(t0)
    with HttpReceiver(default=pd_accepted("k")) as pd, HttpReceiver(default=slack_ok()) as slack, SmtpReceiver() as smtp:
        service = _service(tmp_path, clock, pd, slack, smtp)
        service.tick([sig("growth_daily", "plausibility", t0)])
        for when in ("2025-09-05 23:00", "2025-09-06 10:00", "2025-09-08 08:59"):
            clock.t = at(when)
            service.tick([])
        assert slack.requests == [] and pd.requests == [] and smtp.messages == []
        clock.t = at("2025-09-08 09:00")
        service.tick([])
        [post] = slack.requests
        assert "growth_daily.plausibility" in post.json["text"] and pd.requests == [] and smtp.messages == []
