"""Run every benchmark script in this folder and print their figures."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# About 75 minutes on a 2-core machine (the DuckDB race adds about 25). A month at scale 10 (60 million click events) would add
# about 40 minutes, so scale 10 backfills 3 days.
SCRIPTS = [["definitions_bench.py"], ["generate_bench.py"], ["oncall_bench.py"], ["season_solver_bench.py"],
           ["pipelines_bench.py", "--scales", "1", "--backfill-days", "31", "--year"],
           ["pipelines_bench.py", "--scales", "10", "--backfill-days", "3"],
           ["engagement_bench.py", "--scales", "1,10,50", "--cluster"],
           ["duckdb_baseline.py", "--scales", "1", "--days", "30", "--connect"],
           ["profile_day.py", "--scale", "1"]]

for script, *args in SCRIPTS:
    if (HERE / script).exists():
        print(f"\n#### {script} {' '.join(args)}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *args], check=True)
