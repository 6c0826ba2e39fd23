"""Jobs, schedules and freshness policies, one per pipeline, derived from its SLA in config.

- The job materializes the pipeline's output and its upstream lake assets (landing sources are
  external and never run). The investor report job runs the report alone: its inputs come from
  the daily pipelines.
- The schedule fires `lead_minutes` before the SLA deadline, in the SLA's timezone, and asks
  for the last complete partition (the previous UTC day, or the previous month).
  Its run_key is the pipeline and partition, so a tick that fires twice never runs twice.
- The freshness policy says the output must have been materialized in the window that ends at
  the deadline; the freshness daemon records PASS/FAIL against it for alerting.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from pipeline_ops.config.models import Pipeline, Sla


def _cron(sla: Sla, at: dt.time, day_shift: int = 0) -> str:
    if sla.cadence == "monthly":
        return f"{at.minute} {at.hour} {sla.day_of_month + day_shift} * *"
    return f"{at.minute} {at.hour} * * *"


def deadline_cron(sla: Sla) -> str:
    return _cron(sla, sla.deadline_time)


def run_cron(sla: Sla) -> str:
    """The deadline minus the lead time (a monthly run never moves before day 1 of the month)."""
    deadline = dt.datetime.combine(dt.date(2000, 1, 15), sla.deadline_time)
    run_at = deadline - dt.timedelta(minutes=sla.lead_minutes)
    shift = (run_at.date() - deadline.date()).days
    if sla.cadence == "monthly" and sla.day_of_month + shift < 1:
        return _cron(sla, dt.time(0, 0))
    if sla.cadence == "monthly":
        return _cron(sla, run_at.time(), shift)
    return _cron(sla, run_at.time())


def freshness_policy(pipeline: Pipeline) -> dg.FreshnessPolicy:
    window = dt.timedelta(days=28) if pipeline.sla.cadence == "monthly" else dt.timedelta(hours=24)
    return dg.FreshnessPolicy.cron(
        deadline_cron=deadline_cron(pipeline.sla), lower_bound_delta=window, timezone=pipeline.sla.timezone
    )


def last_complete_partition(pipeline: Pipeline, when: dt.datetime) -> str:
    """The partition a run at `when` should build: yesterday (UTC) or last month."""
    day = when.astimezone(dt.timezone.utc).date()
    if pipeline.sla.cadence == "monthly":
        return (day.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return (day - dt.timedelta(days=1)).isoformat()


def pipeline_job(pipeline: Pipeline) -> dg.UnresolvedAssetJobDefinition:
    output = dg.AssetSelection.assets(pipeline.key)
    monthly = pipeline.sla.cadence == "monthly"
    selection = output if monthly else output.upstream().materializable()
    return dg.define_asset_job(
        name=f"{pipeline.key}_job",
        selection=selection,
        description=f"Materialize {pipeline.title} for one partition (and its staging inputs).",
        tags={"pipeline": pipeline.key, "audience": pipeline.audience},
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
