"""`investor_monthly_report`: one row per month joining profit, growth and engagement (Spark).

Revenue, profit and margin are recognised revenue (profit_aggregate.revenue_usd), billed revenue
is kept beside them, and recognition_complete says whether every day of the month could see all
the documents that earn on it. Fails closed: if any day of the month is missing from any
investor-facing daily output or from the account-level tables, or the account-level recognised
revenue (stg_revenue_recognised) disagrees with profit_aggregate, the run fails naming what is
wrong and nothing is published. Re-running a month replaces its row.
Scheduled on the configured day of the following month (default: the 3rd, after the last day's
late click events have arrived).
"""

from collections.abc import Iterator

import datetime as dt

import dagster as dg

from pipeline_ops.backfills.guard import INVESTOR_RESOURCES, InvestorApprovalGuard
from pipeline_ops.quality.dagster_checks import check_specs
import pandas as pd
from dagster import AssetExecutionContext

from pipeline_ops.asset_meta import pipeline_asset_args
from pipeline_ops.growth.schemas import ACCOUNT_DAILY
from pipeline_ops.lake.publish import now_utc, publish_frame
from pipeline_ops.lake.spark_frames import read_lake_partitions, require_utc
from pipeline_ops.metrics.engagement import ACTIVITY_SCHEMA
from pipeline_ops.metrics.engagement import AGGREGATE_SCHEMA as ENGAGEMENT
from pipeline_ops.metrics.growth import AGGREGATE_SCHEMA as GROWTH
from pipeline_ops.metrics.profit import AGGREGATE_SCHEMA as PROFIT
from pipeline_ops.metrics.reporting import DEFINITION_VERSION, SCHEMA
from pipeline_ops.partitions import monthly_partitions
from pipeline_ops.profit.schemas import RECOGNISED_USD
from pipeline_ops.reporting.report import (
    IncompleteMonthError, account_section, check_revenue_agrees, daily_rollup, month_days,
)
from pipeline_ops.resources.lake import LakeResource
from pipeline_ops.resources.spark import SparkResource

DAILY_INPUTS = (PROFIT, GROWTH, ENGAGEMENT)
ACCOUNT_INPUTS = (ACTIVITY_SCHEMA, ACCOUNT_DAILY, RECOGNISED_USD)


@dg.asset(
    key=SCHEMA.asset,
    partitions_def=monthly_partitions(),
    check_specs=check_specs(SCHEMA.asset, monthly_partitions()),
    deps=[dg.AssetDep(s.asset) for s in (*DAILY_INPUTS, *ACCOUNT_INPUTS)],
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=__doc__,
    resource_defs=INVESTOR_RESOURCES,  # replacing a published day needs an approval
    **pipeline_asset_args("investor_monthly_report", kinds={"spark", "parquet"}),
)
def investor_monthly_report(
    context: AssetExecutionContext, lake: LakeResource, spark: SparkResource,
    investor_approval: InvestorApprovalGuard,
) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    store, session = lake.lake(), spark.spark_session
    require_utc(session)
    rows = [_report_row(session, store, month) for month in context.partition_keys]
    yield from publish_frame(context, store, SCHEMA, pd.DataFrame(rows), list(context.partition_keys), started,
                         DEFINITION_VERSION)


def _report_row(session, store, month: str) -> dict:
    """The report row of one month, or IncompleteMonthError naming what is missing or inconsistent."""
    days = month_days(month)
    lacking = {s.asset: [d for d in days if not store.has_partition(s.asset, d)] for s in ACCOUNT_INPUTS}
    lacking = {k: v for k, v in lacking.items() if v}
    if lacking:
        detail = "; ".join(f"{k}: {len(v)} day(s) missing, first {v[:3]}" for k, v in lacking.items())
        raise IncompleteMonthError(f"investor report {month} not built, inputs incomplete: {detail}")
    inputs = {s.asset: read_lake_partitions(session, store, s, days, required=False) for s in DAILY_INPUTS}
    values, versions = daily_rollup(session, month, inputs)
    activity, accounts, recognised = (read_lake_partitions(session, store, s, days) for s in ACCOUNT_INPUTS)
    section = account_section(activity, accounts, recognised, dt.date.fromisoformat(days[-1]))
    check_revenue_agrees(month, values["revenue_usd"], section.pop("investor_revenue_usd"))
    return {**values, **section, "definition_version": f"{DEFINITION_VERSION} ({', '.join(versions)})"}


ASSETS = [investor_monthly_report]
