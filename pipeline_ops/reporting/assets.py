"""`investor_monthly_report`: one row per month joining profit, growth and engagement.

Fails closed: if any day of the month is missing from any investor-facing daily output, the
run fails with the missing days named and nothing is published. Re-running a month replaces its
row. Scheduled on the configured day of the following month (default: the 1st).
"""


import dagster as dg
import pandas as pd
from dagster import AssetExecutionContext

from pipeline_ops.asset_meta import pipeline_asset_args
from pipeline_ops.lake.publish import now_utc, publish_frame
from pipeline_ops.metrics.reporting import DEFINITION_VERSION, SCHEMA
from pipeline_ops.partitions import monthly_partitions
from pipeline_ops.reporting.report import UPSTREAM, build_report, month_days
from pipeline_ops.resources.lake import LakeResource


@dg.asset(
    key=SCHEMA.asset,
    partitions_def=monthly_partitions(),
    deps=[dg.AssetDep(name) for name in UPSTREAM],
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=__doc__,
    **pipeline_asset_args("investor_monthly_report", kinds={"pandas", "parquet"}),
)
def investor_monthly_report(context: AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    started = now_utc()
    store = lake.lake()
    months = list(context.partition_keys)
    rows = []
    for month in months:
        days = month_days(month)
        inputs = {name: store.read(name, days, required=False) for name in UPSTREAM}
        rows.append(build_report(month, inputs["profit_aggregate"], inputs["growth_aggregate"], inputs["engagement_aggregate"]))
    return publish_frame(context, store, SCHEMA, pd.concat(rows, ignore_index=True), months, started, DEFINITION_VERSION)


ASSETS = [investor_monthly_report]
