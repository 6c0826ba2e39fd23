"""The greedy season assignment, kept as the solver's fallback (time limit reached, no solver).

It keeps the hard rules exactly -- nobody on a day they are off; the fewest days outside the
shift-length bounds, then the fewest avoided days (an exact dynamic programme over (day, last
member, run length)) -- but fills the softer rules day by day: a preferred day goes to whoever
prefers it (below their fair share), else a holder with fewer than 2 days continues, else the
member with the lowest projected load (days so far + expected share of the later days they can
take); ties by member order. It does not count a season's last shift against min_shift_days.
The exact assignment is `season_solver.solve`; this one is only used when that cannot finish.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

INF = (10**9, 10**9)


def greedy_assign_days(
    days: list[dt.date],
    members: list[str],
    prefer: dict[str, set[dt.date]],
    avoid: dict[str, set[dt.date]],
    unavailable: Callable[[str, dt.date], bool] = lambda m, d: False,
    min_len: int = 1,
    max_len: int = 3,
) -> list[str | None]:
    """One member (or None) per day by the greedy rules of the module docstring (the fallback)."""
    n, cap_run = len(members), max_len + 1  # run states above max_len collapse (each day = 1 violation)
    avail = [[not unavailable(m, d) for m in members] for d in days]

    def step_cost(i: int, m: int, last: int, run: int) -> tuple[tuple[int, int], int] | None:
        """(violations, avoids) added by giving day i to member m after `last` held `run` days."""
        if not avail[i][m]:
            return None
        if m == last:
            new_run = min(run + 1, cap_run)
            over = 1 if run + 1 > max_len else 0
        else:
            new_run, over = 1, 1 if 0 <= last and run < min_len else 0
        return (over, 1 if days[i] in avoid.get(members[m], ()) else 0), new_run

    # best[i][(last, run)]: least (violations, avoids) for days i.. given the state before day i.
    states = [(-1, 0)] + [(m, r) for m in range(n) for r in range(1, cap_run + 1)]
    best: list[dict[tuple[int, int], tuple[int, int]]] = [{} for _ in range(len(days) + 1)]
    best[len(days)] = {s: (0, 0) for s in states}
    for i in range(len(days) - 1, -1, -1):
        for last, run in states:
            options = [
                _add(c, best[i + 1][(m, r)])
                for m in range(n)
                if (sc := step_cost(i, m, last, run)) is not None
                for c, r in [sc]
            ]
            # Nobody available: the day stays empty and the run restarts.
            best[i][(last, run)] = min(options) if options else best[i + 1][(-1, 0)]

    # Projected share of the days still to come: a member who avoids (or is off on) many later days
    # should take more of the early ones, so rank by load + expected future share.
    future = [[0.0] * n for _ in range(len(days) + 1)]
    for i in range(len(days) - 1, -1, -1):
        able = [avail[i][m] and days[i] not in avoid.get(members[m], ()) for m in range(n)]
        count = sum(able)
        future[i] = [future[i + 1][m] + (1 / count if able[m] and count else 0) for m in range(n)]
    out: list[str | None] = []
    load = [0] * n
    fair = math.ceil(len(days) / max(1, n))
    last, run = -1, 0
    for i, day in enumerate(days):
        target = best[i][(last, run)]
        fits = []
        for m in range(n):
            sc = step_cost(i, m, last, run)
            if sc is not None and _add(sc[0], best[i + 1][(m, sc[1])]) == target:
                fits.append(m)
        if not fits:
            out.append(None)
            last, run = -1, 0
            continue

        def rank(m: int) -> tuple:
            prefers = day in prefer.get(members[m], ())
            projected = round(load[m] + future[i + 1][m], 6)
            keep = m == last and run < 2  # a 1-day shift is allowed, but prefer 2-3 day ones
            return (load[m] >= fair, not prefers, not keep, projected, m)

        m = min(fits, key=rank)
        out.append(members[m])
        load[m] += 1
        run = min(run + 1, cap_run) if m == last else 1
        last = m
    return out


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return (a[0] + b[0], a[1] + b[1])
