"""Holiday season solver timings: a 36-day season (Thanksgiving 2025 to New Year's Day 2026) for
4, 8 and 12 members, each with 5 preferred and 5 avoided days drawn at random (fixed seed) and,
with --pto, one member off for a week. Target: each solve < 10 s on the 2-core machine, well
inside the solver's time limit (PIPELINE_OPS_SEASON_SOLVER_SECONDS, default 20 s).

Run: .venv/bin/python benchmarks/season_solver_bench.py [--sizes 4,8,12] [--seeds 3] [--pto]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from pipeline_ops.oncall.season import SeasonProblem
from pipeline_ops.oncall.season_solver import _solve, time_limit

DAYS = [dt.date(2025, 11, 27) + dt.timedelta(days=i) for i in range(36)]


def problem(members: int, seed: int, pto: bool, min_len: int) -> SeasonProblem:
    rng = random.Random(seed * 1000 + members)
    names = [f"eng_{i:02d}" for i in range(members)]
    prefer, avoid = {}, {}
    for m in names:
        picked = rng.sample(DAYS, 10)
        prefer[m], avoid[m] = set(picked[:5]), set(picked[5:])
    off = set(DAYS[10:17]) if pto else set()
    return SeasonProblem.build(DAYS, names, prefer, avoid, lambda m, d: m == names[0] and d in off,
                               min_len=min_len, max_len=3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="4,8,12")
    parser.add_argument("--seeds", type=int, default=3, help="random preference sets per size")
    parser.add_argument("--pto", action="store_true", help="the first member is off for 7 days")
    parser.add_argument("--min-shift-days", type=int, default=1)
    args = parser.parse_args()
    limit = time_limit()
    print(f"season of {len(DAYS)} days, shifts {args.min_shift_days}-3 days, time limit {limit:g} s")
    import ortools.sat.python.cp_model  # noqa: F401 -- import once, outside the timings

    for size in (int(s) for s in args.sizes.split(",")):
        times = []
        for seed in range(args.seeds):
            p = problem(size, seed, args.pto, args.min_shift_days)
            t0 = time.perf_counter()
            result = _solve.__wrapped__(p, limit)
            times.append(time.perf_counter() - t0)
            s = result.score
            print(f"  {size:>2} members seed {seed}: {times[-1]:6.2f} s  {result.method:<8} "
                  f"proven={result.proven}  length={s.length} avoided={s.avoided} "
                  f"preferred={s.preferred} one_day={s.one_day} load={s.load}")
        print(f"{size:>2} members: max {max(times):.2f} s, mean {sum(times) / len(times):.2f} s "
              f"over {len(times)} preference sets")


if __name__ == "__main__":
    main()
