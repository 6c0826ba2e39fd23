"""The alert sensor on a real Dagster instance: a failed blocking FX check pages once through a
real PagerDuty-like receiver on 127.0.0.1, the skipped outputs join the same incident, a second
tick sends nothing, and the fixed day resolves it (hand-built scenario: fixtures/profit_growth_scenario.py).
"""

from __future__ import annotations

import json

import dagster as dg
import pytest
import yaml

from pipeline_ops.alerting.sensors import AlertingResource, alert_sensor
from pipeline_ops.settings import PACKAGE_DIR
from pipeline_ops_tests.alerting.receivers import HttpReceiver, pd_accepted
from pipeline_ops_tests.fixtures.profit_growth_scenario import D1, all_assets, build_landing, fx

SECRET = "R0UT1NGKEY-do-not-log-0123456789"


@pytest.fixture()
def setup(tmp_path, monkeypatch):
    receiver = HttpReceiver(default=pd_accepted("x")).__enter__()
    cfg = yaml.safe_load((PACKAGE_DIR / "config" / "default.yaml").read_text())
    cfg["alerting"] = {
        "grouping_wait_seconds": 0, "ui_base_url": "http://ui.test",
        "channels": {"pagerduty": {"type": "pagerduty", "routing_key_env": "TEST_PD_KEY",
                                   "url": receiver.url("/v2/enqueue")},
                     "local": {"type": "local", "path": str(tmp_path / "alerts.jsonl")}},
        "page": ["pagerduty", "local"], "chat": ["local"]}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    monkeypatch.setenv("PIPELINE_OPS_CONFIG", str(path))
    monkeypatch.setenv("TEST_PD_KEY", SECRET)
    from pipeline_ops.resources.lake import LakeResource, LandingResource

    zone = build_landing(tmp_path / "landing")
    resources = {"landing": LandingResource(url=zone.url), "lake": LakeResource(url=str(tmp_path / "lake")),
                 "alerting": AlertingResource(database_url=f"sqlite:///{tmp_path / 'alerts.db'}")}
    defs = dg.Definitions(assets=all_assets(), sensors=[alert_sensor], resources=resources)
    yield {"zone": zone, "defs": defs, "receiver": receiver, "tmp": tmp_path, "instance": dg.DagsterInstance.ephemeral()}
    receiver.__exit__()


def _run(s, partition=D1):
    job = s["defs"].resolve_implicit_global_asset_job_def()
    return job.execute_in_process(partition_key=partition, instance=s["instance"], raise_on_error=False)


def _tick(s, cursor):
    ctx = dg.build_sensor_context(instance=s["instance"], cursor=cursor, definitions=s["defs"],
                                  resources={"alerting": s["defs"].resources["alerting"],
                                             "landing": s["defs"].resources["landing"]})
    result = alert_sensor(ctx)
    return ctx.cursor, result


def test_a_blocked_investor_day_pages_once_groups_its_consequences_and_resolves(setup):
    s = setup
    s["zone"].write("fx_rates", D1, [r for r in fx(D1) if r["currency"] != "EUR"])  # EUR rate missing on D1
    assert not _run(s).success
    cursor, _ = _tick(s, None)
    sent = [r.json for r in s["receiver"].requests]
    assert [e["event_action"] for e in sent] == ["trigger"], sent
    trigger = sent[0]
    assert trigger["payload"]["severity"] == "critical" and "stg_fx_rates" in trigger["payload"]["summary"]
    from pipeline_ops.alerting.db import connect
    from pipeline_ops.alerting.incidents_store import IncidentStore

    store = IncidentStore(connect(f"sqlite:///{s['tmp'] / 'alerts.db'}"))
    [inc] = store.open_incidents()
    assert trigger["dedup_key"] == inc.id and inc.root_alert.asset == "stg_fx_rates"
    affected = {a.asset for a in inc.alerts.values() if a.role == "also_affects"}
    assert {"profit_aggregate", "growth_aggregate"} <= affected, inc.trail
    # a second tick with nothing new sends nothing
    cursor, _ = _tick(s, cursor)
    assert len(s["receiver"].requests) == 1
    # the fixed day: every check passes and every asset is built -> resolved, said on the channel
    s["zone"].write("fx_rates", D1, fx(D1))
    assert _run(s).success
    cursor, _ = _tick(s, cursor)
    actions = [r.json["event_action"] for r in s["receiver"].requests]
    assert actions == ["trigger", "resolve"], (actions, store.get(inc.id).trail)
    assert store.get(inc.id).status == "resolved"
    lines = (s["tmp"] / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["trigger", "resolve"]
    # the routing key never reaches the stored incident, the local log or the payloads' text
    stored = json.dumps(store.get(inc.id).to_json())
    assert SECRET not in stored and SECRET not in "\n".join(lines)
    assert all(SECRET not in json.dumps(r.json.get("payload", {})) for r in s["receiver"].requests)
