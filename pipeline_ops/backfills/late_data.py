"""Which experiment days to rebuild when landing data arrives late: the rule, as plain values.

Experiment outputs (`audience: experiment`) are rebuilt without asking anyone when a landing folder
they read changes after it was first seen, for days within the last `WINDOW_DAYS` UTC days
(yesterday back to 7 days ago), never older: older experiment results have been read and acted on,
so changing them is a decision for a person (the approval guard does not cover them; the runbooks
do). Investor outputs are never rebuilt here: that needs an approval (approval.py).

A folder's fingerprint is its files' names, sizes and modification stamps. The first time a day is
seen its fingerprint is only recorded (nothing is known about it before); a folder that disappears
is not late data. A change for landing day D
affects output day D and the later days that read D: `READ_LATER` days more for the sources whose
day D is read by later days too (D+1 reads D's assignment snapshot; unit-level revenue recognition
reads invoices issued up to 31 days before). Only days the output has already been built for are
rebuilt: a day never built is the schedule's (or, when its data was missing, the on-call engineer's
after the arrival alert), so a folder landing on time never starts a second run beside the schedule.
Days to rebuild are grouped into runs of consecutive days, oldest first, so a day that reads the one
before it is rebuilt after it (the assets run a range in one run, in day order).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

WINDOW_DAYS = 7
# landing day D is read by output days D .. D + READ_LATER[source]
READ_LATER = {"experiment_assignments": 1, "revenue": 31}

Fingerprints = dict[str, dict[str, str]]  # source -> day (ISO) -> fingerprint ("absent": no folder)


@dataclass(frozen=True)
class Rebuild:
    """One run to launch: `output` for the days `start`..`end` (ISO, inclusive), because of `changed`."""

    output: str
    start: str
    end: str
    changed: tuple[str, ...]  # "source day" of every changed folder behind it

    @property
    def run_key(self) -> str:
        """Stable for the same change: a sensor tick evaluated twice launches one run."""
        digest = hashlib.sha256("|".join(self.changed).encode()).hexdigest()[:12]
        return f"late-data:{self.output}:{self.start}..{self.end}:{digest}"


def fingerprint(files: Iterable[tuple[str, int, str]]) -> str:
    """A folder's fingerprint from (file name, size, modification stamp) of each file."""
    listed = sorted(files)
    if not listed:
        return "absent"
    return hashlib.sha256(repr(listed).encode()).hexdigest()[:16]


def window(today: dt.date) -> list[dt.date]:
    """The days late data may still rebuild, oldest first: today-7 .. yesterday (UTC)."""
    return [today - dt.timedelta(days=n) for n in range(WINDOW_DAYS, 0, -1)]


def changed_folders(before: Fingerprints, now: Fingerprints) -> list[tuple[str, str]]:
    """(source, day) whose fingerprint differs from the one recorded. A day recorded for the first
    time is not a change, nor is a folder that disappeared: a rebuild could only fail, and the
    arrival checks and the run's own landing contract report a missing folder."""
    return sorted((source, day) for source, days in now.items() for day, fp in days.items()
                  if day in before.get(source, {}) and before[source][day] != fp and fp != "absent")


def rebuilds(changed: Iterable[tuple[str, str]], reads: Mapping[str, Iterable[str]],
             built: Mapping[str, Iterable[str]], today: dt.date) -> list[Rebuild]:
    """The runs for `changed` folders: `reads` maps each experiment output to the landing sources it
    reads, `built` each output to the days (ISO) it has been materialized for."""
    allowed = {d.isoformat() for d in window(today)}
    runs: list[Rebuild] = []
    for output, sources in sorted(reads.items()):
        days_built = set(built.get(output, ()))
        causes: dict[str, list[str]] = {}
        for source, day in changed:
            if source not in set(sources):
                continue
            first = dt.date.fromisoformat(day)
            for n in range(READ_LATER.get(source, 0) + 1):
                target = (first + dt.timedelta(days=n)).isoformat()
                if target in allowed and target in days_built:
                    causes.setdefault(target, []).append(f"{source} {day}")
        runs.extend(_consecutive(output, causes))
    return runs


def _consecutive(output: str, causes: Mapping[str, list[str]]) -> list[Rebuild]:
    runs, group = [], []
    for day in sorted(causes):
        if group and dt.date.fromisoformat(day) - dt.date.fromisoformat(group[-1]) != dt.timedelta(days=1):
            runs.append(group)
            group = []
        group.append(day)
    if group:
        runs.append(group)
    return [Rebuild(output, g[0], g[-1], tuple(sorted({c for d in g for c in causes[d]}))) for g in runs]
