"""Quality checks of the shared staging assets (FX rates, experiment assignments).

Framework and severity policy: pipeline_ops/quality. Runbook sections: runbooks/profit_aggregate.md
(FX) and runbooks/growth_daily.md (assignments).
"""

from __future__ import annotations

import datetime as dt
import io

import polars as pl

from pipeline_ops.landing.contract import CURRENCIES
from pipeline_ops.quality.contracts import Range
from pipeline_ops.quality.generic import contract, lake_query
from pipeline_ops.quality.landing import LandingContext, landing_contract
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed
from pipeline_ops.quality.spec import AssetQuality
from pipeline_ops.staging.assignment_checks import QUALITY as ASSIGNMENT_QUALITY
from pipeline_ops.staging.schemas import EXPERIMENT_ASSIGNMENTS, FX_RATES

FX_SECTION = "fx-rate-missing-or-misaligned"


def _fx_complete(ctx: LandingContext, partition: str) -> Outcome:
    """Every contract currency has exactly one rate > 0 dated the folder day."""
    day = dt.date.fromisoformat(partition)
    files = ctx.zone.files("fx_rates", day, required=False)
    bound = {"currencies": list(CURRENCIES), "rate_date": partition, "usd_per_unit": "> 0"}
    if not files:
        return Outcome("error", f"no FX rates for {partition}: the fx_rates folder has not arrived", bound=bound,
                       failing_count=len(CURRENCIES))
    frames = []
    for path in files:
        with ctx.zone.fs.open(path, "rb") as fh:
            frames.append(pl.read_csv(io.BytesIO(fh.read()), infer_schema=False).with_columns(pl.lit(path).alias("_file")))
    rates = pl.concat(frames, how="diagonal_relaxed")
    value = rates["usd_per_unit"].cast(pl.Float64, strict=False)
    bad = rates.filter((pl.col("rate_date") != partition) | value.is_null() | (value <= 0))
    missing = sorted(set(CURRENCIES) - set(rates.filter(pl.col("rate_date") == partition)["currency"].to_list()))
    observed = {"rows": rates.height, "missing_currencies": missing, "misaligned_or_invalid_rows": bad.height}
    if missing or bad.height:
        parts = [f"no rate for {', '.join(missing)}"] if missing else []
        shifted = bad.filter(pl.col("rate_date") != partition)
        if shifted.height:
            parts.append(f"{shifted.height} row(s) misaligned: rate_date {sorted(set(shifted['rate_date'].to_list()))} "
                         f"in the folder of {partition}")
        for row in bad.filter(pl.col("rate_date") == partition).head(5).iter_rows(named=True):
            parts.append(f"{row['currency']} rate {row['usd_per_unit']} (must be > 0)")
        return Outcome("error", f"FX rates for {partition} in {files[0]}: " + "; ".join(parts), observed, bound,
                       failing_count=len(missing) + bad.height, sample=bad.head(20).to_dicts())
    return passed(f"{len(CURRENCIES)} currencies, each with one rate > 0 dated {partition}", observed=observed, bound=bound)


FX_COMPLETE = CheckDef(
    "fx_rates_complete", FX_RATES.asset, "completeness",
    "The day's FX file has a rate > 0 for every contract currency, each dated the folder day (a file shifted by "
    "a day, a missing currency or a zero rate would convert every amount of the day wrongly). ERROR: profit and "
    "growth stop before converting anything.",
    FX_SECTION, _fx_complete, failure_modes=("fx-rate-missing-or-misaligned",), phase="landing",
)


def _fx_jump(ctx, partition: str) -> Outcome:
    """Day-over-day move of each currency's rate: a corrupt or swapped rate moves far more than markets do."""
    prev = ctx.previous_partition(partition)
    rows = ctx.rows("SELECT currency, usd_per_unit FROM {t}", partition)
    before = {r["currency"]: r["usd_per_unit"] for r in ctx.lake_rows(
        f"SELECT currency, usd_per_unit FROM stg_fx_rates WHERE date = DATE '{prev}'")} if ctx.lake_has("stg_fx_rates") else {}
    t = ctx.thresholds
    moves = {r["currency"]: r["usd_per_unit"] / before[r["currency"]] - 1 for r in rows
             if before.get(r["currency"])}
    worst = max(moves.items(), key=lambda kv: abs(kv[1]), default=(None, 0.0))
    bound = {"previous_day": prev, "warn": f"|move| > {t.warn_pct:.0%}", "error": f"|move| > {t.error_pct:.0%}"}
    observed = {"moves": {k: round(v, 5) for k, v in moves.items()}}
    if not moves:
        return passed(f"no published rates for {prev} to compare with", observed=observed, bound=bound)
    level = "error" if abs(worst[1]) > t.error_pct else "warn" if abs(worst[1]) > t.warn_pct else "pass"
    summary = f"largest day-over-day FX move: {worst[0]} {worst[1]:+.2%} against {prev}"
    if level == "pass":
        return passed(summary, observed=observed, bound=bound)
    return Outcome(level, summary, observed, bound, failing_count=sum(abs(v) > t.warn_pct for v in moves.values()),
                   sql=lake_query(f"select * from stg_fx_rates where date in ('{prev}', '{partition}') order by currency, date"))


FX_JUMP = CheckDef(
    "fx_rate_jump", FX_RATES.asset, "drift",
    "Each currency's rate against the previous day's published rate: WARN beyond warn_pct (10 %), ERROR beyond "
    "error_pct (25 %); real daily moves of these currencies stay within a few percent.",
    FX_SECTION, _fx_jump, failure_modes=("fx-rate-missing-or-misaligned",),
)

QUALITY: list[AssetQuality] = [
    AssetQuality(
        FX_RATES.asset, "profit_aggregate", schema=FX_RATES,
        checks=(
            landing_contract("fx_rates", FX_RATES.asset, FX_SECTION),
            FX_COMPLETE,
            contract(FX_RATES, FX_SECTION, keys=("currency",), allowed={"currency": CURRENCIES},
                     ranges={"usd_per_unit": Range(ge=1e-9)}),
            FX_JUMP,
        ),
    ),
    *ASSIGNMENT_QUALITY,
]
