"""`pipeline-ops incidents` and `silence` against a real SQLite alert database and the service tick."""

from __future__ import annotations

import datetime as dt
import json

from pipeline_ops.alerting import db
from pipeline_ops.alerting.channels import LocalChannel
from pipeline_ops.alerting.service import AlertService
from pipeline_ops.cli.main import main
from pipeline_ops.config.alerting import AlertingConfig
from pipeline_ops_tests.alerting.test_incidents import LINEAGE, sig
from pipeline_ops_tests.oncall.conftest import at, engine


class Clock:
    def __init__(self, t: dt.datetime):
        self.t = t

    def __call__(self) -> dt.datetime:
        return self.t


def _service(tmp_path, clock):
    cfg = AlertingConfig(grouping_wait_seconds=30, channels={"local": {"type": "local"}}, page=["local"], chat=["local"])
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    local = LocalChannel("local", tmp_path / "alerts.jsonl")
    return AlertService(db.connect(url), engine("default"), LINEAGE, cfg, {"local": local}, clock), url


def test_ack_from_the_cli_stops_the_ladder_and_resolve_closes(tmp_path, capsys):
    t0 = at("2025-09-03 03:00")
    clock = Clock(t0)
    service, url = _service(tmp_path, clock)
    service.tick([sig("stg_fx_rates", "fx_rates_complete", t0)])
    clock.t = t0 + dt.timedelta(seconds=30)
    assert service.tick([]).enqueued == 1  # the primary, after the grouping wait
    [inc] = service.store.open_incidents()
    assert main(["incidents", "--db", url, "list"]) == 0
    assert inc.id in capsys.readouterr().out
    assert main(["incidents", "--db", url, "ack", inc.id, "--by", "eng_b", "--reason", "looking"]) == 0
    clock.t = t0 + dt.timedelta(minutes=11)  # past the backup's step: acknowledged, so nobody else is paged
    report = service.tick([])
    sent = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [(s["action"], s.get("recipient")) for s in sent] == [("trigger", "eng_b"), ("acknowledge", None)], sent
    assert report.enqueued == 1 and service.store.get(inc.id).status == "acknowledged"
    assert main(["incidents", "--db", url, "resolve", inc.id, "--by", "eng_b", "--reason", "rates re-delivered"]) == 0
    clock.t += dt.timedelta(minutes=1)
    service.tick([])
    assert service.store.get(inc.id).status == "resolved"
    assert json.loads((tmp_path / "alerts.jsonl").read_text().splitlines()[-1])["action"] == "resolve"
    capsys.readouterr()
    assert main(["incidents", "--db", url, "show", inc.id]) == 0
    out = capsys.readouterr().out
    assert "acknowledged by eng_b: looking" in out and "resolved by eng_b: rates re-delivered" in out
    assert main(["incidents", "--db", url, "ack", "inc-nope", "--by", "x"]) == 1


def test_a_cli_silence_mutes_matching_alerts_until_expired(tmp_path, capsys):
    t0 = dt.datetime.now(dt.timezone.utc)
    clock = Clock(t0)
    service, url = _service(tmp_path, clock)
    assert main(["silence", "--db", url, "add", "--asset", "stg_fx_*", "--duration", "2h", "--reason", "vendor window",
                 "--by", "eng_a"]) == 0
    silence_id = capsys.readouterr().out.split(":")[0]
    service.tick([sig("stg_fx_rates", "fx_rates_complete", t0)])
    clock.t = t0 + dt.timedelta(minutes=1)
    assert service.tick([]).enqueued == 0
    assert main(["silence", "--db", url, "expire", silence_id]) == 0
    clock.t = t0 + dt.timedelta(minutes=2)  # after the expiry (real time, moments after t0)
    assert service.tick([]).enqueued == 1
    assert main(["silence", "--db", url, "add", "--duration", "1h", "--reason", "r", "--by", "b"]) == 2  # no matcher


def test_list_and_show_print_each_incidents_severity_and_review_due(tmp_path, capsys):
    # Fri 2025-10-17 03:00 IST. Sev-1: 5 business days after Fri 17, Mon 20 being Diwali (team calendar):
    # Tue 21, Wed 22, Thu 23, Fri 24, Mon 27 -> review due 2025-10-27. Sev-3: no review.
    t0 = at("2025-10-17 03:00")
    clock = Clock(t0)
    service, url = _service(tmp_path, clock)
    service.tick([sig("profit_aggregate", "ratios_defined", t0, "2025-10-16"),
                  sig("growth_daily", "plausibility", t0, "2025-10-16")])
    capsys.readouterr()
    assert main(["incidents", "--db", url, "list"]) == 0
    before = capsys.readouterr().out
    assert before.count("severity not set yet") == 2  # inside the grouping wait: not routed yet
    clock.t = t0 + dt.timedelta(seconds=30)
    service.tick([])
    assert main(["incidents", "--db", url, "list"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.startswith("inc-")}
    by_asset = {("profit" if "profit_aggregate.ratios_defined" in line else "growth"): (key, line)
                for key, line in rows.items()}
    assert by_asset["profit"][1].endswith("Sev-1, review due 2025-10-27")
    assert by_asset["growth"][1].endswith("Sev-3, no review")  # held until Tue 09:00, but routed
    assert main(["incidents", "--db", url, "show", by_asset["profit"][0]]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[1] == "  Sev-1, review due 2025-10-27"
