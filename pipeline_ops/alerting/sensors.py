"""The Dagster side of alerting: one sensor and one resource, thin adapters over service.py.

`pipeline_ops_alerts` ticks every 15 s (running by default, so `make run` alerts): it reads what
is new in the instance (observe.py: check evaluations, run failures, each output's freshness
against its SLA deadline and tolerance, builds that recover a failure), folds it into incidents,
plans and delivers notifications. One sensor
with one composite cursor, on purpose: incidents then have a single writer (the CLI only queues
commands), and a burst's signals are grouped in one pass. The cursor is saved after the tick, so a
tick that fails is read again (a repeat counts, it never pages twice: idempotent keys).

Everything behind the sensor (SQLAlchemy, the service, the channels) is imported when it ticks,
not when the definitions load.
"""

from __future__ import annotations

import dataclasses
import json

import dagster as dg

from pipeline_ops.resources.lake import LandingResource


class AlertingResource(dg.ConfigurableResource):
    """Where incidents and the outbox live. Channel secrets are read from the environment
    variables the config names (alerting.channels); none is stored in the resource."""

    database_url: str | None = None  # default: PIPELINE_OPS_ALERTS_DB, the instance's PostgreSQL, or SQLite

    def database(self, instance: dg.DagsterInstance | None = None):
        from pipeline_ops.alerting import db

        return db.connect(self.database_url or db.default_url(instance))


def build_service(resource: AlertingResource, instance, asset_graph, clock=None):
    """(AlertService, BuiltChannels) for one tick."""
    from pipeline_ops.alerting.channels import build_channels
    from pipeline_ops.alerting.lineage import from_asset_graph
    from pipeline_ops.alerting.service import AlertService, utc_now
    from pipeline_ops.config import current_config
    from pipeline_ops.oncall.load import engine_for

    clock = clock or utc_now
    cfg = current_config()
    built = build_channels(cfg.alerting.channels)
    service = AlertService(resource.database(instance), engine_for(), from_asset_graph(asset_graph), cfg.alerting,
                           built.channels, clock, remote=built.lifecycles)
    return service, built


@dg.sensor(
    name="pipeline_ops_alerts", minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING,
    description="Failed checks, failed runs, freshness and late landings -> incidents grouped by root cause -> "
                "the on-call person, once (outbox). `pipeline-ops incidents` lists them.",
)
def alert_sensor(context: dg.SensorEvaluationContext, alerting: AlertingResource, landing: LandingResource) -> dg.SkipReason:
    from pipeline_ops.alerting.observe import (
        Cursor, arrival_recoveries, check_signals, deadline_signals, failing_checks, freshness_signals,
        recovery_signals, run_failure_signals,
    )
    from pipeline_ops.alerting.service import utc_now
    from pipeline_ops.config import current_config

    cursor = Cursor.load(context.cursor)
    graph = context.repository_def.asset_graph
    instance = context.instance
    service, built = build_service(alerting, instance, graph)
    open_incidents = service.store.open_incidents()
    check_keys = sorted(graph.asset_check_keys, key=str)
    # Pipeline outputs: per-partition freshness against the SLA; Dagster's asset-wide state for the rest.
    pipelines = [p for p in current_config().pipelines if graph.has(dg.AssetKey(p.key))]
    outputs = {p.key for p in pipelines}
    others = [k for k in graph.get_all_asset_keys() if k.to_user_string() not in outputs]
    signals = [*check_signals(instance, check_keys, cursor, failing_checks(open_incidents)),
               *run_failure_signals(instance, cursor), *recovery_signals(instance, cursor),
               *freshness_signals(instance, others, cursor, utc_now()),
               *deadline_signals(instance, pipelines, cursor, utc_now()),
               *arrival_recoveries(landing.zone(), open_incidents, utc_now())]
    # Nothing a user's error message carried (a URL with a token) reaches a stored incident.
    signals = [dataclasses.replace(s, summary=built.redactor.redact(s.summary),
                                   details=json.loads(built.redactor.redact(json.dumps(s.details, default=str))))
               for s in signals]
    report = service.tick(signals)
    for name, reason in built.skipped:
        context.log.debug(f"alert channel {name} not configured: {reason}")
    for error in report.remote_errors:  # alerts still went out; only the read-back missed a tick
        context.log.warning(f"could not read acknowledgements back from {error}")
    context.update_cursor(cursor.dump())
    context.log.info(str(report))
    return dg.SkipReason(str(report))
