"""The pipeline_ops code location: every asset, job, schedule and resource, assembled once.

Loading this module reads the config (PIPELINE_OPS_CONFIG) and builds definitions; it never
starts Spark (the Spark resource is lazy) and touches no data.

Executor: runs execute in one process so a run's Spark steps share one Spark session (the JVM
starts once per run, not once per step); the pandas/DuckDB steps never start it.
"""

import warnings

import dagster as dg

# Beta/preview notices (backfill policies, freshness policies) would repeat on every load.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

from pipeline_ops import engagement, growth, profit, sources, staging  # noqa: E402
from pipeline_ops.alerting.sensors import AlertingResource, alert_sensor  # noqa: E402
from pipeline_ops.backfills.sensor import experiment_late_data_sensor  # noqa: E402
from pipeline_ops.config import current_config  # noqa: E402
from pipeline_ops.engagement.settle import settle_job, settle_schedule  # noqa: E402
from pipeline_ops.reporting.assets import ASSETS as REPORTING_ASSETS  # noqa: E402
from pipeline_ops.resources.lake import LakeResource, LandingResource  # noqa: E402
from pipeline_ops.resources.spark import spark_resource  # noqa: E402
from pipeline_ops.scheduling import freshness_policy, pipeline_job, pipeline_schedule  # noqa: E402
from pipeline_ops.sources.checks import arrival_checks, landing_arrival_sensor  # noqa: E402


def build_definitions() -> dg.Definitions:
    cfg = current_config()
    jobs = {p.key: pipeline_job(p) for p in cfg.pipelines}
    settle = settle_job()
    defs = dg.Definitions(
        assets=[
            *sources.ASSETS,
            *staging.ASSETS,
            *profit.ASSETS,
            *growth.ASSETS,
            *engagement.ASSETS,
            *REPORTING_ASSETS,
        ],
        asset_checks=arrival_checks(),
        jobs=[*jobs.values(), settle],
        schedules=[*(pipeline_schedule(p, jobs[p.key]) for p in cfg.pipelines), settle_schedule(settle)],
        sensors=[landing_arrival_sensor, alert_sensor, experiment_late_data_sensor],
        resources={"alerting": AlertingResource(), "landing": LandingResource(), "lake": LakeResource(), "spark": spark_resource()},
        executor=dg.in_process_executor,
    )
    # Each pipeline's output gets the freshness policy of its SLA.
    policies = {dg.AssetKey(p.key): freshness_policy(p) for p in cfg.pipelines}
    return defs.map_asset_specs(
        func=lambda spec: dg.apply_freshness_policy(spec, policies[spec.key]) if spec.key in policies else spec
    )


defs = build_definitions()
