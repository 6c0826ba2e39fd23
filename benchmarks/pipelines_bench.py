"""Foundation benchmarks: generation, one day of every daily asset, backfills.

Prints, per scale: time to generate one day, per-asset seconds and rows/s for one day (all daily
assets in one in-process run, Spark included), peak memory (Python driver and the whole process
tree with the Spark JVM), and the wall time of a backfill over N days as one run per asset.
With --year: 365 days of profit and growth (no click events) at scale 1 as one backfill run.

Run: .venv/bin/python benchmarks/pipelines_bench.py --scales 1,10 --backfill-days 30 --year
Targets: one day of every daily asset at scale 1 < 20 s end to end; 365 days of profit and
growth at scale 1 < 5 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from memory import PeakMemory  # noqa: E402

START = dt.date(2025, 1, 1)


def generate(landing: str, start: dt.date, days: int, scale: float, sources: str | None = None) -> float:
    from pipeline_ops.cli.main import main

    args = ["generate", "--landing", landing, "--start", start.isoformat(), "--days", str(days), "--scale", str(scale)]
    if sources:
        args += ["--sources", sources]
    t = time.perf_counter()
    assert main(args) == 0
    return time.perf_counter() - t


def materialize(assets, landing: str, lake: str, first: str, last: str):
    import dagster as dg

    from pipeline_ops.resources.lake import LakeResource, LandingResource
    from pipeline_ops.resources.spark import spark_resource

    resources = {"landing": LandingResource(url=landing), "lake": LakeResource(url=lake), "spark": spark_resource()}
    instance = dg.DagsterInstance.ephemeral()
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    t = time.perf_counter()
    result = dg.materialize(assets, resources=resources, instance=instance, tags=tags)
    wall = time.perf_counter() - t
    assert result.success
    return result, instance, wall


def step_figures(result, instance) -> list[tuple[str, float, int]]:
    """(asset, seconds, rows) per step from the run's event log."""
    starts, out = {}, []
    rows = {}
    for mat in result.get_asset_materialization_events():
        m = mat.step_materialization_data.materialization
        rows[mat.step_key] = rows.get(mat.step_key, 0) + int(m.metadata["dagster/row_count"].value)
    for entry in instance.all_logs(result.run_id):
        ev = entry.dagster_event
        if ev is None:
            continue
        if ev.event_type_value == "STEP_START":
            starts[ev.step_key] = entry.timestamp
        elif ev.event_type_value == "STEP_SUCCESS":
            out.append((ev.step_key, entry.timestamp - starts[ev.step_key], rows.get(ev.step_key, 0)))
    return out


def daily_assets():
    """Every executable asset on daily partitions (landing specs and the monthly report left out)."""
    import dagster as dg

    from pipeline_ops.definitions import defs

    return [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)
            and isinstance(a.partitions_def, dg.DailyPartitionsDefinition)]


def report_asset():
    from pipeline_ops.reporting.assets import investor_monthly_report

    return investor_monthly_report


def bench_scale(scale: float, backfill_days: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        landing, lake = f"{tmp}/landing", f"{tmp}/lake"
        one_day = generate(f"{tmp}/one", START, 1, scale)
        gen_all = generate(landing, START, backfill_days + 2, scale)
        print(f"\n== scale {scale}: generate one day {one_day:.2f} s; {backfill_days + 2} days {gen_all:.1f} s")
        day = (START + dt.timedelta(days=min(7, backfill_days))).isoformat()  # inside the generated days
        with PeakMemory() as mem:
            result, instance, wall = materialize(daily_assets(), landing, lake, day, day)
        print(f"one day ({day}) of every daily asset, one in-process run: {wall:.2f} s wall "
              f"(peak RSS driver {mem.driver_mb:.0f} MB, with Spark JVM {mem.tree_mb:.0f} MB)")
        for step, seconds, rows in step_figures(result, instance):
            print(f"  {step:32} {seconds:7.2f} s {rows:10d} rows {rows / max(seconds, 1e-9):12.0f} rows/s")
        last = (START + dt.timedelta(days=backfill_days - 1)).isoformat()
        with PeakMemory() as mem:
            _, _, wall = materialize(daily_assets(), landing, f"{tmp}/lake2", START.isoformat(), last)
        print(f"{backfill_days}-day backfill of every daily asset (single run): {wall:.1f} s wall "
              f"(peak RSS with JVM {mem.tree_mb:.0f} MB)")
        if backfill_days >= 31:  # January is complete: build its investor report (Spark join)
            with PeakMemory() as mem:
                result, instance, wall = materialize([report_asset()], landing, f"{tmp}/lake2", "2025-01", "2025-01")
            print(f"investor_monthly_report 2025-01 (one run, Spark session already up): {wall:.1f} s wall "
                  f"(peak RSS with JVM {mem.tree_mb:.0f} MB)")


def bench_year() -> None:
    from pipeline_ops import growth, profit, staging

    with tempfile.TemporaryDirectory() as tmp:
        landing = f"{tmp}/landing"
        gen = generate(landing, START, 365, 1, sources="accounts,subscription_events,revenue,fx_rates,expenses,salaries,experiment_assignments")
        assets = [*staging.ASSETS, *profit.ASSETS, *growth.ASSETS]
        last = (START + dt.timedelta(days=364)).isoformat()
        with PeakMemory() as mem:
            _, _, wall = materialize(assets, landing, f"{tmp}/lake", START.isoformat(), last)
        print(f"\n== 365 days of profit and growth at scale 1: generate {gen:.1f} s; backfill {wall:.1f} s "
              f"(target < 300 s; peak RSS {mem.driver_mb:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--backfill-days", type=int, default=31)
    parser.add_argument("--year", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("PIPELINE_OPS_SPARK_MASTER", "local[*]")
    for scale in args.scales.split(","):
        bench_scale(float(scale), args.backfill_days)
    if args.year:
        bench_year()


if __name__ == "__main__":
    main()
