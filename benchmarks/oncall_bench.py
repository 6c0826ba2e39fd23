"""On-call engine timings: load the config, answer `who` (target < 50 us per call after loading),
build and lint a 52-week schedule (target < 1 s).

Run: .venv/bin/python benchmarks/oncall_bench.py [--config PATH] [--calls 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from pipeline_ops.config.loader import load_config
from pipeline_ops.oncall.engine import OnCallEngine
from pipeline_ops.oncall.escalation import pipeline_oncall
from pipeline_ops.oncall.lint import lint
from pipeline_ops.oncall.schedule import rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", help="default: the packaged default config (plan 002)")
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()

    t0 = time.perf_counter()
    cfg = load_config(args.config)
    engine = OnCallEngine(cfg)
    load_s = time.perf_counter() - t0
    print(f"load config + build engine: {load_s * 1000:.1f} ms")

    first = min(layer.start for layer in engine.layers)
    rng = random.Random(7)
    instants = [first + dt.timedelta(seconds=rng.randrange(0, 365 * 86400)) for _ in range(args.calls)]
    t0 = time.perf_counter()
    for t in instants[:2000]:
        engine.who(t)  # cold: first touch of each week's boundaries and holidays
    cold = (time.perf_counter() - t0) / 2000
    t0 = time.perf_counter()
    for t in instants:
        engine.who(t)
    warm = (time.perf_counter() - t0) / len(instants)
    print(f"who (team primary/backup): {cold * 1e6:.1f} us first touch, {warm * 1e6:.1f} us per call "
          f"after loading (target < 50 us) {'OK' if warm < 50e-6 else 'SLOW'}")
    key = cfg.pipelines[1].key
    t0 = time.perf_counter()
    for t in instants[:5000]:
        pipeline_oncall(engine, key, t)
    per = (time.perf_counter() - t0) / 5000
    print(f"who --pipeline {key} (+ IC, lead, route, watch): {per * 1e6:.1f} us per call")

    fresh = OnCallEngine(cfg)  # no warm caches
    start = first.astimezone(fresh.tz).date()
    t0 = time.perf_counter()
    table = rows(fresh, start, 52)
    problems = lint(fresh, first, 52)
    total = time.perf_counter() - t0
    print(f"52-week schedule ({len(table)} rows) + lint ({len(problems)} findings): {total * 1000:.1f} ms "
          f"(target < 1000 ms) {'OK' if total < 1 else 'SLOW'}")


if __name__ == "__main__":
    main()
