"""An independent referee for season schedules: measures the documented rules from scratch.

Written from docs/oncall.md (`holiday_season`), not from the engine's code, so the tests can
compare the solver's schedule with values worked out by hand and with brute force.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence


def shifts(owners: Sequence[str | None]) -> list[tuple[str, int]]:
    """(member, length) of each maximal run of equal, non-empty owners."""
    return [(m, len(list(g))) for m, g in itertools.groupby(owners) if m is not None]


def levels(owners: Sequence[str | None], members: Sequence[str], prefer: dict[str, set[int]],
           avoid: dict[str, set[int]], lo: int = 1, hi: int = 3) -> dict[str, int]:
    """Rules 2-6 of docs/oncall.md for a schedule given as one owner (or None) per day index."""
    fair = math.ceil(len(owners) / len(members))
    runs = shifts(owners)
    return {
        "length": sum(n - hi if n > hi else lo - n if n < lo else 0 for _, n in runs),
        "avoided": sum(1 for d, m in enumerate(owners) if m is not None and d in avoid.get(m, set())),
        "preferred": sum(min(fair, sum(1 for d in prefer.get(m, set()) if owners[d] == m)) for m in members),
        "one_day": sum(1 for _, n in runs if n == 1),
        "load": sum(owners.count(m) ** 2 for m in members),
    }


def rank(owners: Sequence[str | None], members: Sequence[str], prefer, avoid, lo: int = 1, hi: int = 3) -> tuple:
    """Sort key of the documented priority order (smaller is better), member order last."""
    v = levels(owners, members, prefer, avoid, lo, hi)
    order = tuple(-1 if m is None else list(members).index(m) for m in owners)
    return (v["length"], v["avoided"], -v["preferred"], v["one_day"], v["load"], order)


def brute_force(n_days: int, members: Sequence[str], prefer, avoid, off: set[tuple[str, int]],
                lo: int = 1, hi: int = 3) -> list[str | None]:
    """The best schedule by enumerating every assignment that keeps the hard rule (rule 1)."""
    choices = []
    for d in range(n_days):
        free = [m for m in members if (m, d) not in off]
        choices.append(free or [None])
    return list(min(itertools.product(*choices), key=lambda o: rank(o, members, prefer, avoid, lo, hi)))


def hard_rules_hold(owners: Sequence[str | None], members: Sequence[str], off: set[tuple[str, int]]) -> None:
    """Rule 1: nobody off holds a day; a day is empty only when every member is off."""
    for d, m in enumerate(owners):
        if m is None:
            assert all((x, d) in off for x in members), f"day {d} left empty although someone can take it"
        else:
            assert m in members and (m, d) not in off, f"day {d}: {m} is off"
