"""The synthetic SaaS company: a deterministic landing zone that follows the landing contract.

`generate_landing(landing, start, days, ...)` simulates accounts from --start day by day and writes
every source's partition folders; see docs/landing_zone.md for the layout and README for the CLI.
Randomness of a day's data comes from generators seeded by (seed, day, source), so the same
arguments give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline_ops.generate import billing, clicks, experiments, finance
from pipeline_ops.generate.company import Company
from pipeline_ops.generate.faults import EMPTY_DELIVERY, FAULTS, Fault, FaultContext, parse_fault
from pipeline_ops.generate.writer import LandingWriter, csv_bytes, jsonl_bytes
from pipeline_ops.landing.contract import SOURCES, source

__all__ = ["FAULTS", "GenerationSummary", "generate_landing"]


@dataclass
class GenerationSummary:
    landing: str
    start: dt.date
    days: int
    scale: float
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)  # partition folders a fault kept from being written
    faults: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def format(self) -> str:
        end = self.start + dt.timedelta(days=self.days - 1)
        lines = [f"generated {self.start}..{end} (scale {self.scale:g}, seed {self.seed}) into {self.landing}"]
        for name, count in self.rows.items():
            lines.append(f"  {name:24} {count:>12,} rows")
        lines.append(f"  {len(self.files)} files in {self.seconds:.1f} s")
        if self.faults:
            lines.append(f"  faults: {', '.join(self.faults)}")
        if self.withheld:
            lines.append(f"  withheld by faults: {', '.join(self.withheld)}")
        return "\n".join(lines)


def generate_landing(
    landing: str,
    start: dt.date,
    days: int,
    scale: float = 1.0,
    seed: int = 7,
    sources: Iterable[str] | None = None,
    faults: Sequence[str | tuple[Fault, dt.date]] = (),
    write_from: dt.date | None = None,
) -> GenerationSummary:
    """Write `days` days from `start` into the landing zone at `landing` (a path or fsspec URL).

    `sources` restricts which sources are written (all by default); `faults` are 'NAME[@YYYY-MM-DD]'
    specs or (Fault, day) pairs. Click deliveries received after the last day are written too.
    `write_from` simulates every day from `start` (the company's state needs them) but writes only
    the folders of that day and later: the same bytes a full run writes there, much faster when
    only the end of an existing landing zone is re-generated (e.g. with a fault on its last days).
    """
    if days < 1:
        raise ValueError("days must be >= 1")
    if scale <= 0:
        raise ValueError("scale must be > 0")
    wanted = list(SOURCES) if sources is None else [source(s).name for s in sources]
    end = start + dt.timedelta(days=days - 1)
    write_from = write_from or start
    if not start <= write_from <= end:
        raise ValueError(f"write_from {write_from} is outside the generated range {start}..{end}")
    t0 = time.perf_counter()
    plan: dict[dt.date, list[Fault]] = {}
    summary = GenerationSummary(str(landing), start, days, scale, seed, rows={s: 0 for s in wanted})
    for spec in faults:
        fault, day = parse_fault(spec, start, end) if isinstance(spec, str) else spec
        if day < write_from:
            raise ValueError(f"fault {fault.name}@{day} is before write_from {write_from}: it would not be written")
        plan.setdefault(day, []).append(fault)
        summary.faults.append(f"{fault.name}@{day}")
    writer = LandingWriter(str(landing))
    company, fx = Company(seed, start, scale), finance.FxWalk(seed)
    pending: dict[dt.date, list[pd.DataFrame]] = {}
    lost_click_days: set[dt.date] = set()
    empty_click_days: set[dt.date] = set()
    # A day's click events are delivered up to 72 h later: days before write_from - 3 reach no written folder.
    first_click_day = write_from - dt.timedelta(days=math.ceil(clicks.LATE_MAX_MS / 86_400_000))

    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        events = company.step(day)
        frames: dict[str, pd.DataFrame | None] = {}
        rates = fx.rates(day)  # the walk advances every day, written or not
        if day < first_click_day:
            continue
        builders = {
            "accounts": company.snapshot,
            "subscription_events": lambda: events,
            "revenue": lambda: billing.invoices(seed, day, company, events),
            "fx_rates": lambda: rates,
            "expenses": lambda: finance.expenses(seed, day, start, scale),
            "experiment_assignments": lambda: experiments.assignments(day, start, company),
            "click_events": lambda: clicks.day_events(seed, day, company),
        }
        if day.day == 1 or offset == 0:
            builders["salaries"] = lambda: finance.salaries(seed, day.replace(day=1), start, scale)
        todays = plan.get(day, [])
        writing = day >= write_from
        needed = set(wanted if writing else ["click_events"]) | {r for f in todays for r in f.reads}
        for name in SOURCES:  # contract order: the same frames in the same order, whatever is needed
            if name in builders and name in needed and (name != "click_events" or "click_events" in wanted):
                frames[name] = builders[name]()
        ctx = FaultContext(day, seed, start, scale, frozenset(wanted))
        for fault in todays:
            frames = fault.apply(frames, ctx)
        if EMPTY_DELIVERY in frames:
            empty_click_days.add(day)
        for name, frame in frames.items():
            if name in ("click_events", EMPTY_DELIVERY) or name not in wanted or not writing:
                continue
            _write_csv(writer, summary, name, day, frame)
        if "click_events" in frames:
            if frames["click_events"] is None:
                lost_click_days.add(day)
            else:
                for received_day, part in clicks.split_by_received_day(frames["click_events"]).items():
                    pending.setdefault(received_day, []).append(part)
            parts = pending.pop(day, [])
            if writing:
                _flush_clicks(writer, summary, day, parts, day in lost_click_days, day in empty_click_days)
    for day in sorted(pending):
        _flush_clicks(writer, summary, day, pending.pop(day), day in lost_click_days, day in empty_click_days)
    summary.seconds = time.perf_counter() - t0
    return summary


def _write_csv(writer: LandingWriter, summary: GenerationSummary, name: str, day: dt.date, frame) -> None:
    src = source(name)
    if frame is None:
        writer.remove_partition(src, day)
        summary.withheld.append(f"{name}/date={day}")
        return
    summary.files += writer.write_partition(src, day, {src.file_glob: csv_bytes(src, frame)})
    summary.rows[name] += len(frame)


def _flush_clicks(writer: LandingWriter, summary: GenerationSummary, day: dt.date, parts: list, lost: bool,
                  empty: bool = False) -> None:
    src = source("click_events")
    if lost:
        writer.remove_partition(src, day)
        summary.withheld.append(f"click_events/date={day}")
        return
    if empty:  # an outage: the exporter wrote the folder, Kafka delivered nothing that day
        summary.files += writer.write_partition(src, day, {"part-0000.jsonl": b""})
        return
    folder = clicks.delivery_folder(day, parts)
    n_parts = max(1, math.ceil(len(folder) / clicks.LINES_PER_PART))
    files = {}
    for i, rows in enumerate(np.array_split(np.arange(len(folder)), n_parts)):
        files[f"part-{i:04d}.jsonl"] = jsonl_bytes(src, folder.iloc[rows]) if len(folder) else b""
    summary.files += writer.write_partition(src, day, files)
    summary.rows["click_events"] += len(folder)
