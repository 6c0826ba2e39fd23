"""The fault matrix harness: clean history once, then each catalogued fault on the last day.

1. A clean landing zone of `DAYS` days at `SCALE` (enough history for same-weekday baselines:
   the last day has four earlier same weekdays and its revenue look-back is complete).
2. Every daily asset over all days but the last as ONE single-run backfill (the history lake),
   then the clean last day (the control lake): every check must pass on it.
3. Per fault: the landing zone is the clean one hard-linked (the generator replaces files by
   rename, never in place, so the clean files are never touched) with the fault's sources
   re-generated from the fault's day (`write_from`: the same bytes everywhere else, which is
   asserted); the lake is a copy of the control lake; the assets downstream of the fault's
   sources run for the last day (the others' inputs are unchanged, so their control results
   stand; everything they need is in the copied lake). Arrival checks are evaluated once due.
4. Verdict: the expected checks failed on the fault's partition, the guarded steps failed, and no
   other check failed (over the checks that ran: a blocking failure skips everything downstream).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dagster as dg
import yaml

from pipeline_ops.generate import generate_landing
from pipeline_ops.generate.faults import CATALOGUE, Fault
from pipeline_ops.landing.reader import LandingZone

START, LAST, SCALE, SEED = dt.date(2025, 1, 1), dt.date(2025, 2, 5), 0.1, 7
DAYS = (LAST - START).days + 1
MATRIX_FAULTS = [name for name, f in CATALOGUE.items() if f.kind in ("data", "config")]
RESULTS: dict[str, "Verdict"] = {}  # filled by the tests, printed by conftest's terminal summary


def daily_assets() -> list[dg.AssetsDefinition]:
    from pipeline_ops.definitions import defs

    return [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)
            and isinstance(a.partitions_def, dg.DailyPartitionsDefinition)]


def fault_assets(fault: Fault) -> list[dg.AssetsDefinition]:
    """The daily assets downstream of what the fault changes (its sources, or a config fault's assets)."""
    from pipeline_ops.definitions import defs

    roots = [dg.AssetKey(["landing", s]) for s in fault.sources] or [dg.AssetKey(a) for a in fault.assets]
    keys = dg.AssetSelection.assets(*roots).downstream().resolve(defs.resolve_asset_graph())
    return [a for a in daily_assets() if set(a.keys) & keys]


def materialize(assets, landing: Path, lake: Path, first: dt.date, last: dt.date | None = None):
    from pipeline_ops.resources.lake import LakeResource, LandingResource
    from pipeline_ops.resources.spark import SparkResource

    resources = {"landing": LandingResource(url=str(landing)), "lake": LakeResource(url=str(lake)),
                 "spark": SparkResource(master="local[2]", shuffle_partitions=2, driver_memory="1g")}
    if last is None:
        kw = {"partition_key": first.isoformat()}
    else:
        kw = {"tags": {"dagster/asset_partition_range_start": first.isoformat(),
                       "dagster/asset_partition_range_end": last.isoformat()}}
    return dg.materialize(assets, resources=resources, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False, **kw)


@dataclass
class Observation:
    failed: dict[str, str] = field(default_factory=dict)  # "asset.check@partition" -> "SEVERITY: summary"
    ran: set[str] = field(default_factory=set)  # "asset.check" evaluated at least once
    step_failures: dict[str, str] = field(default_factory=dict)


def step_errors(event) -> str:
    texts, error = [], event.event_specific_data.error
    while error is not None:
        texts.append(f"{error.cls_name}: {error.message.strip()}")
        error = error.cause
    return " <- ".join(texts)[:600]


def observe(result, landing: Path, days: list[dt.date]) -> Observation:
    """Every check evaluation of the run, plus each source's arrival check for `days` once due."""
    from pipeline_ops.config import current_config
    from pipeline_ops.sources.arrival import due_at
    from pipeline_ops.sources.checks import evaluate_arrival

    obs = Observation()
    evaluations = list(result.get_asset_check_evaluations())
    zone = LandingZone(str(landing))
    for source, arrival in current_config().quality.arrivals.items():
        for day in days:
            evaluations.append(evaluate_arrival(zone, source, day, due_at(arrival, day) + dt.timedelta(hours=1)))
    for e in evaluations:
        name = f"{e.asset_key.to_user_string()}.{e.check_name}"
        obs.ran.add(name)
        if not e.passed:
            obs.failed[f"{name}@{e.partition}"] = f"{e.severity.value}: {(e.description or '')[:300]}"
    for event in result.all_events:
        if event.is_step_failure:
            obs.step_failures[event.step_key] = step_errors(event)
    return obs


def clean_landing(root: Path) -> Path:
    generate_landing(str(root), START, DAYS, scale=SCALE, seed=SEED)
    return root


def faulty_landing(clean: Path, root: Path, fault: Fault, day: dt.date) -> Path:
    shutil.copytree(clean, root, copy_function=os.link)
    generate_landing(str(root), START, DAYS, scale=SCALE, seed=SEED, sources=fault.sources, faults=[(fault, day)],
                     write_from=day)
    return root


def changed_files(clean: Path, faulty: Path) -> set[str]:
    """Relative paths that differ between the two landing zones (hard links of one file are equal)."""
    def files(root: Path) -> dict[str, Path]:
        return {str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file()}

    a, b = files(clean), files(faulty)
    out = set(a) ^ set(b)
    for rel in set(a) & set(b):
        if not os.path.samefile(a[rel], b[rel]) and a[rel].read_bytes() != b[rel].read_bytes():
            out.add(rel)
    return out


def config_with(overrides: dict, path: Path) -> Path:
    """The current config file with `overrides` merged in (nested mappings), written to `path`."""
    from pipeline_ops import settings

    data = yaml.safe_load(Path(settings.config_path()).read_text(encoding="utf-8"))

    def merge(base: dict, extra: dict) -> dict:
        out = copy.deepcopy(base)
        for key, value in extra.items():
            out[key] = merge(out.get(key, {}), value) if isinstance(value, dict) else value
        return out

    path.write_text(yaml.safe_dump(merge(data, overrides), sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Verdict:
    fault: str
    partition: str
    caught: list[str]
    missed: list[str]
    false_alarms: dict[str, str]
    also_failed: list[str]  # allowed (may_also_fail) failures seen
    guards_failed: list[str]
    guards_missed: list[str]
    steps_failed: list[str]
    seconds: float
    limit: str = ""  # the fault is catalogued as claimed by no check (it must then fail none)

    @property
    def ok(self) -> bool:
        return not (self.missed or self.false_alarms or self.guards_missed)


def judge(fault: Fault, obs: Observation, day: dt.date, seconds: float) -> Verdict:
    partition = day.isoformat()
    failed_here = {k.rsplit("@", 1)[0] for k in obs.failed if k.endswith(f"@{partition}")}
    expected = set(fault.detected_by)
    allowed = {f"{n}@{partition}" for n in (*fault.detected_by, *fault.may_also_fail)}
    return Verdict(
        fault=fault.name, partition=partition,
        caught=sorted(expected & failed_here), missed=sorted(expected - failed_here),
        false_alarms={k: v for k, v in sorted(obs.failed.items()) if k not in allowed},
        also_failed=sorted(set(fault.may_also_fail) & failed_here),
        guards_failed=sorted(set(fault.guarded_by) & set(obs.step_failures)),
        guards_missed=sorted(set(fault.guarded_by) - set(obs.step_failures)),
        steps_failed=sorted(obs.step_failures), seconds=round(seconds, 1), limit=fault.limit,
    )


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def report(results: dict[str, Verdict]) -> str:
    """A plain-text table of the matrix (one line per fault), then every miss and false alarm."""
    lines = [f"{'fault':40} {'partition':10} {'result':7} {'caught':>6} {'missed':>6} {'false':>5} {'s':>5}"]
    for v in results.values():
        lines.append(f"{v.fault:40} {v.partition:10} {('ok' if not v.limit else 'limit') if v.ok else 'FAIL':7} {len(v.caught):6d} "
                     f"{len(v.missed) + len(v.guards_missed):6d} {len(v.false_alarms):5d} {v.seconds:5.1f}")
    for v in results.values():
        for name in (*v.missed, *v.guards_missed):
            lines.append(f"  MISSED {v.fault}: {name}")
        for name, text in v.false_alarms.items():
            lines.append(f"  FALSE ALARM {v.fault}: {name}: {text}")
    return "\n".join(lines)


def write_report(results: dict[str, Verdict], path: Path) -> None:
    path.write_text(json.dumps({k: asdict(v) for k, v in results.items()}, indent=2), encoding="utf-8")
