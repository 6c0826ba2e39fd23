"""The production instance (deploy/dagster.postgres.yaml) on a real PostgreSQL server on 127.0.0.1.

The file as shipped, copied into a fresh $DAGSTER_HOME with its environment set: runs, events and
schedule state are stored in PostgreSQL, the run queue holds the Spark and per-pipeline limits, and
the hand-made FX fault (EUR rate missing on D1) fails the blocking check in a real run, whose alert
the sensor pages through a receiver on 127.0.0.1 and stores as an incident in the same database.
"""

from __future__ import annotations

import shutil

import dagster as dg
import sqlalchemy as sa
from dagster._core.instance.ref import InstanceRef  # no public constructor from a folder

from pipeline_ops.alerting.incidents_store import IncidentStore
from pipeline_ops.alerting.sensors import AlertingResource, alert_sensor
from pipeline_ops.settings import PROJECT_DIR
from pipeline_ops_tests.alerting.test_alert_sensor import setup  # noqa: F401 (fixture: config, landing, receiver)
from pipeline_ops_tests.fixtures.profit_growth_scenario import D1, all_assets, fx
from pipeline_ops_tests.postgres import postgres_server  # noqa: F401 (fixture)

PASSWORD = "pg-secret-do-not-log-4711"


def _instance(postgres_server, home, monkeypatch) -> dg.DagsterInstance:  # noqa: F811
    url = sa.make_url(postgres_server.create_database("dagster_prod"))
    home.mkdir()
    shutil.copy(PROJECT_DIR / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")
    for name, value in {"HOST": url.host, "PORT": str(url.port), "DB": url.database, "USER": url.username,
                        "PASSWORD": PASSWORD}.items():  # trust auth on loopback: any password is accepted
        monkeypatch.setenv(f"PIPELINE_OPS_PG_{name}", value)
    monkeypatch.delenv("PIPELINE_OPS_ALERTS_DB", raising=False)
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


def test_a_run_its_checks_and_its_alert_on_postgres(setup, postgres_server, tmp_path, monkeypatch):  # noqa: F811
    instance = _instance(postgres_server, tmp_path / "home", monkeypatch)
    assert [type(s).__name__ for s in (instance.run_storage, instance.event_log_storage, instance.schedule_storage)] \
        == ["PostgresRunStorage", "PostgresEventLogStorage", "PostgresScheduleStorage"]
    queue = instance.get_concurrency_config().run_queue_config
    assert queue.max_concurrent_runs == 4
    assert {"key": "pipeline_ops/engine", "value": "spark", "limit": 1} in queue.tag_concurrency_limits

    resources = {**setup["defs"].resources, "alerting": AlertingResource()}  # incidents: the instance's database
    defs = dg.Definitions(assets=all_assets(), sensors=[alert_sensor], resources=resources)
    setup["zone"].write("fx_rates", D1, [r for r in fx(D1) if r["currency"] != "EUR"])
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        partition_key=D1, instance=instance, raise_on_error=False)
    assert not result.success
    stored = instance.get_run_by_id(result.run_id)
    assert stored is not None and stored.status == dg.DagsterRunStatus.FAILURE
    checks = [e.dagster_event.event_specific_data for e in instance.all_logs(result.run_id,
              of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
    failed = [c for c in checks if not c.passed]
    assert checks and [c.asset_key.to_user_string() for c in failed] == ["stg_fx_rates"], failed

    context = dg.build_sensor_context(instance=instance, definitions=defs,
                                      resources={"alerting": resources["alerting"], "landing": resources["landing"]})
    alert_sensor(context)
    sent = [r.json for r in setup["receiver"].requests]
    assert [e["event_action"] for e in sent] == ["trigger"] and "stg_fx_rates" in sent[0]["payload"]["summary"]
    engine = AlertingResource().database(instance)
    assert engine.dialect.name == "postgresql" and engine.url.database == "dagster_prod"
    [incident] = IncidentStore(engine).open_incidents()
    assert incident.id == sent[0]["dedup_key"]
    everything = "\n".join(str(r) for r in sent) + str(incident.to_json())
    assert PASSWORD not in everything
