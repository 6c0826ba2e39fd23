"""Profit staging assets: revenue documents and cost lines, converted to USD at each day's rate.

Both read their landing sources for the run's days plus stg_fx_rates from the lake, fail closed
(a missing or unreadable landing file raises the reader's LandingError naming it; a missing rate
or salary month raises DataContractError) and publish last, so a failed run leaves the lake
untouched. Re-running a day replaces it whole.
"""

from collections.abc import Iterator

import dagster as dg

from pipeline_ops.quality.dagster_checks import check_specs
from dagster import AssetExecutionContext

from pipeline_ops.asset_meta import pipeline_asset_args
from pipeline_ops.lake.publish import now_utc, publish_frame
from pipeline_ops.quality.wap import audit_landing_for
from pipeline_ops.metrics.profit import DEFINITION_VERSION
from pipeline_ops.partitions import daily_partitions
from pipeline_ops.profit.schemas import COSTS_USD, REVENUE_USD
from pipeline_ops.profit.transform import stage_costs, stage_revenue
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops.staging.common import run_days

_FX = dg.AssetKey("stg_fx_rates")


@dg.asset(
    key=REVENUE_USD.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(REVENUE_USD.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetKey(["landing", "revenue"]), _FX],
    description=(
        "One row per invoice or refund document issued on the UTC day, deduplicated by invoice_id within the "
        "day (earliest issued_at kept; metadata duplicates_dropped counts the rest), with amount_usd signed "
        "(+ invoice, - refund) at the issue day's rate. Fails when a document is dated outside its folder "
        "day, has no rate for its currency, or the folder is missing. Re-run: replaces the day."
    ),
    **pipeline_asset_args("profit_aggregate", kinds={"pandas", "parquet"}, section="duplicate-records"),
)
def stg_revenue_usd(context: AssetExecutionContext, landing: LandingResource, lake: LakeResource) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    keys, days = run_days(context)
    store = lake.lake()
    yield from audit_landing_for(context, REVENUE_USD.asset, landing.zone(), store, days)
    frame, stats = stage_revenue(landing.zone().read("revenue", days), store.read("stg_fx_rates", keys))
    frame["definition_version"] = DEFINITION_VERSION
    yield from publish_frame(context, store, REVENUE_USD, frame, keys, started, DEFINITION_VERSION, extra_metadata=stats)


@dg.asset(
    key=COSTS_USD.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(COSTS_USD.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetKey(["landing", "expenses"]), dg.AssetKey(["landing", "salaries"]), _FX],
    description=(
        "One row per cost line per UTC day: each expense line on its booking day, and each team's monthly "
        "payroll spread evenly over every day of its month (monthly amount / days in month), each converted "
        "at that day's rate. Fails when the expenses folder or the month's salaries folder is missing, the "
        "month has no salary rows (payroll is never assumed 0), a (month, team) repeats or a rate is missing. "
        "Re-run: replaces the day."
    ),
    **pipeline_asset_args("profit_aggregate", kinds={"pandas", "parquet"}, section="late-upstream-partition"),
)
def stg_costs_usd(context: AssetExecutionContext, landing: LandingResource, lake: LakeResource) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    keys, days = run_days(context)
    zone, store = landing.zone(), lake.lake()
    yield from audit_landing_for(context, COSTS_USD.asset, zone, store, days)
    frame = stage_costs(zone.read("expenses", days), zone.read("salaries", days), store.read("stg_fx_rates", keys), days)
    frame["definition_version"] = DEFINITION_VERSION
    yield from publish_frame(context, store, COSTS_USD, frame, keys, started, DEFINITION_VERSION)


ASSETS = [stg_revenue_usd, stg_costs_usd]
