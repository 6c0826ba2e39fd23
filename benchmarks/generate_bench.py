"""Generator speed: one day with clicks at scale 1 and 10, and a year without clicks at scale 1.

    .venv/bin/python benchmarks/generate_bench.py [--skip-scale-10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time

from pipeline_ops.generate import generate_landing
from pipeline_ops.landing.contract import SOURCES

START = dt.date(2025, 1, 31)  # a month end: the billing spike is included


def run(label: str, days: int, scale: float, sources=None) -> None:
    root = tempfile.mkdtemp(prefix="pipeline_ops_genbench_")
    try:
        t0 = time.perf_counter()
        summary = generate_landing(root, START, days, scale=scale, seed=7, sources=sources)
        seconds = time.perf_counter() - t0
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rows = sum(summary.rows.values())
    print(f"{label:44} {seconds:8.2f} s {rows:>12,} rows {rows / seconds:>12,.0f} rows/s {len(summary.files):>6} files")
    for name, count in summary.rows.items():
        print(f"    {name:26} {count:>12,}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-scale-10", action="store_true")
    args = parser.parse_args()
    run("scale 1, 1 day, all sources", 1, 1.0)
    if not args.skip_scale_10:
        run("scale 10, 1 day, all sources", 1, 10.0)
    run("scale 1, 365 days, all but click_events", 365, 1.0, [s for s in SOURCES if s != "click_events"])


if __name__ == "__main__":
    main()
