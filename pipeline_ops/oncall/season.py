"""Plan 000's holiday season: Thanksgiving to New Year's Day in 1-3 day shifts from volunteers.

Each engineer names preferred and avoided days; each season day is one slot. The assignment is
the best schedule under a strict priority order -- a rule only breaks ties left by the rules
above it (docs/oncall.md, `holiday_season`, states each rule exactly):

1. hard: nobody holds a slot while off (PTO); every slot somebody can take is held by exactly
   one member -- a slot nobody can take stays empty (the linter reports it);
2. fewest days outside the shift-length bounds (`min_shift_days`..`max_shift_days`);
3. fewest avoided days;
4. most preferred days granted, each member's counted up to a fair share, ceil(days / members);
5. fewest 1-day shifts (2-3 day shifts mean fewer handoffs);
6. the most even load: smallest sum over members of (days held) squared;
7. member order: reading the season from its first day, each day goes to the member listed
   earliest among the schedules still tied.

`season_solver.solve` finds that schedule exactly (CP-SAT, one level at a time); `score` below
measures a schedule on levels 2-6 in plain Python, so any schedule can be compared with it.
The "manager resolves" step of the plan is an explicit override, which beats this assignment.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

LEVELS = ("length", "avoided", "preferred", "one_day", "load")  # priority 2..6, in order
LEVEL_TEXT = {
    "length": "days outside the shift-length bounds",
    "avoided": "avoided days assigned",
    "preferred": "preferred days granted (up to each member's fair share)",
    "one_day": "1-day shifts",
    "load": "sum of squared days per member (lower = more even)",
}


@dataclass(frozen=True)
class SeasonShift:
    member: str
    first: dt.date
    last: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class SeasonProblem:
    """One season's input: days, members (in tie-break order), who can take which day, wishes."""

    days: tuple[dt.date, ...]
    members: tuple[str, ...]
    avail: tuple[tuple[bool, ...], ...]  # avail[day][member]: not off during any of the slot
    prefer: tuple[frozenset[int], ...]  # per member: indexes of preferred days
    avoid: tuple[frozenset[int], ...]  # per member: indexes of avoided days
    min_len: int = 1
    max_len: int = 3

    @classmethod
    def build(cls, days: list[dt.date], members: list[str], prefer: dict[str, set[dt.date]],
              avoid: dict[str, set[dt.date]], unavailable: Callable[[str, dt.date], bool] = lambda m, d: False,
              min_len: int = 1, max_len: int = 3) -> SeasonProblem:
        index = {d: i for i, d in enumerate(days)}

        def idx(wanted: dict[str, set[dt.date]], m: str) -> frozenset[int]:
            return frozenset(index[d] for d in wanted.get(m, ()) if d in index)

        return cls(tuple(days), tuple(members),
                   tuple(tuple(not unavailable(m, d) for m in members) for d in days),
                   tuple(idx(prefer, m) for m in members), tuple(idx(avoid, m) for m in members),
                   min_len, max_len)

    @property
    def fair_share(self) -> int:
        """Preferred days counted per member: ceil(season days / season members)."""
        return math.ceil(len(self.days) / max(1, len(self.members)))

    def owners_of(self, picks: list[int | None]) -> list[str | None]:
        return [None if m is None else self.members[m] for m in picks]


@dataclass(frozen=True)
class Score:
    """A schedule's value at priority levels 2-6 (see LEVELS)."""

    length: int
    avoided: int
    preferred: int
    one_day: int
    load: int

    def key(self) -> tuple[int, ...]:
        """Lexicographic key, smaller is better (preferred days are maximised)."""
        return (self.length, self.avoided, -self.preferred, self.one_day, self.load)


def runs(picks: list[int | None]) -> list[tuple[int, int, int]]:
    """(member, first day index, length) of each shift: a maximal run of one member's days."""
    out: list[tuple[int, int, int]] = []
    for i, m in enumerate(picks):
        if m is None:
            continue
        if out and out[-1][0] == m and out[-1][1] + out[-1][2] == i:
            out[-1] = (m, out[-1][1], out[-1][2] + 1)
        else:
            out.append((m, i, 1))
    return out


def score(problem: SeasonProblem, picks: list[int | None]) -> Score:
    """Measure a schedule (member index or None per day) on levels 2-6."""
    shifts = runs(picks)
    lo, hi = problem.min_len, problem.max_len
    length = sum(max(0, n - hi) + max(0, lo - n) for _, _, n in shifts)
    avoided = sum(1 for i, m in enumerate(picks) if m is not None and i in problem.avoid[m])
    preferred = sum(min(problem.fair_share, sum(1 for i in problem.prefer[m] if picks[i] == m))
                    for m in range(len(problem.members)))
    load = sum(picks.count(m) ** 2 for m in range(len(problem.members)))
    return Score(length, avoided, preferred, sum(1 for *_, n in shifts if n == 1), load)


def assign_days(
    days: list[dt.date],
    members: list[str],
    prefer: dict[str, set[dt.date]],
    avoid: dict[str, set[dt.date]],
    unavailable: Callable[[str, dt.date], bool] = lambda m, d: False,
    min_len: int = 1,
    max_len: int = 3,
) -> list[str | None]:
    """One member (or None) per day: the best schedule by the rules of the module docstring."""
    from pipeline_ops.oncall.season_solver import solve

    problem = SeasonProblem.build(days, members, prefer, avoid, unavailable, min_len, max_len)
    return problem.owners_of(solve(problem).picks)


def group_shifts(days: list[dt.date], owners: list[str | None]) -> list[SeasonShift]:
    """Consecutive days with the same member -> one shift."""
    shifts: list[SeasonShift] = []
    for day, member in zip(days, owners):
        if member is None:
            continue
        if shifts and shifts[-1].member == member and shifts[-1].last == day - dt.timedelta(days=1):
            shifts[-1] = SeasonShift(member, shifts[-1].first, day)
        else:
            shifts.append(SeasonShift(member, day, day))
    return shifts
