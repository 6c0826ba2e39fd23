"""Jobs, schedules and freshness policies, one per pipeline, derived from its SLA in config.

- The job materializes the pipeline's output and its upstream lake assets (landing sources are
  external and never run). The investor report job runs the report alone: its inputs come from
  the daily pipelines.
- The schedule fires `lead_minutes` before the SLA deadline, in the SLA's timezone, and asks
  for the last complete partition (the previous UTC day, or the previous month).
  Its run_key is the pipeline and partition, so a tick that fires twice never runs twice.
- The freshness policy (`dg.FreshnessPolicy.cron`) has its deadline at the SLA deadline plus
  `freshness_tolerance_minutes` (`fail_cron`): the freshness daemon shows FAIL in the UI once the
  output is later than the SLO allows. Dagster's cron policy has no WARN and judges the asset as a
  whole; the per-partition WARN/FAIL that alerting uses is pipeline_ops/freshness.py (see there).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from pipeline_ops.config.models import Pipeline, Sla
from pipeline_ops.freshness import last_complete_partition

__all__ = ["ENGINE_TAG", "deadline_cron", "engine_tag", "fail_cron", "freshness_policy", "last_complete_partition", "pipeline_job",
           "pipeline_schedule", "run_cron"]


def _cron(sla: Sla, at: dt.time, day_shift: int = 0) -> str:
    if sla.cadence == "monthly":
        return f"{at.minute} {at.hour} {sla.day_of_month + day_shift} * *"
    return f"{at.minute} {at.hour} * * *"


def _shifted(sla: Sla, minutes: int) -> tuple[dt.time, int]:
    """The deadline moved by `minutes`: (wall time, days moved)."""
    deadline = dt.datetime.combine(dt.date(2000, 1, 15), sla.deadline_time)
    at = deadline + dt.timedelta(minutes=minutes)
    return at.time(), (at.date() - deadline.date()).days


def deadline_cron(sla: Sla) -> str:
    """The SLA deadline: the output partition is on time (PASS) when built by then."""
    return _cron(sla, sla.deadline_time)


def fail_cron(sla: Sla) -> str:
    """Deadline + freshness tolerance: later than this the SLO is breached (FAIL). The Sla model
    keeps it on the same day for daily SLAs (tolerance < 24 h) and on or before day 28 for monthly."""
    at, shift = _shifted(sla, sla.freshness_tolerance_minutes)
    return _cron(sla, at, shift)


def run_cron(sla: Sla) -> str:
    """The deadline minus the lead time (a monthly run never moves before day 1 of the month)."""
    run_at, shift = _shifted(sla, -sla.lead_minutes)
    if sla.cadence == "monthly" and sla.day_of_month + shift < 1:
        return _cron(sla, dt.time(0, 0))
    return _cron(sla, run_at, shift)


def freshness_policy(pipeline: Pipeline) -> dg.FreshnessPolicy:
    """Dagster's view of the SLA: FAIL from deadline + tolerance until the output is built again
    (any materialization in the day, or 28 days, before that instant counts)."""
    window = dt.timedelta(days=28) if pipeline.sla.cadence == "monthly" else dt.timedelta(hours=24)
    return dg.FreshnessPolicy.cron(
        deadline_cron=fail_cron(pipeline.sla), lower_bound_delta=window, timezone=pipeline.sla.timezone
    )


# Pipelines whose jobs run Spark (their assets have kind "spark"): tagged so the run queue
# (deploy/dagster*.yaml, tag_concurrency_limits) runs one at a time.
SPARK_DOMAINS = frozenset({"engagement", "reporting"})
ENGINE_TAG = "pipeline_ops/engine"


def engine_tag(domain: str) -> dict[str, str]:
    return {ENGINE_TAG: "spark" if domain in SPARK_DOMAINS else "duckdb"}


def pipeline_job(pipeline: Pipeline) -> dg.UnresolvedAssetJobDefinition:
    output = dg.AssetSelection.assets(pipeline.key)
    monthly = pipeline.sla.cadence == "monthly"
    selection = output if monthly else output.upstream().materializable()
    return dg.define_asset_job(
        name=f"{pipeline.key}_job",
        selection=selection,
        description=f"Materialize {pipeline.title} for one partition (and its staging inputs).",
        tags={"pipeline": pipeline.key, "audience": pipeline.audience, **engine_tag(pipeline.domain)},
    )


def pipeline_schedule(pipeline: Pipeline, job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{pipeline.key}_schedule",
        job=job,
        cron_schedule=run_cron(pipeline.sla),
        execution_timezone=pipeline.sla.timezone,
        description=(
            f"{pipeline.title}: runs {pipeline.sla.lead_minutes} min before its "
            f"{pipeline.sla.deadline} {pipeline.sla.timezone} deadline for the last complete partition."
        ),
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        partition = last_complete_partition(pipeline, context.scheduled_execution_time)
        return dg.RunRequest(run_key=f"{pipeline.key}:{partition}", partition_key=partition)

    return _schedule
