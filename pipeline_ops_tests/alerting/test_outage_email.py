"""Plan 000's rule as config: an investor outage unresolved after 2 hours is e-mailed once.

Times by hand: the incident opens at 03:00 IST; its first page after the 30 s grouping wait; the
rule `after_minutes: 120` is due at 05:00 IST, acknowledged or not, and only once.
"""

from __future__ import annotations

import datetime as dt

from pipeline_ops.alerting import db
from pipeline_ops.alerting.channels import LocalChannel
from pipeline_ops.alerting.channels.email import EmailChannel
from pipeline_ops.alerting.dispatch import DispatchSettings, plan
from pipeline_ops.alerting.grouping import apply
from pipeline_ops.alerting.incident import Incident
from pipeline_ops.alerting.service import AlertService
from pipeline_ops.config.alerting import AlertingConfig, OutageEmail
from pipeline_ops_tests.alerting.receivers import SmtpReceiver
from pipeline_ops_tests.alerting.test_incidents import LINEAGE, SETTINGS, sig
from pipeline_ops_tests.alerting.test_incidents_cli import Clock
from pipeline_ops_tests.oncall.conftest import at, engine

T0 = at("2025-10-17 03:00")
DAY = "2025-10-16"
RULE = DispatchSettings(SETTINGS.grouping_wait, SETTINGS.page_channels, SETTINGS.chat_channels, SETTINGS.ui_base_url,
                        outage_email=OutageEmail(after_minutes=120, severities=["sev1"], channels=["email"]))


def _emails(signal, minutes, before=None):
    """Outage e-mails planned at each of `minutes` after T0 (`before(incident, minute)` may change it)."""
    e = engine("default")
    incidents: list[Incident] = []
    apply([signal], incidents, LINEAGE)
    out = {}
    for m in minutes:
        if before:
            before(incidents, m)
        out[m] = [n for n in plan(incidents, e, LINEAGE, [], RULE, T0 + dt.timedelta(minutes=m)) if "|outage|" in n.key]
    return out


def test_an_unresolved_sev1_is_emailed_once_after_two_hours():
    got = _emails(sig("profit_aggregate", "ratios_defined", T0, DAY), [0.5, 119, 121, 150, 600])
    assert {m: len(v) for m, v in got.items()} == {0.5: 0, 119: 0, 121: 1, 150: 0, 600: 0}
    [mail] = got[121]
    assert (mail.channel, mail.recipient, mail.recipient_address) == ("email", None, None)  # the channel's list
    assert mail.title.endswith("unresolved for 2.0 h") and "not acknowledged; paged: eng_d" in mail.text


def test_acknowledged_still_counts_as_an_outage_resolved_does_not():
    def ack(incidents, m):
        if m == 30:
            incidents[0].status, incidents[0].acknowledged_by = "acknowledged", "eng_d"
    got = _emails(sig("profit_aggregate", "ratios_defined", T0, DAY), [0.5, 30, 121], ack)
    assert len(got[121]) == 1 and "acknowledged by eng_d" in got[121][0].text

    def recover(incidents, m):
        if m == 60:
            apply([sig("profit_aggregate", "ratios_defined", T0 + dt.timedelta(minutes=60), DAY, failing=False)],
                  incidents, LINEAGE)
    got = _emails(sig("profit_aggregate", "ratios_defined", T0, DAY), [0.5, 60, 121], recover)
    assert got[121] == []


def test_levels_outside_the_rule_are_not_emailed():
    upstream = _emails(sig("stg_fx_rates", "fx_rates_complete", T0, DAY), [0.5, 121])  # sev2
    experiment = _emails(sig("growth_daily", "plausibility", T0, DAY), [0.5, 121])  # sev3
    assert upstream[121] == [] and experiment[121] == []


def test_the_email_reaches_a_real_smtp_server_once_across_ticks(tmp_path):
    cfg = AlertingConfig(grouping_wait_seconds=30, channels={"local": {"type": "local"}, "email": {
        "type": "email", "host": "127.0.0.1", "sender": "pipeline-ops@example.com", "to": ["data-eng-oncall@company.example"]}},
        page=["local"], chat=["local"], outage_email={"after_minutes": 120, "channels": ["email"]})
    clock = Clock(T0)
    with SmtpReceiver() as smtp:
        channels = {"local": LocalChannel("local", tmp_path / "alerts.jsonl"),
                    "email": EmailChannel("email", "127.0.0.1", smtp.port, sender="pipeline-ops@example.com",
                                          starttls=False, to=["data-eng-oncall@company.example"])}
        url = f"sqlite:///{tmp_path / 'alerts.db'}"
        service = AlertService(db.connect(url), engine("default"), LINEAGE, cfg, channels, clock)
        service.tick([sig("profit_aggregate", "ratios_defined", T0, DAY)])
        for minutes in (0.5, 119, 121, 122):
            clock.t = T0 + dt.timedelta(minutes=minutes)
            service.tick([])
        # a restart: a new service on the same database sends nothing again
        AlertService(db.connect(url), engine("default"), LINEAGE, cfg, channels, clock).tick([])
    [mail] = smtp.messages
    assert mail.rcpt_tos == ["data-eng-oncall@company.example"]
    assert "unresolved for 2.0 h" in mail.message["Subject"] and "[Sev-1]" in mail.message["Subject"]
