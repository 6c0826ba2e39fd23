"""The rota as a table, one row per base shift, with every exception noted in the row.

A row shows the base primary and backup of the layer (the plans' tables) and notes what
changed inside it: a holiday promotion as `2025-10-20 (Diwali): eng_b⇄eng_d` (new primary
first, as plan 002 annotates it), a season volunteer, a swap, an override or PTO cover.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline_ops.oncall.timeline import Segment, segments
from pipeline_ops.oncall.timeutil import wall_to_utc

if TYPE_CHECKING:
    from pipeline_ops.oncall.engine import OnCallEngine

COLUMNS = ["week", "start", "end", "primary", "backup", "notes"]


@dataclass(frozen=True)
class Row:
    layer: str
    week: int
    start: dt.datetime  # naive wall clock in `timezone`
    end: dt.datetime
    timezone: str
    primary: str
    backup: str | None
    notes: tuple[str, ...]
    segments: tuple[Segment, ...]

    def as_dict(self) -> dict:
        return {"layer": self.layer, "week": self.week, "start": self.start.isoformat(timespec="minutes"),
                "end": self.end.isoformat(timespec="minutes"), "timezone": self.timezone,
                "primary": self.primary, "backup": self.backup, "notes": list(self.notes)}


def note(seg: Segment, tz, whole_holiday: bool = True) -> str:
    """The row's note for a segment that differs from the base pair.

    The short plan-002 form (`2025-10-20 (Diwali): eng_b⇄eng_d`) is used only when the promotion
    alone decided the segment and it is the holiday's only segment in the row; a holiday split by an
    override, swap or PTO gets timed notes, so every note says what `oncall who` says then.
    """
    a = seg.assignment
    if a.holiday and whole_holiday and len(a.trace) == 2:  # the layer line, then the promotion
        day, name = a.holiday.split(" ", 1)
        return f"{day} ({name}): {a.primary}⇄{a.backup}"
    start, end = seg.start.astimezone(tz), seg.end.astimezone(tz)
    why = "; ".join(line for line in a.trace[1:] if not line.startswith("after time off"))
    return f"{start:%Y-%m-%d %H:%M} -> {end:%Y-%m-%d %H:%M}: primary {a.primary}, backup {a.backup} ({why})"


def rows(engine: OnCallEngine, start: dt.date, weeks: int) -> list[Row]:
    """`weeks` base shifts from the one in effect at `start` (at the handoff time of that day)."""
    out: list[Row] = []
    noon = wall_to_utc(dt.datetime.combine(start, dt.time(12)), engine.tz)
    layer = engine.layer_at(noon) or min(engine.layers, key=lambda lay: abs(lay.start - noon))
    t = max(wall_to_utc(dt.datetime.combine(start, layer.handoff), layer.tz), layer.start)
    while len(out) < weeks:
        layer = engine.layer_at(t)
        if layer is None:
            later = [lay.start for lay in engine.layers if lay.start > t]
            if not later:
                break
            t = min(later)
            continue
        shift = layer.shift(layer.index_at(t))
        end = min(shift.end, layer.end)
        segs = segments(engine, max(shift.start, layer.start), end)
        changed = [s for s in segs if (s.primary, s.backup) != (shift.primary, shift.backup)]
        per_holiday = Counter(s.assignment.holiday for s in segs if s.assignment.holiday)
        notes = tuple(note(s, engine.tz, per_holiday[s.assignment.holiday] == 1) for s in changed)
        out.append(Row(layer.id, shift.number, shift.start_local, shift.end_local, layer.spec.timezone,
                       shift.primary, shift.backup, notes, tuple(segs)))
        t = end
    return out


def render(rows_: list[Row], fmt: str) -> str:
    dicts = [r.as_dict() for r in rows_]
    for d in dicts:
        d["start"], d["end"] = d["start"].replace("T", " "), d["end"].replace("T", " ")
    if fmt == "json":
        return json.dumps([r.as_dict() for r in rows_], indent=2, ensure_ascii=False)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["layer", *COLUMNS, "timezone"])
        for d in dicts:
            writer.writerow([d["layer"], *(d[c] if c != "notes" else "; ".join(d[c]) for c in COLUMNS), d["timezone"]])
        return buf.getvalue()
    cells = [[str(d[c] if c != "notes" else "; ".join(d[c])) if d[c] is not None else "-" for c in COLUMNS]
             for d in dicts]
    if fmt == "md":
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells]) + "\n"
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"
