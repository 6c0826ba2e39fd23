"""Growth staging assets: accounts per day and subscription events, in USD, with experiment fields.

Both read their landing source for the run's days plus stg_fx_rates and stg_experiment_assignments
from the lake, fail closed (missing folder: LandingError naming it; missing FX rate, duplicate key
after a join: DataContractError naming day and key) and publish last, so a failed run leaves the
lake untouched. Re-running a day replaces it whole.
"""

from collections.abc import Iterator

import dagster as dg

from pipeline_ops.quality.dagster_checks import check_specs
from dagster import AssetExecutionContext

from pipeline_ops.asset_meta import pipeline_asset_args
from pipeline_ops.growth.schemas import ACCOUNT_DAILY, SUBSCRIPTION_EVENTS_USD
from pipeline_ops.growth.transform import stage_account_daily, stage_events
from pipeline_ops.lake.publish import now_utc, publish_frame
from pipeline_ops.quality.wap import audit_landing_for
from pipeline_ops.metrics.growth import DEFINITION_VERSION
from pipeline_ops.partitions import daily_partitions
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops.staging.common import run_days

_STAGED = [dg.AssetKey("stg_fx_rates"), dg.AssetKey("stg_experiment_assignments")]


@dg.asset(
    key=ACCOUNT_DAILY.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(ACCOUNT_DAILY.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetKey(["landing", "accounts"]), *_STAGED],
    description=(
        "One row per account per UTC day from the end-of-day accounts snapshot (churned accounts included), "
        "with MRR in USD at the day's rate, is_active (status 'active' and licences > 0) and the account's "
        "experiment in effect that day (experiment_id/variant null and exclude_from_investor false when "
        "unassigned). Guards: one row per (account_id, date) after the join, else the run fails naming the keys; "
        "no FX rate for a currency fails naming day and currency. Re-run: replaces the day."
    ),
    **pipeline_asset_args("growth_aggregate", kinds={"pandas", "parquet"}, section="duplicate-accounts"),
)
def stg_account_daily(context: AssetExecutionContext, landing: LandingResource, lake: LakeResource) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    keys, days = run_days(context)
    store = lake.lake()
    yield from audit_landing_for(context, ACCOUNT_DAILY.asset, landing.zone(), store, days)
    frame = stage_account_daily(
        landing.zone().read("accounts", days), store.read("stg_experiment_assignments", keys), store.read("stg_fx_rates", keys)
    )
    frame["definition_version"] = DEFINITION_VERSION
    yield from publish_frame(context, store, ACCOUNT_DAILY, frame, keys, started, DEFINITION_VERSION,
                             audit_extra={"landing": landing.zone()})


@dg.asset(
    key=SUBSCRIPTION_EVENTS_USD.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(SUBSCRIPTION_EVENTS_USD.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetKey(["landing", "subscription_events"]), *_STAGED],
    description=(
        "Subscription events of each UTC day, deduplicated by event_id within the day (earliest event_ts kept; "
        "count in metadata duplicates_dropped), with licence_delta and MRR before/after/delta in USD at the "
        "day's rate, plus the account's experiment fields in effect that day (a churned account keeps the "
        "assignment it had at the start of the day). Fails when an event is dated outside its folder day or a "
        "rate is missing. Re-run: replaces the day."
    ),
    **pipeline_asset_args("growth_aggregate", kinds={"pandas", "parquet"}, section="duplicate-records"),
)
def stg_subscription_events_usd(
    context: AssetExecutionContext, landing: LandingResource, lake: LakeResource
) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    keys, days = run_days(context)
    store = lake.lake()
    yield from audit_landing_for(context, SUBSCRIPTION_EVENTS_USD.asset, landing.zone(), store, days)
    frame, stats = stage_events(
        landing.zone().read("subscription_events", days),
        store.read("stg_experiment_assignments", keys),
        store.read("stg_fx_rates", keys),
    )
    frame["definition_version"] = DEFINITION_VERSION
    yield from publish_frame(context, store, SUBSCRIPTION_EVENTS_USD, frame, keys, started, DEFINITION_VERSION, extra_metadata=stats,
                             audit_extra={"landing": landing.zone()})


ASSETS = [stg_account_daily, stg_subscription_events_usd]
