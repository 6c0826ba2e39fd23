"""The fault catalogue: every failure mode the runbooks name, how to cause it, which checks catch it.

- `FAULTS`: the *data* faults `pipeline-ops generate --fault NAME[@YYYY-MM-DD]` injects into one
  generated day before it is written (without a date: the last generated day). One module per
  source family: `profit` (FX, revenue, expenses, salaries), `growth` (accounts, subscription
  events, experiment assignments), `engagement` (click events), `landing` (any source: a partition
  that never arrives, schema drift).
- `CATALOGUE`: every entry, data faults and the entries no landing data can produce (`catalogue`:
  config changes, code-level failure modes covered by unit tests, infrastructure failures).
- `pipeline-ops faults` lists them; `pipeline_ops_tests/quality/test_fault_matrix.py` generates each
  data and config fault on top of clean data and asserts its checks fail on the right partition
  and no other check does.

Add a fault by writing its function in the family module and a `Fault` in that module's list
(name, description, sources, apply, failure_mode = the runbook anchor, runbook, detected_by).
"""

from __future__ import annotations

import datetime as dt

from pipeline_ops.generate.faults import catalogue, engagement, growth, landing, profit
from pipeline_ops.generate.faults.base import EMPTY_DELIVERY, Fault, FaultContext, Frames, Kind


__all__ = ["CATALOGUE", "EMPTY_DELIVERY", "FAULTS", "Fault", "FaultContext", "Frames", "Kind", "parse_fault"]


def _index(entries: list[Fault]) -> dict[str, Fault]:
    out: dict[str, Fault] = {}
    for entry in entries:
        if entry.name in out:
            raise ValueError(f"fault {entry.name!r} is catalogued twice")
        out[entry.name] = entry
    return out


CATALOGUE: dict[str, Fault] = _index([*landing.FAULTS, *profit.FAULTS, *growth.FAULTS, *engagement.FAULTS,
                                      *catalogue.ENTRIES])
FAULTS: dict[str, Fault] = {name: f for name, f in CATALOGUE.items() if f.kind == "data"}


def parse_fault(spec: str, start: dt.date, end: dt.date) -> tuple[Fault, dt.date]:
    """'NAME' or 'NAME@YYYY-MM-DD' -> (fault, day); without a date the last generated day."""
    name, _, when = spec.partition("@")
    if name not in FAULTS:
        if name in CATALOGUE:
            entry = CATALOGUE[name]
            raise ValueError(f"fault {name!r} is a {entry.kind} entry: it changes no landing data ({entry.description})")
        raise ValueError(f"unknown fault {name!r} (known: {', '.join(sorted(FAULTS))})")
    try:
        day = dt.date.fromisoformat(when) if when else end
    except ValueError:
        raise ValueError(f"fault {spec!r}: expected NAME@YYYY-MM-DD") from None
    if not start <= day <= end:
        raise ValueError(f"fault {spec!r}: {day} is outside the generated range {start}..{end}")
    return FAULTS[name], day
