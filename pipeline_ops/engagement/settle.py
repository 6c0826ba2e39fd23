"""Late click events: re-build each day once its lateness window has closed.

A day D's first build (the engagement schedule, early on D+1) sees only the events delivered by
then. Events of D may still arrive in the delivery folders of the next days, up to
`processing.lateness_hours` (48 h) after D ends. The settle schedule re-materializes the whole
engagement path for D once that window has closed, at 00:30 UTC on the first day whose start is
at least `lateness_hours` after D ends (D+3 with 48 h), so every day is rebuilt exactly once with
all its accepted events and its `provisional` metadata turns false. Re-building D also
refreshes D's wau, mau and d7_retention inputs; the following days are rebuilt when they settle
in turn, so every published day ends up computed from settled days.

The run key is the day, so a tick evaluated twice never runs twice. Ships stopped, like every
schedule: switch it on in the UI together with `engagement_aggregate_schedule`.
"""

from __future__ import annotations

import datetime as dt
import math

import dagster as dg

from pipeline_ops.config import current_config
from pipeline_ops.scheduling import engine_tag

SETTLE_ASSETS = ("stg_click_events", "stg_sessions", "stg_user_activity_daily", "engagement_aggregate")


def settled_partition(when: dt.datetime, lateness_hours: int) -> str:
    """The UTC day whose lateness window closed most recently before `when` (date only)."""
    days_after = math.ceil(lateness_hours / 24)  # delivery folders after D that can hold D's events
    today = when.astimezone(dt.timezone.utc).date()
    return (today - dt.timedelta(days=days_after + 1)).isoformat()


def settle_job() -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        name="engagement_settle_job",
        selection=dg.AssetSelection.assets(*SETTLE_ASSETS),
        description="Re-build one day of the engagement path after its late-event window has closed.",
        tags={"pipeline": "engagement_aggregate", "audience": "investor", "purpose": "settle-late-events",
              **engine_tag("engagement")},
    )


def settle_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    lateness = current_config().processing.lateness_hours

    @dg.schedule(
        name="engagement_settle_schedule",
        job=job,
        cron_schedule="30 0 * * *",
        execution_timezone="UTC",
        description=(
            f"Re-builds the engagement path for the day whose {lateness} h late-event window has just "
            "closed, so late click events reach their own day."
        ),
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = settled_partition(context.scheduled_execution_time, lateness)
        return dg.RunRequest(run_key=f"engagement_settle:{day}", partition_key=day)

    return _schedule
