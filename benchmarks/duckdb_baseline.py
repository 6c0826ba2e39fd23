"""The race: the pipelines against one hand-written DuckDB SQL script per output family.

The baseline (benchmarks/baseline/: profit_growth.py, engagement.py) computes the same outputs
straight from the landing files with SQL of its own, none of the pipelines' code. Per scale, on
the same generated landing zone and in this one process:

| pair                       | pipelines (Dagster, in-process run)                        | baseline          |
|----------------------------|------------------------------------------------------------|-------------------|
| profit + growth, one day   | staging + profit + growth assets for day D, checks included | compute(D, D)     |
| engagement, one day        | stg_experiment_assignments + the four engagement assets     | compute(D, D)     |
| profit + growth, N days    | the same assets as one single-run backfill of N days        | compute(D1, DN)   |
| engagement, N days         | the same, N days                                            | compute(D1, DN)   |

Each pair prints the medians of `--repeats` runs (at least 3 for the one-day pairs), the ratio
pipelines / baseline, whether the two agree (the baseline's `compare` against the lake the
pipelines wrote: every shared column, money to the cent), and the peak RSS of this process (the
driver) and of its children (a local Spark JVM). The lake's history (the days before D: revenue
look-back, 28 days of activity, D-1 assignments) is built first and not timed.

Spark: `local[*]` in this process by default (the JVM starts once, before the first timed run:
its start is printed apart). `--connect` starts a Spark Connect server on 127.0.0.1 first (as
`make run` does) and runs every pipeline through it: the warm-session figures.

Run: .venv/bin/python benchmarks/duckdb_baseline.py --scales 1,10 [--days 30] [--repeats 3] [--connect]
Targets (issue 11): profit + growth one day at scale 10 <= 2x; profit + growth 30 days at scale 1
<= 2x; engagement one day at scale 1 <= 3x and at scale 10 <= 2x with a warm session.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from memory import PeakMemory  # noqa: E402
from pipelines_bench import START, generate  # noqa: E402



def families():
    from baseline import engagement, profit_growth

    from pipeline_ops import growth, profit, staging
    from pipeline_ops.engagement import ASSETS as ENGAGEMENT
    from pipeline_ops.staging.assets import stg_experiment_assignments

    return {"profit + growth": ([*staging.ASSETS, *profit.ASSETS, *growth.ASSETS], profit_growth),
            "engagement": ([stg_experiment_assignments, *ENGAGEMENT], engagement)}


def materialize(assets, landing: str, lake: str, first: dt.date, last: dt.date, spark) -> float:
    import dagster as dg

    from pipeline_ops.resources.lake import LakeResource, LandingResource

    resources = {"landing": LandingResource(url=landing), "lake": LakeResource(url=lake), "spark": spark}
    tags = {"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()}
    t = time.perf_counter()
    result = dg.materialize(assets, resources=resources, instance=dg.DagsterInstance.ephemeral(), tags=tags,
                            raise_on_error=False)
    wall = time.perf_counter() - t
    if not result.success:
        raise SystemExit(f"the pipelines failed for {first}..{last}")
    return wall


def race(name: str, assets, module, landing: str, lake: str, first: dt.date, last: dt.date, repeats: int, spark) -> dict:
    """Medians of `repeats` pipeline runs and baseline runs over first..last, agreement, peak memory."""
    pipeline, baseline = [], []
    with PeakMemory() as mem:
        for _ in range(repeats):
            pipeline.append(materialize(assets, landing, lake, first, last, spark))
    for _ in range(repeats):
        t = time.perf_counter()
        frames = module.compute(landing, first, last)
        baseline.append(time.perf_counter() - t)
    diffs = module.compare(lake, frames, first, last)
    p, b = statistics.median(pipeline), statistics.median(baseline)
    return {"pair": name, "pipelines_s": p, "baseline_s": b, "ratio": p / b, "agree": not diffs, "diffs": diffs[:5],
            "driver_mb": mem.driver_mb, "jvm_mb": mem.tree_mb - mem.driver_mb}


def bench_scale(scale: float, days: int, history: int, repeats: int, spark, only: set[str]) -> list[dict]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        landing, lake = f"{tmp}/landing", f"{tmp}/lake"
        first = START + dt.timedelta(days=history)
        last = first + dt.timedelta(days=days - 1)
        gen = generate(landing, START, history + days + 3, scale)  # + 3: the last day's late click folders
        print(f"\n== scale {scale:g}: generated {history + days + 3} days in {gen:.0f} s; "
              f"one day = {first}, backfill = {first}..{last}", flush=True)
        for name, (assets, module) in families().items():
            if only and name not in only:
                continue
            materialize(assets, landing, lake, START, first - dt.timedelta(days=1), spark)  # history, untimed
            out.append({"scale": scale, **race(f"{name}, one day", assets, module, landing, lake, first, first,
                                               max(3, repeats), spark)})
            out.append({"scale": scale, **race(f"{name}, {days} days", assets, module, landing, lake, first, last,
                                               repeats, spark)})
            for row in out[-2:]:
                print_row(row)
    return out


def print_row(r: dict) -> None:
    agree = "agree" if r["agree"] else "DIFFER: " + "; ".join(r["diffs"])
    print(f"  {r['pair']:28} pipelines {r['pipelines_s']:7.2f} s  baseline {r['baseline_s']:6.2f} s  "
          f"ratio {r['ratio']:5.1f}x  peak RSS driver {r['driver_mb']:5.0f} MB, JVM {r['jvm_mb']:5.0f} MB  {agree}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--days", type=int, default=30, help="days of the backfill pair (default 30)")
    parser.add_argument("--history-days", type=int, default=28,
                        help="untimed days before the first timed one (28: a full MAU window and revenue look-back)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per pair (one-day pairs: at least 3)")
    parser.add_argument("--connect", action="store_true", help="run the pipelines through a warm Spark Connect server")
    parser.add_argument("--only", default="", help="comma-separated families: 'profit + growth', 'engagement'")
    args = parser.parse_args()
    from pipeline_ops.resources.spark import SparkResource

    with ExitStack() as stack:
        if args.connect:
            from pipeline_ops.cli.spark import server_conf
            from pipeline_ops.resources.spark_cluster import connect_server

            master = "local[*]"
            t = time.perf_counter()
            url = stack.enter_context(connect_server(Path(stack.enter_context(tempfile.TemporaryDirectory())), master,
                                                     server_conf(master, "2g")))
            spark = SparkResource(master=url)
        else:
            t = time.perf_counter()
            spark = SparkResource(master=os.environ.get("PIPELINE_OPS_SPARK_MASTER", "local[*]"))
        session = spark.spark_session
        # The client session stops before the server does: a Connect client left open keeps a
        # gRPC thread waiting on a dead server and the process never exits.
        stack.callback(session.stop)
        session.range(1).count()
        print(f"Spark {spark.master}: session up in {time.perf_counter() - t:.1f} s (paid once, not in the pairs)")
        rows = [r for scale in args.scales.split(",")
                for r in bench_scale(float(scale), args.days, args.history_days, args.repeats, spark, set(filter(None, args.only.split(","))))]
    print("\n| scale | pair | pipelines | baseline | ratio | agree |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['scale']:g} | {r['pair']} | {r['pipelines_s']:.2f} s | {r['baseline_s']:.2f} s | "
              f"{r['ratio']:.1f}x | {'yes' if r['agree'] else 'no'} |")


if __name__ == "__main__":
    main()
