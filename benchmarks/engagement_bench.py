"""Engagement at event scale: one day of the four Spark engagement assets, locally and on a cluster.

Per scale: generate one day of click events (plus experiment assignments, which
stg_user_activity_daily joins) with the generator, then materialize stg_experiment_assignments and
the four engagement assets for that day in a fresh process per engine (a SparkSession is per
process, and a fresh process gives honest peak memory). Prints per asset wall time, rows and rows/s;
for the four assets: total, events/s (click deliveries read / seconds), the session start apart;
peak resident memory of the driver's Python, of the driver JVM (which also runs the executors in
local mode) and of the executor JVMs (cluster); and what spilled (Spark UI REST API, per stage,
attributed to the asset whose step was running when the stage was submitted).

--cluster also runs every scale on a standalone master + worker on 127.0.0.1 (2 cores, executor
heap = the local driver heap) started by `pipeline_ops.resources.spark_cluster` (the same code the
cluster test uses) and prints cluster/local. The investor report is timed by pipelines_bench.py.

Run: .venv/bin/python benchmarks/engagement_bench.py --scales 1,10,50 [--cluster]
Targets: scale 50 completes without driver OOM; events/s at scale 10 >= 5x scale 1; cluster
within 1.5x of local (four assets' wall time).
"""

from __future__ import annotations

import argparse
import shutil
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

DAY = dt.date(2025, 1, 1)  # partitions_start: the day before needs no assignments snapshot
SOURCES = ["click_events", "experiment_assignments"]
FOUR = ["stg_click_events", "stg_sessions", "stg_user_activity_daily", "engagement_aggregate"]
EXECUTOR_MEMORY = "2g"  # = the resource's default driver memory: the same heap does the work in both engines
MB = 2**20


# ---------------------------------------------------------------- child: one run, in its own process

