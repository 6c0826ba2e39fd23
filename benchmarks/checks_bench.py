"""Asset checks: false alarms on clean history, and the time the checks add to the pipelines.

Precision: generates `--days` clean days (default 90 at scale 1), materializes every daily asset
over them as one single-run backfill in shadow mode (PIPELINE_OPS_QUALITY_ENFORCE=0: every result
recorded, nothing blocks, so one false ERROR cannot hide the rest) and prints the non-passing
results per check and severity, and the worst 30-day window of WARNs.
Target: no ERROR, at most one WARN per 30 days.

Overhead: for one day at each of `--scales` (default 1,10), the seconds spent auditing (landing
contracts, profiles, checks, profile writes) per step and in total, as a share of the steps' own
compute (step time minus audit time), measured in the same run. Target: under 25 %.

Run: .venv/bin/python benchmarks/checks_bench.py --days 90 --scale 1 --scales 1,10
     (--no-spark: profit and growth only)
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipelines_bench import START, daily_assets, generate, step_figures  # noqa: E402

AUDIT_SECONDS: dict[str, float] = collections.defaultdict(float)


def _timed(gen_fn):
    """Wrap an audit generator: add the time spent inside it to AUDIT_SECONDS[asset]."""
    def wrapper(context, *args, **kwargs):
        key = context.asset_key.to_user_string()
        gen = gen_fn(context, *args, **kwargs)
        while True:
            t = time.perf_counter()
            try:
                item = next(gen)
            except StopIteration as stop:
                return stop.value
            finally:
                AUDIT_SECONDS[key] += time.perf_counter() - t
            yield item
    return wrapper


def instrument() -> None:
    from pipeline_ops.quality import landing, wap

    wap.audit_staged = _timed(wap.audit_staged)
    landing.audit_landing = _timed(landing.audit_landing)


def run(assets, landing: str, lake: str, first: str, last: str):
    import dagster as dg

    from pipeline_ops.resources.lake import LakeResource, LandingResource
    from pipeline_ops.resources.spark import spark_resource

    resources = {"landing": LandingResource(url=landing), "lake": LakeResource(url=lake), "spark": spark_resource()}
    instance = dg.DagsterInstance.ephemeral()
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    result = dg.materialize(assets, resources=resources, instance=instance, tags=tags, raise_on_error=False)
    return result, instance


def select(spark: bool):
    assets = daily_assets()
    return assets if spark else [a for a in assets if "engagement" not in a.group_names_by_key.values()]


def precision(days: int, scale: float, spark: bool) -> None:
    os.environ["PIPELINE_OPS_QUALITY_ENFORCE"] = "0"
    with tempfile.TemporaryDirectory() as tmp:
        landing, lake = f"{tmp}/landing", f"{tmp}/lake"
        print(f"generate {days} days at scale {scale}: {generate(landing, START, days, scale):.1f} s", flush=True)
        last = START + dt.timedelta(days=days - 1)
        t = time.perf_counter()
        result, _ = run(select(spark), landing, lake, START.isoformat(), last.isoformat())
        print(f"backfill {START}..{last}: {time.perf_counter() - t:.1f} s, success={result.success}")
        evaluations = result.get_asset_check_evaluations()
        bad = [e for e in evaluations if not e.passed]
        print(f"{len(evaluations)} check results, {len(bad)} not passing")
        counts = collections.Counter((e.asset_key.to_user_string(), e.check_name, e.severity.value) for e in bad)
        for (asset, check, severity), n in sorted(counts.items()):
            print(f"  {severity:5} {asset}.{check}: {n}")
        for e in sorted(bad, key=lambda e: e.partition or ""):
            print(f"    {e.partition} {e.severity.value} {e.asset_key.to_user_string()}.{e.check_name}: {(e.description or '')[:140]}")
        warns = sorted(dt.date.fromisoformat(e.partition) for e in bad if e.severity.value == "WARN")
        worst = max((sum(1 for w in warns if d <= w < d + dt.timedelta(days=30)) for d in warns), default=0)
        errors = sum(1 for e in bad if e.severity.value == "ERROR")
        print(f"ERROR results: {errors} (target 0); most WARNs in any 30 days: {worst} (target <= 1)")


def overhead(scales: list[float], spark: bool) -> None:
    instrument()
    for scale in scales:
        AUDIT_SECONDS.clear()
        with tempfile.TemporaryDirectory() as tmp:
            landing, lake = f"{tmp}/landing", f"{tmp}/lake"
            generate(landing, START, 3, scale)  # day 1 plus the folders its late click events land in
            result, instance = run(select(spark), landing, lake, START.isoformat(), START.isoformat())
            assert result.success, "overhead run failed"
            steps = step_figures(result, instance)
        total = sum(s for _, s, _ in steps)
        audit = sum(AUDIT_SECONDS.values())
        print(f"\nscale {scale}: one day, {len(steps)} steps, {total:.2f} s in steps, of which checks {audit:.2f} s: "
              f"checks / asset compute = {audit / max(total - audit, 1e-9):.1%} (target < 25 %)")
        for step, seconds, rows in steps:
            a = AUDIT_SECONDS.get(step, 0.0)
            print(f"  {step:28} {seconds:7.2f} s  checks {a:6.2f} s  ({a / max(seconds - a, 1e-9):6.1%})  rows {rows:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--skip-precision", action="store_true")
    parser.add_argument("--skip-overhead", action="store_true")
    args = parser.parse_args()
    if not args.skip_overhead:
        overhead([float(s) for s in args.scales.split(",")], not args.no_spark)
    if not args.skip_precision:
        precision(args.days, args.scale, not args.no_spark)


if __name__ == "__main__":
    main()
