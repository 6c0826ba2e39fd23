"""Time to load the definitions in a fresh interpreter (target: under 1.5 s), and proof that
loading them starts no Spark JVM and imports no pyspark SparkContext.

Run: .venv/bin/python benchmarks/definitions_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CODE = """
import sys, time
t = time.perf_counter()
import pipeline_ops.definitions as d
d.defs.get_repository_def()
elapsed = time.perf_counter() - t
jvm = False
if "pyspark" in sys.modules:
    from pyspark import SparkContext
    jvm = SparkContext._active_spark_context is not None
print(f"{elapsed:.3f} {int('pyspark' in sys.modules)} {int(jvm)}")
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-c", "import pipeline_ops.definitions"], check=True)  # warm .pyc
    times, pyspark_imported, jvm_started = [], False, False
    for _ in range(args.repeat):
        wall = time.perf_counter()
        out = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", CODE],
                             check=True, capture_output=True, text=True).stdout.split()
        times.append(float(out[0]))
        pyspark_imported |= out[1] == "1"
        jvm_started |= out[2] == "1"
        process_wall = time.perf_counter() - wall
    print(f"definitions load (in-process, {args.repeat} runs): median {statistics.median(times):.3f} s, "
          f"min {min(times):.3f} s, max {max(times):.3f} s (target < 1.5 s)")
    print(f"whole interpreter incl. startup (last run): {process_wall:.3f} s")
    print(f"pyspark imported while loading: {pyspark_imported}; Spark JVM started: {jvm_started}")


if __name__ == "__main__":
    main()