def _spill_by_step(session, windows: dict[str, tuple[float, float]]) -> dict:
    """Stages read and [memory bytes, disk bytes] spilled per step, from the driver's Spark UI REST API."""
    sc = session.sparkContext
    url = f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}/stages"
    with urllib.request.urlopen(url, timeout=30) as response:
        stages = json.load(response)
    out: dict[str, list[int]] = {}
    for stage in stages:
        when = stage.get("submissionTime", "1970-01-01T00:00:00.000GMT").replace("GMT", "+0000")
        submitted = dt.datetime.strptime(when, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
        step = next((s for s, (a, b) in windows.items() if a <= submitted <= b), "(outside steps)")
        spilled = out.setdefault(step, [0, 0])
        spilled[0] += int(stage.get("memoryBytesSpilled", 0))
        spilled[1] += int(stage.get("diskBytesSpilled", 0))
    return {"stages": len(stages), "by_step": out}


def child(landing: str, lake: str, day: str, out_path: str) -> None:
    """Materialize one day with the Spark resource from the environment and write figures as JSON."""
    import dagster as dg

    from pipeline_ops.engagement import ASSETS
    from pipeline_ops.resources.lake import LakeResource, LandingResource
    from pipeline_ops.resources.spark import SparkResource, spark_resource
    from pipeline_ops.staging.assets import stg_experiment_assignments

    env = spark_resource()  # PIPELINE_OPS_SPARK_* as in production; the UI only to read spill figures
    spark = SparkResource(master=env.master, shuffle_partitions=env.shuffle_partitions, driver_memory=env.driver_memory,
                          ui_enabled=True, extra_config={"spark.executor.memory": EXECUTOR_MEMORY})
    t0 = time.perf_counter()
    session = spark.spark_session
    session.range(1).count()  # JVM up (and, on a cluster, an executor registered)
    started = time.perf_counter() - t0
    instance = dg.DagsterInstance.ephemeral()
    resources = {"landing": LandingResource(url=landing), "lake": LakeResource(url=lake), "spark": spark}
    t0 = time.perf_counter()
    result = dg.materialize([stg_experiment_assignments, *ASSETS], partition_key=day, resources=resources,
                            instance=instance)
    wall = time.perf_counter() - t0
    windows, begun = {}, {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is not None and event.event_type_value == "STEP_START":
            begun[event.step_key] = entry.timestamp
        elif event is not None and event.event_type_value == "STEP_SUCCESS":
            windows[event.step_key] = (begun[event.step_key], entry.timestamp)
    meta = {m.step_key: m.step_materialization_data.materialization.metadata
            for m in result.get_asset_materialization_events()}
    sc = session.sparkContext
    figures = {
        "success": result.success, "master": sc.master, "session_start_s": started, "run_wall_s": wall,
        "steps": {k: {"seconds": b - a, "rows": int(meta[k]["dagster/row_count"].value)}
                  for k, (a, b) in windows.items()},
        "lines_read": int(meta["stg_click_events"]["lines_read"].value),
        "spill": _spill_by_step(session, windows),
        "executors": sc._jsc.sc().getExecutorMemoryStatus().size() - (0 if sc.master.startswith("local") else 1),
    }
    Path(out_path).write_text(json.dumps(figures))
    session.stop()


# ---------------------------------------------------------------- parent: generate, run, measure, print

class PeakTrees:
    """Peak RSS, sampled in a thread: a driver process (Python), its descendants (the driver JVM), and
    the descendants of the cluster daemons (executor JVMs)."""

    def __init__(self, driver_pid: int, daemon_pids: list[int], interval: float = 0.2):
        import psutil

        self._psutil, self.interval = psutil, interval
        self.driver, self.daemons = psutil.Process(driver_pid), [psutil.Process(p) for p in daemon_pids]
        self.peak_mb = {"driver_python": 0.0, "driver_jvm": 0.0, "executors": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self, procs) -> float:
        total = 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except self._psutil.Error:
                pass
        return total / MB

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sample = {"driver_python": self._rss([self.driver]),
                          "driver_jvm": self._rss(self.driver.children(recursive=True)),
                          "executors": self._rss([c for d in self.daemons for c in d.children(recursive=True)])}
            except self._psutil.Error:
                sample = {}
            for key, value in sample.items():
                self.peak_mb[key] = max(self.peak_mb[key], value)
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakTrees":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_engine(master: str, landing: str, lake: str, work: Path, daemon_pids: list[int]) -> dict:
    """One child run against `master`; figures plus peak memory, or {"error": ...}."""
    from pipeline_ops.resources.spark_cluster import loopback_env

    out, log = work / f"figures-{os.getpid()}-{time.monotonic_ns()}.json", work / "child.log"
    env = loopback_env(PIPELINE_OPS_SPARK_MASTER=master)
    with open(log, "w") as stderr:
        proc = subprocess.Popen([sys.executable, __file__, "--child", landing, lake, DAY.isoformat(), str(out)],
                                stdout=stderr, stderr=subprocess.STDOUT, env=env)
        with PeakTrees(proc.pid, daemon_pids) as peaks:
            rc = proc.wait()
    if rc != 0 or not out.exists():
        text = log.read_text(errors="replace")
        oom = "OutOfMemoryError" in text or "MemoryError" in text or rc == -9
        return {"error": f"exit {rc}{' (out of memory)' if oom else ''}", "oom": oom, "log_tail": text[-2500:]}
    return {**json.loads(out.read_text()), "peak_mb": peaks.peak_mb}


def _spill_text(spill: dict) -> str:
    spilled = {k: v for k, v in spill["by_step"].items() if v[0] or v[1]}
    if not spilled:
        return f"nothing spilled ({spill['stages']} stages)"
    return f"SPILLED ({spill['stages']} stages) " + "; ".join(f"{k}: memory {m / MB:,.0f} MB, disk {d / MB:,.0f} MB"
                                  for k, (m, d) in spilled.items())


def print_run(label: str, fig: dict) -> float | None:
    """Print one engine's figures; return events/s of the four assets (None on failure)."""
    if "error" in fig:
        print(f"-- {label}: FAILED, {fig['error']}\n{fig['log_tail']}")
        return None
    four = sum(fig["steps"][k]["seconds"] for k in FOUR)
    print(f"-- {label} (master {fig['master']}, {fig['executors']} executor(s)): session start "
          f"{fig['session_start_s']:.1f} s, run {fig['run_wall_s']:.1f} s")
    for step, s in fig["steps"].items():
        note = "" if step in FOUR else "   (pandas, not counted)"
        rate = s["rows"] / max(s["seconds"], 1e-9)
        print(f"  {step:26} {s['seconds']:8.2f} s {s['rows']:>12,} rows {rate:>12,.0f} rows/s{note}")
    events_s = fig["lines_read"] / four
    print(f"  {'four engagement assets':26} {four:8.2f} s {fig['lines_read']:>12,} events read "
          f"{events_s:>10,.0f} events/s "
          f"({fig['lines_read'] / (four + fig['session_start_s']):,.0f} with session start)")
    peak = fig["peak_mb"]
    executors = f"{peak['executors']:,.0f} MB" if peak["executors"] else "n/a (local: in the driver JVM)"
    print(f"  peak RSS: driver Python {peak['driver_python']:,.0f} MB, driver JVM {peak['driver_jvm']:,.0f} MB, "
          f"executor JVMs {executors}; {_spill_text(fig['spill'])}")
    return events_s


def bench_scale(scale: float, cluster, tmp: Path) -> dict[str, dict]:
    from pipeline_ops.generate import generate_landing

    landing = tmp / f"landing-{scale:g}"
    t0 = time.perf_counter()
    summary = generate_landing(str(landing), DAY, 1, scale=scale, seed=7, sources=SOURCES)
    size = sum(f.stat().st_size for f in landing.rglob("*") if f.is_file())
    print(f"\n== scale {scale:g}: generated {summary.rows['click_events']:,} click deliveries "
          f"({size / MB:,.0f} MB) in {time.perf_counter() - t0:.1f} s; day {DAY}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    engines = {"local": os.environ.get("PIPELINE_OPS_SPARK_MASTER") or "local[*]"}
    if cluster is not None:
        engines["cluster"] = cluster.master_url
    figures = {}
    for name, master in engines.items():
        pids = cluster.pids() if name == "cluster" else []
        figures[name] = run_engine(master, str(landing), str(tmp / f"lake-{scale:g}-{name}"), tmp, pids)
        figures[name]["events_s"] = print_run(name, figures[name])
        sys.stdout.flush()
    if "cluster" in figures and figures["local"].get("events_s") and figures["cluster"].get("events_s"):
        ratio = figures["local"]["events_s"] / figures["cluster"]["events_s"]
        print(f"  cluster/local (four assets' wall time): {ratio:.2f}x")
    shutil.rmtree(landing, ignore_errors=True)
    for name in engines:
        shutil.rmtree(tmp / f"lake-{scale:g}-{name}", ignore_errors=True)
    return figures


def print_targets(results: dict[float, dict[str, dict]]) -> None:
    print("\n== targets")
    if 50 in results:
        fig = results[50]["local"]
        ok = "error" not in fig
        print(f"scale 50 completes without driver OOM: {'PASS' if ok else 'FAIL (' + fig['error'] + ')'}")
    else:
        print("scale 50 completes without driver OOM: not run")
    one, ten = (results.get(s, {}).get("local", {}).get("events_s") for s in (1, 10))
    if one and ten:
        print(f"events/s at scale 10 >= 5x scale 1: {ten / one:.2f}x -> {'PASS' if ten >= 5 * one else 'FAIL'}")
    else:
        print("events/s at scale 10 >= 5x scale 1: not run")
    for scale, figs in results.items():
        if "cluster" in figs:
            local, on_cluster = figs["local"].get("events_s"), figs["cluster"].get("events_s")
            if local and on_cluster:
                ratio = local / on_cluster
                verdict = "PASS" if ratio <= 1.5 else "FAIL"
                print(f"cluster within 1.5x of local at scale {scale:g}: {ratio:.2f}x -> {verdict}")
            else:
                print(f"cluster within 1.5x of local at scale {scale:g}: a run failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,10,50")
    parser.add_argument("--cluster", action="store_true", help="also run on a standalone master + worker on 127.0.0.1")
    parser.add_argument("--child", nargs=4, metavar=("LANDING", "LAKE", "DAY", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    from pipeline_ops.resources.spark_cluster import standalone_cluster

    results = {}
    with tempfile.TemporaryDirectory(prefix="engagement_bench_") as tmp, ExitStack() as stack:
        cluster = None
        if args.cluster:
            t0 = time.perf_counter()
            cores = os.cpu_count() or 2
            cluster = stack.enter_context(standalone_cluster(Path(tmp) / "cluster", cores=cores, memory="3g"))
            print(f"standalone master + worker ({os.cpu_count()} cores, 3g) up in {time.perf_counter() - t0:.1f} s: "
                  f"{cluster.master_url}")
        for scale in args.scales.split(","):
            results[float(scale)] = bench_scale(float(scale), cluster, Path(tmp))
    print_targets(results)


if __name__ == "__main__":
    main()
