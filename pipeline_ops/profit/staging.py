"""Profit staging assets: revenue documents and cost lines, converted to USD at each day's rate,
and the revenue those documents recognise each day (profit/recognition.py).

The first two read their landing sources for the run's days plus stg_fx_rates (revenue also
stg_account_daily, for each document's investor exclusion) from the lake, fail closed
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
from pipeline_ops.config import current_config
from pipeline_ops.growth.schemas import ACCOUNT_DAILY
from pipeline_ops.profit import recognition
from pipeline_ops.profit.schemas import COSTS_USD, RECOGNISED_USD, REVENUE_USD
from pipeline_ops.profit.transform import stage_costs, stage_revenue
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops.staging.common import run_days

_FX = dg.AssetKey("stg_fx_rates")


@dg.asset(
    key=REVENUE_USD.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(REVENUE_USD.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetKey(["landing", "revenue"]), _FX, dg.AssetKey(ACCOUNT_DAILY.asset)],
    description=(
        "One row per invoice or refund document issued on the UTC day, deduplicated by invoice_id within the "
        "day (earliest issued_at kept; metadata duplicates_dropped counts the rest), with amount_usd signed "
        "(+ invoice, - refund) at the issue day's rate and its service period (service_start..service_end, "
        "inclusive, service_days long) and exclude_from_investor (its account's experiment on the issue day, "
        "from stg_account_daily). Fails when a document is dated outside its folder day, has no rate for its "
        "currency, bills an account missing from that day's snapshot, has a period that ends before it starts or "
        "more than 31 days after the issue day, or the folder is missing. Re-run: replaces the day."
    ),
    **pipeline_asset_args("profit_aggregate", kinds={"pandas", "parquet"}, section="duplicate-records"),
)
def stg_revenue_usd(context: AssetExecutionContext, landing: LandingResource, lake: LakeResource) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    keys, days = run_days(context)
    store = lake.lake()
    yield from audit_landing_for(context, REVENUE_USD.asset, landing.zone(), store, days)
    frame, stats = stage_revenue(landing.zone().read("revenue", days), store.read("stg_fx_rates", keys),
                                 store.read(ACCOUNT_DAILY.asset, keys))
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


@dg.asset(
    key=RECOGNISED_USD.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(RECOGNISED_USD.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    # Same-day dependency on purpose: a look-back partition mapping would make Dagster extend every
    # backfill of stg_revenue_usd to the 31 days after it (each downstream day depends on it). The
    # look-back is read from the lake and fails closed on a missing partition instead.
    deps=[dg.AssetKey(REVENUE_USD.asset)],
    description=(
        "Revenue recognised per UTC day and account: every invoice and refund of stg_revenue_usd spread ratably "
        "over its service period (amount_usd / service_days per day), never before its issue day (the share of "
        f"days already past is recognised on the issue day). Reads the documents issued D-{recognition.LOOKBACK_DAYS} "
        "..D. Days whose look-back reaches before the lake's revenue history (the later of processing.partitions_start "
        "and the earliest stg_revenue_usd partition) are published with recognition_complete = false; a missing "
        "stg_revenue_usd partition inside the look-back fails the run naming it. Re-run: replaces the day(s); a "
        f"changed stg_revenue_usd day changes the next {recognition.LOOKBACK_DAYS} days here."
    ),
    **pipeline_asset_args("profit_aggregate", kinds={"pandas", "parquet"}, section="late-upstream-partition"),
)
def stg_revenue_recognised(context: AssetExecutionContext, lake: LakeResource) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    keys, days = run_days(context)
    store = lake.lake()
    present = store.partitions(REVENUE_USD.asset)
    history = recognition.history_start(current_config().processing.partitions_start, present)
    needed = recognition.lookback_keys(days, history)
    recognition.require_partitions(needed, set(present), history)
    frame = recognition.recognise(store.read(REVENUE_USD.asset, needed), days, history)
    frame["definition_version"] = DEFINITION_VERSION
    stats = recognition.run_metadata(days, history, len(needed))
    if not stats["recognition_complete"]:
        context.log.warning(f"recognised revenue understated on {stats['incomplete_days_range']}: their look-back "
                            f"reaches before the lake's revenue history ({stats['recognition_history_start']})")
    yield from publish_frame(context, store, RECOGNISED_USD, frame, keys, started, DEFINITION_VERSION, extra_metadata=stats)


ASSETS = [stg_revenue_usd, stg_costs_usd, stg_revenue_recognised]
