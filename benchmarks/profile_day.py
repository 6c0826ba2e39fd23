"""Where one day's time goes: per step, per Python package, and per Spark SQL execution.

Generates `--history-days` days plus the profiled day and the later delivery folders its late
click events need, builds the history as one single-run backfill (not profiled), then runs one
day of every daily asset in one in-process run under cProfile and prints:

1. per step: wall seconds (STEP_START .. STEP_SUCCESS in the run's event log) and rows written;
2. the Python side by package (cProfile self time): pipeline_ops, dagster, pandas, pyarrow,
   duckdb, pandera, pyspark, and the time spent blocked on the JVM (py4j socket reads = Spark
   working, seen from Python);
3. the Spark side (classic masters: the driver's UI REST API, `/sql`): SQL executions per step,
   their total duration, and the longest ones with their descriptions.

Run: .venv/bin/python benchmarks/profile_day.py --scale 1 [--history-days 8] [--top 12]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import pstats
import sys
import tempfile
import urllib.request
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipelines_bench import START, daily_assets, generate  # noqa: E402

PACKAGES = ("pipeline_ops", "dagster", "pandas", "pyarrow", "duckdb", "pandera", "numpy", "pyspark", "py4j",
            "sqlalchemy", "pydantic", "fsspec", "yaml")


def _materialize(assets, landing: str, lake: str, first: str, last: str, instance, spark):
    import dagster as dg

    from pipeline_ops.resources.lake import LakeResource, LandingResource

    resources = {"landing": LandingResource(url=landing), "lake": LakeResource(url=lake), "spark": spark}
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    result = dg.materialize(assets, resources=resources, instance=instance, tags=tags)
    assert result.success, "the run failed"
    return result


def step_windows(instance, run_id: str) -> dict[str, tuple[float, float]]:
    begun, out = {}, {}
    for entry in instance.all_logs(run_id):
        ev = entry.dagster_event
        if ev is None:
            continue
        if ev.event_type_value == "STEP_START":
            begun[ev.step_key] = entry.timestamp
        elif ev.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            out[ev.step_key] = (begun[ev.step_key], entry.timestamp)
    return out


def package_of(filename: str, name: str = "") -> str:
    """The package a profiled function belongs to, from its file path.

    Socket reads are the driver waiting for the JVM (py4j) or the Connect server (gRPC), so
    they are counted apart from the C code that really computes in this process."""
    if ("py4j" in filename or filename.endswith("socket.py") or "_socket" in name
            or "grpc" in filename or "select" in name or "acquire" in name):
        return "waiting on the JVM (py4j/gRPC sockets, locks)"
    for package in PACKAGES:
        if f"/{package}/" in filename:
            return package
    if filename.startswith("~") or "<" in filename:
        return "builtins (C code: parquet, hashing, json, ...)"
    return "other (stdlib, ...)"


def by_package(profile: cProfile.Profile) -> dict[str, float]:
    stats = pstats.Stats(profile)
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        totals[package_of(filename, name)] += tottime
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def top_pipeline_functions(profile: cProfile.Profile, n: int) -> list[tuple[str, float]]:
    """pipeline_ops functions by cumulative time (what our code spends, callees included)."""
    stats = pstats.Stats(profile)
    rows = [(f"pipeline_ops/{f.split('/pipeline_ops/', 1)[1]}:{line} {name}", ct)
            for (f, line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
            if "/pipeline_ops/" in f]
    return sorted(rows, key=lambda r: -r[1])[:n]


def spark_sql(session, windows: dict[str, tuple[float, float]]) -> list[dict]:
    """Every SQL execution of the session: step, seconds, description (classic masters with the UI on)."""
    sc = session.sparkContext
    url = f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}/sql?details=false&length=100000"
    with urllib.request.urlopen(url, timeout=30) as response:
        executions = json.load(response)
    out = []
    for ex in executions:
        when = dt.datetime.strptime(ex["submissionTime"].replace("GMT", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
        step = next((s for s, (a, b) in windows.items() if a <= when <= b), None)
        if step is not None:
            out.append({"step": step, "seconds": ex["duration"] / 1000, "what": ex["description"][:90]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--history-days", type=int, default=8)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--landing", help="an existing landing zone starting 2025-01-01 (default: generate one)")
    args = parser.parse_args()

    import dagster as dg

    from pipeline_ops.resources.spark import SparkResource, spark_resource

    env = spark_resource()
    spark = SparkResource(master=env.master, shuffle_partitions=env.shuffle_partitions,
                          driver_memory=env.driver_memory, ui_enabled=not env.is_connect)
    day = START + dt.timedelta(days=args.history_days)
    with tempfile.TemporaryDirectory() as tmp:
        landing, lake = args.landing or f"{tmp}/landing", f"{tmp}/lake"
        gen = 0.0 if args.landing else generate(landing, START, args.history_days + 3, args.scale)
        instance = dg.DagsterInstance.ephemeral()
        assets = daily_assets()
        _materialize(assets, landing, lake, START.isoformat(), (day - dt.timedelta(days=1)).isoformat(), instance, spark)
        profile = cProfile.Profile()
        profile.enable()
        result = _materialize(assets, landing, lake, day.isoformat(), day.isoformat(), instance, spark)
        profile.disable()
        windows = step_windows(instance, result.run_id)
        run_wall = max(b for _, b in windows.values()) - min(a for a, _ in windows.values())
        print(f"== one day ({day}) of every daily asset at scale {args.scale} (generate {gen:.1f} s; "
              f"history {args.history_days} days built first): steps span {run_wall:.2f} s")
        rows = {m.step_key: int(m.step_materialization_data.materialization.metadata["dagster/row_count"].value)
                for m in result.get_asset_materialization_events()}
        sql = [] if spark.is_connect else spark_sql(spark.spark_session, windows)
        per_step_sql: dict[str, list[float]] = defaultdict(list)
        for ex in sql:
            per_step_sql[ex["step"]].append(ex["seconds"])
        print(f"\n{'step':32} {'wall s':>8} {'rows':>10} {'spark sql':>10} {'sql s':>7}")
        for step, (a, b) in sorted(windows.items(), key=lambda kv: kv[1][0]):
            times = per_step_sql.get(step, [])
            print(f"{step:32} {b - a:8.2f} {rows.get(step, 0):10d} {len(times):10d} {sum(times):7.2f}")
        total = sum(by_package(profile).values())
        print(f"\nPython side, cProfile self time by package (total {total:.1f} s, profiler overhead included):")
        for package, seconds in by_package(profile).items():
            if seconds >= 0.05:
                print(f"  {package:48} {seconds:7.2f} s {100 * seconds / total:5.1f} %")
        print(f"\npipeline_ops functions by cumulative time (top {args.top}):")
        for name, seconds in top_pipeline_functions(profile, args.top):
            print(f"  {seconds:7.2f} s  {name}")
        if sql:
            print(f"\nlongest Spark SQL executions (of {len(sql)}):")
            for ex in sorted(sql, key=lambda e: -e["seconds"])[:args.top]:
                print(f"  {ex['seconds']:6.2f} s  {ex['step']:26} {ex['what']}")


if __name__ == "__main__":
    main()
