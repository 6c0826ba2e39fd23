"""The holiday season as a CP-SAT model: one yes/no per (day, member), one cost per priority level.

x[d][m] = 1 means member m holds day d's slot. Only members who are not off that day get a
variable at all (PTO is a hard rule); each day somebody can take has exactly one holder.

Each priority level of `season.LEVELS` is a linear cost to minimise whose minimum equals the
level's value (`season.score`) -- auxiliary 0/1 variables are bounded from below only, so at an
optimum each sits exactly on its bound and the cost counts what the level says:

- length: a window of max_len + 1 consecutive days all held by m costs 1, so a run of n days
  costs n - max_len; a run starting on day d costs 1 for each j < min_len whose day d + j is
  not m's (days past the season's end count as not m's), so a run of n days costs min_len - n;
- avoided: days held that their holder avoids;
- preferred (maximised, so the cost is minus): per member min(preferred days held, fair share);
- one_day: days held whose neighbours (in the season) are both someone else's or empty;
- load: sum over members of (days held)^2, through tangents s >= 2aL - a^2 (exact at integer L);
- order (the last tie-break): sum over a block of days of idx(holder) * k^(position from the end).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline_ops.oncall.season import SeasonProblem

if TYPE_CHECKING:
    from ortools.sat.python import cp_model


class SeasonModel:
    """The model for one problem; `forbid` removes (day, member) pairs (used to explain a slot)."""

    def __init__(self, problem: SeasonProblem, forbid: frozenset[tuple[int, int]] = frozenset()):
        from ortools.sat.python import cp_model

        self.p = problem
        self.model = cp_model.CpModel()
        n, k = len(problem.days), len(problem.members)
        self.n, self.k = n, k
        self.x: list[dict[int, cp_model.IntVar]] = [
            {m: self.model.new_bool_var(f"x{d}_{m}") for m in range(k)
             if problem.avail[d][m] and (d, m) not in forbid}
            for d in range(n)]
        for row in self.x:
            if row:
                self.model.add_exactly_one(row.values())
        self.cost: dict[str, cp_model.LinearExprT] = {
            "length": self._length(), "avoided": self._avoided(), "preferred": -self._preferred(),
            "one_day": self._one_day(), "load": self._load()}

    def X(self, d: int, m: int):  # noqa: N802 -- the model's x, 0 outside the season / when off
        return self.x[d].get(m, 0) if 0 <= d < self.n else 0

    def _aux(self, lower_bounds: list) -> object:
        """A 0/1 variable forced up to the largest of the given linear lower bounds."""
        b = self.model.new_bool_var("")
        for bound in lower_bounds:
            self.model.add(b >= bound)
        return b

    def _length(self):
        lo, hi, terms = self.p.min_len, self.p.max_len, []
        for m in range(self.k):
            for s in range(self.n - hi):
                window = [self.X(d, m) for d in range(s, s + hi + 1)]
                if all(not isinstance(v, int) for v in window):
                    terms.append(self._aux([sum(window) - hi]))
            for d in range(self.n):
                if m not in self.x[d]:
                    continue
                start = self.X(d, m) - self.X(d - 1, m)
                for j in range(1, lo):
                    terms.append(self._aux([start - self.X(d + i, m) for i in range(1, j + 1)]))
        return sum(terms)

    def _avoided(self):
        return sum(self.X(d, m) for m in range(self.k) for d in self.p.avoid[m])

    def _preferred(self):
        total = 0
        for m in range(self.k):
            held = [self.X(d, m) for d in sorted(self.p.prefer[m])]
            cap = min(self.p.fair_share, sum(1 for v in held if not isinstance(v, int)))
            if cap:
                g = self.model.new_int_var(0, cap, f"granted{m}")
                self.model.add(g <= sum(held))
                total += g
        return total

    def _one_day(self):
        return sum(self._aux([self.X(d, m) - self.X(d - 1, m) - self.X(d + 1, m)])
                   for d in range(self.n) for m in self.x[d])

    def _load(self):
        total = 0
        for m in range(self.k):
            days = sum(self.X(d, m) for d in range(self.n))
            square = self.model.new_int_var(0, self.n * self.n, f"sq{m}")
            for a in range(self.n + 1):
                self.model.add(square >= 2 * a * days - a * a)
            total += square
        return total

    def order_cost(self, block: range, base: int):
        """Lexicographic member order over `block`: earlier days weigh more than all later ones."""
        last = block[-1]
        return sum(base ** (last - d) * m * v for d in block for m, v in self.x[d].items())

    def picks(self, solver: cp_model.CpSolver) -> list[int | None]:
        return [next((m for m, v in row.items() if solver.boolean_value(v)), None) for row in self.x]

    def hint(self, picks: list[int | None]) -> None:
        self.model.clear_hints()
        for d, row in enumerate(self.x):
            for m, v in row.items():
                self.model.add_hint(v, picks[d] == m)
