"""Shared staging assets: the day's FX rates and the day's experiment assignments.

Both read the landing zone only, keep one row per key, and fail closed: a missing landing folder
raises the reader's `LandingError` naming it, a broken rule raises `DataContractError`, and the
lake is left as it was (publish_frame runs last). Re-running a day replaces that day whole.
"""

from collections.abc import Iterator

import datetime as dt

import dagster as dg

from pipeline_ops.quality.dagster_checks import check_specs
from dagster import AssetExecutionContext
import pandas as pd

from pipeline_ops.asset_meta import pipeline_asset_args
from pipeline_ops.config import current_config
from pipeline_ops.lake.publish import now_utc, publish_frame
from pipeline_ops.quality.wap import audit_landing_for
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops.partitions import daily_partitions
from pipeline_ops.staging.common import run_days
from pipeline_ops.staging.schemas import DEFINITION_VERSION, EXPERIMENT_ASSIGNMENTS, FX_RATES
from pipeline_ops.staging.transform import stage_assignments, stage_fx


def landing(source: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", source])


@dg.asset(
    key=FX_RATES.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(FX_RATES.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[landing("fx_rates")],
    description=(
        "Validated daily FX reference rates (USD per unit of each currency, USD = 1.0), one row per day and "
        "currency; every USD figure in profit and growth is converted with the rate of its own UTC day. Fails "
        "closed, naming day, currency and file, when the landing folder is missing, a contract currency is "
        "missing, a rate is <= 0, rate_date differs from the folder day (misaligned by a day) or a "
        "(rate_date, currency) repeats. A rate is never defaulted or carried forward. Re-run: replaces the day."
    ),
    **pipeline_asset_args("profit_aggregate", kinds={"pandas", "parquet"}, section="fx-rate-missing-or-misaligned"),
)
def stg_fx_rates(context: AssetExecutionContext, landing: LandingResource, lake: LakeResource) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    keys, days = run_days(context)
    yield from audit_landing_for(context, FX_RATES.asset, landing.zone(), lake.lake(), days)
    rates = stage_fx(landing.zone().read("fx_rates", days), days)
    rates["definition_version"] = DEFINITION_VERSION
    yield from publish_frame(context, lake.lake(), FX_RATES, rates, keys, started, DEFINITION_VERSION)


@dg.asset(
    key=EXPERIMENT_ASSIGNMENTS.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(EXPERIMENT_ASSIGNMENTS.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetDep(landing("experiment_assignments"),
                      partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1))],
    description=(
        "Experiment assignments in effect on each UTC day: the end-of-day snapshot deduplicated on "
        "(experiment_id, unit_type, unit_id), plus units that were in the previous day's snapshot and left "
        "during the day (e.g. churned accounts; in_snapshot = false) so their last day stays in the experiment "
        "and out of investor numbers when exclude_from_investor. Fails closed when the snapshot (or the "
        "previous day's, unless the day is the first of the landing zone or of processing.partitions_start) is missing, a unit has conflicting arms in one experiment, or a unit is in more than "
        "one experiment of the same unit_type on a day (joins on the unit would fan out). Re-run: replaces the day."
    ),
    **pipeline_asset_args("growth_daily", kinds={"pandas", "parquet"}, section="experiment-assignment-mismatch"),
)
def stg_experiment_assignments(
    context: AssetExecutionContext, landing: LandingResource, lake: LakeResource
) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    keys, days = run_days(context)
    zone = landing.zone()
    yield from audit_landing_for(context, EXPERIMENT_ASSIGNMENTS.asset, zone, lake.lake(), days)
    before = days[0] - dt.timedelta(days=1)
    # D needs D-1's snapshot (units that left during D keep D-1's arm), except where history starts: before
    # partitions_start, or the landing zone's first day (then units that left during D are not known).
    first = zone.first_day("experiment_assignments")
    required = before >= current_config().processing.partitions_start and (first is None or before >= first)
    previous = zone.read("experiment_assignments", [before], required=required)
    frame, stats = stage_assignments(pd.concat([previous, zone.read("experiment_assignments", days)], ignore_index=True), days)
    frame["definition_version"] = DEFINITION_VERSION
    yield from publish_frame(context, lake.lake(), EXPERIMENT_ASSIGNMENTS, frame, keys, started, DEFINITION_VERSION,
                         extra_metadata=stats)


ASSETS = [stg_fx_rates, stg_experiment_assignments]
