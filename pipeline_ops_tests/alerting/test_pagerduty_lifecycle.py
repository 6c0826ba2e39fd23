"""PagerDuty's lifecycle read back: a fake PagerDuty REST API on 127.0.0.1 (the real wire format:
`GET /incidents`, token header, `more`/`offset` paging) beside a fake Events API receiver.

An acknowledgement made in PagerDuty stops our ladder; a resolve there resolves our incident and
sends the resolve to every channel that got the trigger; a PagerDuty that cannot be read is
reported and the tick still pages."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse

import pytest

from pipeline_ops.alerting import db
from pipeline_ops.alerting.channels import LocalChannel, PagerDutyChannel, build_channels
from pipeline_ops.alerting.channels.pagerduty_lifecycle import LifecycleError, PagerDutyLifecycle, RemoteState
from pipeline_ops.alerting.incident import Incident
from pipeline_ops.alerting.remote import remote_commands
from pipeline_ops.alerting.service import AlertService
from pipeline_ops.config.alerting import AlertingConfig
from pipeline_ops_tests.alerting.receivers import HttpReceiver, Reply, closed_port, pd_accepted
from pipeline_ops_tests.alerting.test_incidents import LINEAGE, sig
from pipeline_ops_tests.alerting.test_incidents_cli import Clock
from pipeline_ops_tests.oncall.conftest import at, engine

TOKEN = "u+SeCrEtRestToken42"
UTC = dt.timezone.utc


def _page(*incidents, more=False) -> Reply:
    return Reply(200, json.dumps({"incidents": list(incidents), "limit": 100, "offset": 0, "more": more}),
                 {"Content-Type": "application/json"})


def _pd(key, status, who="Engineer B", when="2025-09-02T21:34:00Z"):
    return {"id": "PABC123", "type": "incident", "incident_key": key, "status": status,
            "last_status_change_at": when, "last_status_change_by": {"type": "user_reference", "summary": who}}


def test_the_client_pages_through_incidents_with_the_token_header_and_reads_states():
    since, until = dt.datetime(2025, 9, 2, 20, 0, tzinfo=UTC), dt.datetime(2025, 9, 2, 22, 0, tzinfo=UTC)
    with HttpReceiver() as rest:
        rest.script(_page(_pd("inc-1", "acknowledged"), {"incident_key": None, "status": "resolved"}, more=True),
                    _page(_pd("inc-2", "resolved", who="Asha", when="2025-09-02T23:05:00+05:30"),
                          _pd("inc-3", "triggered")))
        states = PagerDutyLifecycle(TOKEN, api_url=rest.url("/")).changed_since(since, until)
        assert states == [RemoteState("inc-1", "acknowledged", "Engineer B", dt.datetime(2025, 9, 2, 21, 34, tzinfo=UTC)),
                          RemoteState("inc-2", "resolved", "Asha", dt.datetime(2025, 9, 2, 17, 35, tzinfo=UTC))]
        first, second = rest.requests
        assert first.method == "GET" and first.headers["authorization"] == f"Token token={TOKEN}"
        assert first.headers["accept"] == "application/vnd.pagerduty+json;version=2"
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(first.path).query)
        assert query["statuses[]"] == ["acknowledged", "resolved"]
        assert (query["since"], query["until"], query["offset"]) == (["2025-09-02T20:00:00Z"], ["2025-09-02T22:00:00Z"], ["0"])
        assert urllib.parse.parse_qs(urllib.parse.urlsplit(second.path).query)["offset"] == ["100"]


def test_a_pagerduty_that_cannot_be_read_raises_a_redacted_error():
    now = dt.datetime(2025, 9, 2, 22, 0, tzinfo=UTC)
    with HttpReceiver(Reply(401, json.dumps({"error": {"message": f"bad token {TOKEN}"}}))) as rest:
        with pytest.raises(LifecycleError, match="HTTP 401") as err:
            PagerDutyLifecycle(TOKEN, api_url=rest.url()).changed_since(now, now)
    assert TOKEN not in str(err.value)
    with pytest.raises(LifecycleError, match="network error"):
        PagerDutyLifecycle(TOKEN, api_url=f"http://127.0.0.1:{closed_port()}").changed_since(now, now)


def _incident(iid, status):
    t = dt.datetime(2025, 9, 2, 21, 0, tzinfo=UTC)
    return Incident(id=iid, opened_at=t, root="check:stg_fx_rates:rates", alerts={}, status=status)


@pytest.mark.parametrize("ours, theirs, expected", [
    ("open", "acknowledged", "ack"), ("open", "resolved", "resolve"), ("acknowledged", "resolved", "resolve"),
    ("acknowledged", "acknowledged", None),  # nothing new
    ("resolved", "acknowledged", None), ("resolved", "resolved", None),  # nothing moves backwards
])
def test_what_pagerduty_says_becomes_at_most_one_forward_command(ours, theirs, expected):
    t = dt.datetime(2025, 9, 2, 21, 34, tzinfo=UTC)
    commands = remote_commands([RemoteState("inc-1", theirs, "Asha", t), RemoteState("unknown", "resolved", "X", t)],
                               [_incident("inc-1", ours)])
    assert [c["action"] for c in commands] == ([expected] if expected else [])
    if expected:
        assert commands[0]["by"] == "Asha (PagerDuty)" and commands[0]["at"] == t and commands[0]["incident_id"] == "inc-1"


CFG = AlertingConfig(grouping_wait_seconds=30, channels={"pd": {"type": "local"}, "local": {"type": "local"}},
                     page=["pd", "local"], chat=["local"])


def test_an_ack_in_pagerduty_stops_the_ladder_and_a_resolve_there_resolves_here(tmp_path):
    t0 = at("2025-09-03 03:00")
    clock = Clock(t0)
    with HttpReceiver(default=pd_accepted("k")) as events, HttpReceiver(default=_page()) as rest:
        service = AlertService(
            db.connect(f"sqlite:///{tmp_path / 'alerts.db'}"), engine("default"), LINEAGE, CFG,
            {"pd": PagerDutyChannel("pd", "routing-key-123", url=events.url("/v2/enqueue")),
             "local": LocalChannel("local", tmp_path / "alerts.jsonl")}, clock,
            remote={"pd": PagerDutyLifecycle(TOKEN, api_url=rest.url())})
        service.tick([sig("stg_account_daily", "contract", t0)])  # investor-grade: pages
        assert rest.requests == []  # nothing was open before this tick: PagerDuty is not asked
        clock.t = t0 + dt.timedelta(minutes=1)
        service.tick([])
        [inc] = service.store.open_incidents()
        assert [r.json["event_action"] for r in events.requests] == ["trigger"]
        ack_at = t0 + dt.timedelta(minutes=3)
        rest.default = _page(_pd(inc.id, "acknowledged", "Engineer B", ack_at.isoformat()))
        for minutes in (4, 11, 16, 30):  # past the backup (10) and commander (15) steps
            clock.t = t0 + dt.timedelta(minutes=minutes)
            service.tick([])
        inc = service.store.get(inc.id)
        assert (inc.status, inc.acknowledged_by, inc.acknowledged_at) == ("acknowledged", "Engineer B (PagerDuty)", ack_at)
        # the ladder stopped; the acknowledgement is told to every channel that got the trigger (to
        # PagerDuty too, which ignores an acknowledge for an acknowledged key)
        assert [r.json["event_action"] for r in events.requests] == ["trigger", "acknowledge"]
        assert len(service.store.pending_commands()) == 0  # applied once, not queued every tick
        rest.default = _page(_pd(inc.id, "resolved", "Asha", (t0 + dt.timedelta(minutes=31)).isoformat()))
        clock.t = t0 + dt.timedelta(minutes=32)
        service.tick([])
        inc = service.store.get(inc.id)
        assert inc.status == "resolved" and "Asha (PagerDuty)" in inc.resolution
        assert [r.json["event_action"] for r in events.requests] == ["trigger", "acknowledge", "resolve"]
        lines = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
        assert [line["action"] for line in lines] == ["trigger", "acknowledge", "resolve"]  # the other channel too
        since = urllib.parse.parse_qs(urllib.parse.urlsplit(rest.requests[0].path).query)["since"][0]
        assert since == (inc.opened_at - dt.timedelta(hours=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_pagerduty_rest_outage_is_reported_and_the_tick_still_pages(tmp_path):
    t0 = at("2025-09-03 03:00")
    clock = Clock(t0)
    with HttpReceiver(default=pd_accepted("k")) as events, HttpReceiver(default=Reply(503, "down")) as rest:
        service = AlertService(
            db.connect(f"sqlite:///{tmp_path / 'alerts.db'}"), engine("default"), LINEAGE, CFG,
            {"pd": PagerDutyChannel("pd", "routing-key-123", url=events.url("/v2/enqueue"))}, clock,
            remote={"pd": PagerDutyLifecycle(TOKEN, api_url=rest.url())})
        service.tick([sig("stg_account_daily", "contract", t0)])
        clock.t = t0 + dt.timedelta(minutes=1)
        report = service.tick([])
        assert report.remote_errors == ("pd: pagerduty REST: HTTP 503 down",)
        assert [r.json["event_action"] for r in events.requests] == ["trigger"]


def test_the_read_back_is_built_only_when_its_token_is_in_the_environment():
    specs = AlertingConfig(channels={"pd": {"type": "pagerduty", "routing_key_env": "PD_KEY",
                                            "api_token_env": "PD_TOKEN", "api_url": "http://127.0.0.1:9/"}},
                           page=["pd"], chat=["pd"]).channels
    without = build_channels(specs, {"PD_KEY": "rk"})
    assert "pd" in without.channels and without.lifecycles == {}
    assert without.skipped == [("pd (PagerDuty acknowledgements read-back)", "environment variable PD_TOKEN is not set")]
    built = build_channels(specs, {"PD_KEY": "rk", "PD_TOKEN": TOKEN})
    assert built.lifecycles["pd"].api_url == "http://127.0.0.1:9" and built.redactor.redact(TOKEN) != TOKEN
