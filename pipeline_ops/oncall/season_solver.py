"""Solve a holiday season exactly: one priority level at a time, each optimum kept as a constraint.

Why this is exact: stage i minimises level i's cost over the schedules that are optimal for
levels 1..i-1 (their optima were added as constraints), and CP-SAT proves each optimum
(status OPTIMAL). So the schedule left at the end is optimal for level 1, among those for
level 2, and so on -- the lexicographic optimum, with no weights to get wrong. The last stage,
member order, is itself lexicographic over days; it runs on blocks of days whose weights
k^(days to the block's end) strictly dominate (a day's weight exceeds the largest possible sum
of all later days' in the block), then fixes the block and moves on. Its optimum is unique, so
the result does not depend on the solver's search path; the search is also single-worker with a
fixed seed.

Time limit: `PIPELINE_OPS_SEASON_SOLVER_SECONDS` (default 20) of search for the whole season
(building the model comes on top, well under a second). If a stage
is not proven in time, the best schedule found so far is kept -- or the greedy one
(`season_greedy`) if that scores better -- and the result carries a warning (`proven=False`).
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from functools import lru_cache

from pipeline_ops.config.errors import ConfigError
from pipeline_ops.oncall.season import LEVELS, Score, SeasonProblem, score
from pipeline_ops.oncall.season_greedy import greedy_assign_days

log = logging.getLogger(__name__)
TIME_LIMIT_ENV = "PIPELINE_OPS_SEASON_SOLVER_SECONDS"
DEFAULT_TIME_LIMIT_S = 20.0
SEED = 0
MAX_WEIGHT_BITS = 40  # member-order weights stay below 2^40


@dataclass(frozen=True)
class SeasonResult:
    """A solved season: the holder per day (member index or None), its score and how it was found."""

    picks: tuple[int | None, ...]
    score: Score
    proven: bool  # every level and the member-order tie-break proven optimal
    method: str  # "cp-sat", "cp-sat (best found in the time limit)" or "greedy (fallback)"
    notes: tuple[str, ...] = ()
    seconds: float = 0.0


def time_limit() -> float:
    """The season solve budget in seconds, from the environment (a clear error if malformed)."""
    raw = os.environ.get(TIME_LIMIT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIME_LIMIT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or math.isinf(value):
        raise ConfigError("environment", [(TIME_LIMIT_ENV, f"expected a positive number of seconds, got {raw!r}")])
    return value


def solve(problem: SeasonProblem, limit: float | None = None) -> SeasonResult:
    """The best schedule for `problem` (cached: the same input gives the same object)."""
    return _solve(problem, time_limit() if limit is None else limit)


def greedy_picks(problem: SeasonProblem) -> list[int | None]:
    days, members = list(problem.days), list(problem.members)
    owners = greedy_assign_days(
        days, members,
        prefer={m: {days[i] for i in problem.prefer[j]} for j, m in enumerate(members)},
        avoid={m: {days[i] for i in problem.avoid[j]} for j, m in enumerate(members)},
        unavailable=lambda m, d: not problem.avail[days.index(d)][members.index(m)],
        min_len=problem.min_len, max_len=problem.max_len)
    return [None if o is None else members.index(o) for o in owners]


def run_stage(model, cost, hint: list[int | None], deadline: float):
    """Minimise `cost` from `hint`; (status name, best value, picks) -- picks None if none found."""
    from ortools.sat.python import cp_model

    if time.monotonic() >= deadline:
        return "UNKNOWN", None, None
    model.model.minimize(cost)
    model.hint(hint)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = SEED
    solver.parameters.linearization_level = 2  # full LP relaxation: proves the load level ~10x faster
    solver.parameters.max_time_in_seconds = deadline - time.monotonic()
    status = solver.solve(model.model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return solver.status_name(status), round(solver.objective_value), model.picks(solver)
    return solver.status_name(status), None, None


def lexicographic(model, hint: list[int | None], deadline: float) -> tuple[list[int | None], list[str]]:
    """Levels in order, then member order; returns the picks and the stages not proven (if any)."""
    picks = hint
    for name in LEVELS:
        status, value, found = run_stage(model, model.cost[name], picks, deadline)
        if found is None:
            return picks, [f"{name}: {status.lower()}"]
        picks = found
        if status != "OPTIMAL":
            return picks, [f"{name}: best found {value}, not proven optimal"]
        model.model.add(model.cost[name] <= value)
    base = max(2, model.k)
    block = max(1, int(MAX_WEIGHT_BITS / math.log2(base)))
    for first in range(0, model.n, block):
        days = range(first, min(model.n, first + block))
        lowest = [min(model.x[d], default=None) for d in days]
        if [picks[d] for d in days] != lowest:  # already earliest everywhere: nothing to improve
            status, _, found = run_stage(model, model.order_cost(days, base), picks, deadline)
            if found is None or status != "OPTIMAL":
                return found or picks, [f"member order from {model.p.days[first]}: {status.lower()}"]
            picks = found
        for d in days:
            if picks[d] is not None:
                model.model.add(model.x[d][picks[d]] == 1)
    return picks, []


@lru_cache(maxsize=64)
def _solve(problem: SeasonProblem, limit: float) -> SeasonResult:
    from pipeline_ops.oncall.season_model import SeasonModel

    t0 = time.monotonic()
    greedy = greedy_picks(problem)
    if not problem.members or not problem.days:
        return SeasonResult(tuple(greedy), score(problem, greedy), True, "cp-sat", (), 0.0)
    picks, unproven = lexicographic(SeasonModel(problem), greedy, t0 + limit)
    seconds = time.monotonic() - t0
    if not unproven:
        return SeasonResult(tuple(picks), score(problem, picks), True, "cp-sat", (), seconds)
    method = "cp-sat (best found in the time limit)"
    if picks is greedy or score(problem, greedy).key() < score(problem, picks).key():
        picks, method = greedy, "greedy (fallback)"
    where = f"solver time limit {limit:g} s ({TIME_LIMIT_ENV}) reached at {unproven[0]}"
    if unproven[0].startswith("member order"):
        note = (f"season {problem.days[0]}: {where}; the schedule is optimal on every rule but the "
                f"member-order tie-break, so an equally good but different one may come out next time")
    else:
        note = f"season {problem.days[0]}: {where}; using the {method} schedule, which may not be the best one"
    log.warning(note)
    return SeasonResult(tuple(picks), score(problem, picks), False, method, (note,), seconds)
