"""Schedules and freshness policies follow each pipeline's SLA from config."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from pipeline_ops.config import load_config
from pipeline_ops.config.models import Sla
from pipeline_ops.reporting.assets import ASSETS as REPORT_ASSETS
from pipeline_ops.resources.lake import LakeResource
from pipeline_ops.resources.spark import SparkResource
from pipeline_ops.scheduling import deadline_cron, last_complete_partition, pipeline_job, pipeline_schedule, run_cron

IST = ZoneInfo("Asia/Kolkata")


@pytest.mark.parametrize(
    ("sla", "run", "deadline"),
    [
        (Sla(deadline="06:30", timezone="Asia/Kolkata"), "45 5 * * *", "30 6 * * *"),  # lead 45 min
        (Sla(deadline="00:20", timezone="UTC", lead_minutes=30), "50 23 * * *", "20 0 * * *"),  # wraps midnight
        (Sla(deadline="09:00", timezone="UTC", cadence="monthly", day_of_month=3, lead_minutes=600), "0 23 2 * *", "0 9 3 * *"),
        (Sla(deadline="01:00", timezone="UTC", cadence="monthly", day_of_month=1), "15 0 1 * *", "0 1 1 * *"),
        # 90 min before 01:00 on the 1st would be the previous month: clamp to 00:00 on the 1st.
        (Sla(deadline="01:00", timezone="UTC", cadence="monthly", day_of_month=1, lead_minutes=90), "0 0 1 * *", "0 1 1 * *"),
    ],
)
def test_crons_from_sla(sla, run, deadline):
    assert run_cron(sla) == run
    assert deadline_cron(sla) == deadline


def test_partition_is_last_complete_utc_day_or_month():
    cfg = load_config()
    # 05:45 IST on 2025-03-01 is 00:15 UTC on 2025-03-01: the last complete UTC day is Feb 28.
    when = dt.datetime(2025, 3, 1, 5, 45, tzinfo=IST)
    assert last_complete_partition(cfg.pipeline("growth_aggregate"), when) == "2025-02-28"
    assert last_complete_partition(cfg.pipeline("investor_monthly_report"), when) == "2025-02"


def test_schedule_requests_that_partition_with_stable_run_key():
    pipeline = load_config().pipeline("investor_monthly_report")
    job = pipeline_job(pipeline)
    schedule = pipeline_schedule(pipeline, job)
    assert schedule.cron_schedule == "15 8 3 * *" and schedule.execution_timezone == "Asia/Kolkata"
    defs = dg.Definitions(assets=REPORT_ASSETS, jobs=[job], schedules=[schedule], resources={"lake": LakeResource(), "spark": SparkResource()})
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2025, 5, 3, 8, 15, tzinfo=IST), repository_def=defs.get_repository_def()
    )
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2025-04"
    assert request.run_key == "investor_monthly_report:2025-04"


def test_settle_schedule_rebuilds_the_day_whose_late_window_just_closed():
    from pipeline_ops.definitions import defs
    from pipeline_ops.engagement.settle import settled_partition

    # Events of 2025-03-01 may arrive until 2025-03-02 00:00 + 48 h = 2025-03-04 00:00 UTC.
    assert settled_partition(dt.datetime(2025, 3, 4, 0, 30, tzinfo=dt.timezone.utc), 48) == "2025-03-01"
    # 36 h: the window of 03-02 closes 03-04 12:00, after 00:30: the newest closed day is still 03-01.
    assert settled_partition(dt.datetime(2025, 3, 4, 0, 30, tzinfo=dt.timezone.utc), 36) == "2025-03-01"
    # No lateness: yesterday is final as soon as it ends.
    assert settled_partition(dt.datetime(2025, 3, 4, 0, 30, tzinfo=dt.timezone.utc), 0) == "2025-03-03"

    schedule = defs.resolve_schedule_def("engagement_settle_schedule")
    assert schedule.cron_schedule == "30 0 * * *" and schedule.execution_timezone == "UTC"
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2025, 3, 4, 0, 30, tzinfo=dt.timezone.utc),
                                        repository_def=defs.get_repository_def())
    request = schedule.evaluate_tick(context).run_requests[0]
    assert (request.partition_key, request.run_key) == ("2025-03-01", "engagement_settle:2025-03-01")
    job = defs.resolve_job_def("engagement_settle_job")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == {
        "stg_click_events", "stg_sessions", "stg_user_activity_daily", "engagement_aggregate"}
