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
from pipeline_ops.freshness import Verdict, due, freshness_verdict, latest_deadline
from pipeline_ops.scheduling import (
    deadline_cron, fail_cron, freshness_policy, last_complete_partition, pipeline_job, pipeline_schedule, run_cron,
)

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


UTC = dt.timezone.utc
DEADLINE = dt.datetime(2025, 3, 2, 1, 30, tzinfo=UTC)  # profit_aggregate: 07:00 IST on 2025-03-02
MIN = dt.timedelta(minutes=1)


@pytest.mark.parametrize(("materialized", "now", "verdict"), [
    (DEADLINE - 45 * MIN, DEADLINE + 60 * MIN, Verdict.PASS),  # built by the schedule, 45 min early
    (DEADLINE, DEADLINE + 60 * MIN, Verdict.PASS),  # at the deadline: on time
    (DEADLINE + 10 * MIN, DEADLINE + 60 * MIN, Verdict.WARN),  # 10 min late: inside the 15 min SLO
    (DEADLINE + 15 * MIN, DEADLINE + 60 * MIN, Verdict.WARN),  # exactly the tolerance: still inside
    (DEADLINE + 20 * MIN, DEADLINE + 60 * MIN, Verdict.FAIL),  # 20 min late: SLO breached
    (None, DEADLINE - MIN, Verdict.PASS),  # not due yet
    (None, DEADLINE + 10 * MIN, Verdict.WARN),  # missing at +10: at risk
    (None, DEADLINE + 15 * MIN, Verdict.FAIL),  # missing when the tolerance runs out
    (None, DEADLINE + 20 * MIN, Verdict.FAIL),
])
def test_freshness_verdict_with_a_15_minute_tolerance(materialized, now, verdict):
    assert freshness_verdict(DEADLINE, 15 * MIN, materialized, now) is verdict


def test_no_tolerance_means_late_is_fail():
    assert freshness_verdict(DEADLINE, 0 * MIN, DEADLINE + MIN, DEADLINE + 60 * MIN) is Verdict.FAIL
    assert freshness_verdict(DEADLINE, 0 * MIN, None, DEADLINE) is Verdict.FAIL


def test_the_partition_due_at_the_latest_deadline():
    cfg = load_config()
    daily, monthly = cfg.pipeline("profit_aggregate"), cfg.pipeline("investor_monthly_report")
    # 06:59 IST on 03-02: the deadline that passed is 03-01 07:00 IST, owing 2025-02-28.
    d = due(daily, dt.datetime(2025, 3, 2, 6, 59, tzinfo=IST))
    assert (d.partition, d.deadline, d.fail_at) == ("2025-02-28", DEADLINE - dt.timedelta(days=1),
                                                    DEADLINE - dt.timedelta(days=1) + 15 * MIN)
    assert due(daily, dt.datetime(2025, 3, 2, 7, 0, tzinfo=IST)).partition == "2025-03-01"
    # The report owes last month from 09:00 IST on the 3rd (03:30 UTC).
    assert latest_deadline(monthly.sla, dt.datetime(2025, 5, 3, 3, 30, tzinfo=UTC)) == dt.datetime(2025, 5, 3, 3, 30, tzinfo=UTC)
    assert due(monthly, dt.datetime(2025, 5, 3, 3, 30, tzinfo=UTC)).partition == "2025-04"
    assert due(monthly, dt.datetime(2025, 5, 3, 3, 29, tzinfo=UTC)).partition == "2025-03"


@pytest.mark.parametrize(("sla", "fail"), [
    (Sla(deadline="07:00", timezone="Asia/Kolkata"), "15 7 * * *"),  # default tolerance 15 min
    (Sla(deadline="07:00", timezone="Asia/Kolkata", freshness_tolerance_minutes=40), "40 7 * * *"),
    (Sla(deadline="07:00", timezone="Asia/Kolkata", freshness_tolerance_minutes=0), "0 7 * * *"),
    (Sla(deadline="23:50", timezone="UTC"), "5 0 * * *"),  # past midnight
    (Sla(deadline="09:00", timezone="UTC", cadence="monthly", day_of_month=3), "15 9 3 * *"),
    (Sla(deadline="23:50", timezone="UTC", cadence="monthly", day_of_month=3), "5 0 4 * *"),  # the next day
])
def test_fail_cron_is_deadline_plus_tolerance(sla, fail):
    assert fail_cron(sla) == fail


def test_a_monthly_fail_time_after_day_28_is_a_config_error():
    with pytest.raises(ValueError, match="after day 28"):
        Sla(deadline="23:50", timezone="UTC", cadence="monthly", day_of_month=28)
    with pytest.raises(ValueError):
        Sla(deadline="07:00", timezone="UTC", freshness_tolerance_minutes=24 * 60)


def test_dagster_policy_fails_at_deadline_plus_tolerance_and_has_no_warn():
    """Dagster's own evaluator (the freshness daemon's) on a real instance with a frozen clock:
    PASS until deadline + tolerance even though the day is late, then FAIL; never WARN."""
    import asyncio

    from dagster._core.definitions.freshness_evaluator import CronFreshnessPolicyEvaluator
    from dagster._core.loader import LoadingContextForTest
    from dagster._core.test_utils import freeze_time

    pipeline = load_config().pipeline("profit_aggregate")
    policy = freshness_policy(pipeline)
    assert (policy.deadline_cron, policy.timezone, policy.lower_bound_delta) == (
        "15 7 * * *", "Asia/Kolkata", dt.timedelta(hours=24))
    key = dg.AssetKey(pipeline.key)
    defs = dg.Definitions(assets=[dg.apply_freshness_policy(dg.AssetSpec(key), policy)])
    node = defs.resolve_asset_graph().get(key)
    instance = dg.DagsterInstance.ephemeral()
    yesterday = DEADLINE - dt.timedelta(days=1)
    with freeze_time(yesterday - 45 * MIN):  # yesterday's run, on time
        instance.report_runless_asset_event(dg.AssetMaterialization(key, partition="2025-02-28"))

    def state(at: dt.datetime):
        with freeze_time(at):
            return asyncio.run(CronFreshnessPolicyEvaluator().evaluate_freshness(LoadingContextForTest(instance), node))

    assert state(DEADLINE + 10 * MIN).value == "PASS"  # ours: WARN (2025-03-01 is 10 min late)
    assert state(DEADLINE + 15 * MIN).value == "FAIL"
    with freeze_time(DEADLINE + 20 * MIN):
        instance.report_runless_asset_event(dg.AssetMaterialization(key, partition="2024-01-01"))  # any partition
    assert state(DEADLINE + 21 * MIN).value == "PASS"  # asset-wide: an old partition makes it "fresh"


def test_the_spark_engine_tag_marks_exactly_the_jobs_that_run_spark_assets():
    """The run queue limits pipeline_ops/engine=spark runs to one at a time (deploy/dagster*.yaml):
    the tag must follow the assets' kinds, not a list someone forgot to update."""
    from pipeline_ops.definitions import defs

    graph = defs.resolve_asset_graph()
    for job in defs.jobs:
        kinds = set().union(*(graph.get(k).kinds for k in job.selection.resolve(graph)))
        assert job.tags["pipeline_ops/engine"] == ("spark" if "spark" in kinds else "duckdb"), (job.name, kinds)
