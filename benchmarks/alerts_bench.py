"""One alert-sensor tick with N new check evaluations in the instance (target: under 1 s for 10,000).

Writes `--events` runless check evaluations (a realistic mix: `--fail-share` failing, spread over
every check key of the definitions, one daily partition each) into a temporary SQLite instance, then
times, in the same run: reading them (observe.check_signals over every check key), folding them
into incidents, planning and enqueuing (service.tick with the local channel), and a second tick
with nothing new (the steady state). Prints seconds and events per second.

Run: .venv/bin/python benchmarks/alerts_bench.py [--events 10000] [--home DIR]
(`--home`: keep the instance in DIR and, when DIR already holds the events, reuse them: writing
10,000 evaluations takes about two minutes, the tick a second.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--fail-share", type=float, default=0.05)
    parser.add_argument("--home", help="instance folder to keep and reuse")
    args = parser.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="alerts_bench_")
    os.makedirs(home, exist_ok=True)
    marker = os.path.join(home, f"bench-{args.events}-{args.fail_share}")
    for stale in ("alerts.db", "alerts.db-wal", "alerts.db-shm", "alerts.jsonl"):  # a fresh alert state
        if os.path.exists(os.path.join(home, stale)):
            os.remove(os.path.join(home, stale))
    os.environ["DAGSTER_HOME"] = home
    import dagster as dg

    from pipeline_ops.alerting import db
    from pipeline_ops.alerting.channels import LocalChannel
    from pipeline_ops.alerting.lineage import from_asset_graph
    from pipeline_ops.alerting.observe import Cursor, check_signals, failing_checks
    from pipeline_ops.alerting.service import AlertService
    from pipeline_ops.config import current_config
    from pipeline_ops.definitions import defs
    from pipeline_ops.oncall.load import engine_for

    graph = defs.resolve_asset_graph()
    keys = sorted(graph.asset_check_keys, key=str)
    instance = dg.DagsterInstance.local_temp(home)
    rng = random.Random(1)
    # Dagster keeps one runless evaluation per check and partition: every event gets its own pair.
    days = [(dt.date(2025, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(args.events // len(keys) + 1)]
    cursor = Cursor()
    check_signals(instance, keys, cursor)  # the sensor's first tick: nothing yet
    if os.path.exists(marker):
        cursor = Cursor()  # reuse: read every stored evaluation as new
    t = time.perf_counter()
    for i in range(0 if os.path.exists(marker) else args.events):
        key = keys[i % len(keys)]
        passed = rng.random() >= args.fail_share
        instance.report_runless_asset_event(dg.AssetCheckEvaluation(
            asset_key=key.asset_key, check_name=key.name, passed=passed, partition=days[i // len(keys)],
            metadata={"summary": "bench", "observed": dg.MetadataValue.json({"rows": 1})}))
    written = time.perf_counter() - t
    open(marker, "w").close()
    service = AlertService(db.connect(f"sqlite:///{home}/alerts.db"), engine_for(), from_asset_graph(graph),
                           current_config().alerting, {"local": LocalChannel("local", f"{home}/alerts.jsonl")})
    t0 = time.perf_counter()
    signals = check_signals(instance, keys, cursor)
    t1 = time.perf_counter()
    report = service.tick(signals)
    t2 = time.perf_counter()
    idle_signals = check_signals(instance, keys, cursor, failing_checks(service.store.open_incidents()))
    service.tick(idle_signals)
    t3 = time.perf_counter()
    print(f"{args.events:,} check evaluations written in {written:.1f} s over {len(keys)} check keys")
    print(f"tick with {args.events:,} new evaluations ({len(signals):,} failing): read {t1 - t0:.3f} s + "
          f"incidents/plan/enqueue/deliver {t2 - t1:.3f} s = {t2 - t0:.3f} s (target < 1 s); "
          f"{args.events / (t2 - t0):,.0f} evaluations/s")
    print(f"  {report}")
    print(f"next tick (nothing new; delivers what the first left waiting): {t3 - t2:.3f} s")


if __name__ == "__main__":
    main()
