"""Why a member holds a season day: the best schedule *without* that, compared rule by rule.

For day d held by m, the solver is asked again with m barred from d (everything else equal),
level by level as in `season_solver`. The first priority level at which that best alternative
is worse than the actual schedule is the reason m holds d; if it is equal at every level, the
member-order tie-break decided. Because the actual schedule is optimal, the alternative can
only be worse or equal -- never better -- at the first level where they differ.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pipeline_ops.oncall.season import LEVELS, SeasonProblem, score
from pipeline_ops.oncall.season_solver import run_stage, time_limit


@dataclass(frozen=True)
class Reason:
    """Why `member` holds day index `day`: the deciding rule and the two values compared."""

    day: int
    member: str
    rule: str  # "pto" (nobody else can), a LEVELS name, "order", or "unknown" (time limit)
    actual: int | None = None
    alternative: int | None = None
    alternative_loads: tuple[int, ...] = ()
    text: str = ""


def _sentence(problem: SeasonProblem, rule: str, day: str, mine, alt, loads: tuple[int, ...]) -> str:
    other = f"every schedule that gives {day} to someone else"
    lo, hi = problem.min_len, problem.max_len
    if rule == "length":
        return f"{other} has {alt} day(s) outside the {lo}-{hi} day shift bounds instead of {mine}"
    if rule == "avoided":
        return f"{other} assigns {alt} avoided day(s) instead of {mine}, the fewest possible"
    if rule == "preferred":
        return (f"{other} grants {alt} preferred day(s) instead of {mine} "
                f"(counted up to the fair share of {problem.fair_share} per member)")
    if rule == "one_day":
        return f"{other} has {alt} 1-day shift(s) instead of {mine}"
    if rule == "load":
        counts = ", ".join(f"{m} {n}" for m, n in zip(problem.members, loads))
        return (f"{other} spreads the days less evenly (sum of squared days {alt} instead of "
                f"{mine}; best alternative: {counts})")
    if rule == "order":
        return (f"a schedule giving {day} to someone else is equally good at every rule; the "
                f"member-order tie-break (from the season's first day, each day to the member listed "
                f"earliest: {', '.join(problem.members)}) chose this one")
    if rule == "pto":
        return f"nobody else can take {day}: every other member is off during the slot"
    return f"the comparison did not finish within the solver time limit ({time_limit():g} s)"


def why(problem: SeasonProblem, picks: tuple[int | None, ...], d: int) -> Reason:
    """The reason picks[d] holds day d (see the module docstring)."""
    from pipeline_ops.oncall.season_model import SeasonModel

    m = picks[d]
    if m is None:
        raise ValueError(f"{problem.days[d]}: nobody holds this day")
    member, day = problem.members[m], problem.days[d].isoformat()

    def reason(rule: str, mine=None, alt=None, loads: tuple[int, ...] = ()) -> Reason:
        return Reason(d, member, rule, mine, alt, loads, _sentence(problem, rule, day, mine, alt, loads))

    model = SeasonModel(problem, forbid=frozenset({(d, m)}))
    if not model.x[d]:
        return reason("pto")
    actual = score(problem, list(picks))
    hint = list(picks)
    hint[d] = min(model.x[d])
    deadline = time.monotonic() + time_limit()
    for name in LEVELS:
        status, value, found = run_stage(model, model.cost[name], hint, deadline)
        if found is None or status != "OPTIMAL":
            return reason("unknown")
        sign = -1 if name == "preferred" else 1  # the model minimises minus the preferred days
        mine, alt = getattr(actual, name), sign * value
        if sign * alt > sign * mine:
            loads = tuple(found.count(j) for j in range(len(problem.members)))
            return reason(name, mine, alt, loads)
        model.model.add(model.cost[name] <= value)
        hint = found
    return reason("order")


def others(problem: SeasonProblem, d: int) -> list[str]:
    """Each other member's standing on day d: off, avoids it, prefers it, or free."""
    out = []
    for j, member in enumerate(problem.members):
        if not problem.avail[d][j]:
            state = "off (PTO)"
        elif d in problem.avoid[j]:
            state = "avoids it"
        elif d in problem.prefer[j]:
            state = "prefers it"
        else:
            state = "free"
        out.append(f"{member} {state}")
    return out
