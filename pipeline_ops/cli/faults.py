"""`pipeline-ops faults`: the fault catalogue, each fault with its failure mode, sources and checks.

Data faults are injected with `pipeline-ops generate --fault NAME[@DATE]`; the other kinds
(config, unit-test, ops) are listed so the catalogue covers every failure mode the runbooks name.
Nothing here imports Dagster at module level (`--verify` loads the check registry when asked).
"""

from __future__ import annotations

import argparse
import json
import sys

KINDS = ("data", "config", "unit-test", "ops")


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "faults",
        help="list the fault catalogue: failure mode, sources, checks expected to catch each fault",
        description="Every catalogued fault: the runbook section of its failure mode, the landing sources it "
        "touches and the checks that must fail on its partition. Data faults are injected with "
        "`pipeline-ops generate --fault NAME[@YYYY-MM-DD]`.",
    )
    cmd.add_argument("--kind", choices=KINDS, help="only faults of this kind")
    cmd.add_argument("--json", action="store_true", help="print JSON (one object per fault)")
    cmd.add_argument("--verify", action="store_true",
                     help="also check that every expected check is registered (exit 1 if one is not)")
    cmd.set_defaults(func=run_faults)


def _entry(fault) -> dict:
    return {
        "name": fault.name, "kind": fault.kind, "failure_mode": fault.failure_mode, "runbook": fault.runbook_anchor,
        "sources": list(fault.sources), "reads": list(fault.reads), "detected_by": list(fault.detected_by),
        "may_also_fail": list(fault.may_also_fail), "fails_closed": list(fault.guarded_by),
        "lag_days": fault.lag_days, "config": dict(fault.config), "assets": list(fault.assets),
        "covered_by": list(fault.covered_by), "limit": fault.limit, "description": fault.description,
    }


def registered_checks() -> set[str]:
    """'asset.check' of every registered check, arrival checks included (loads the check modules)."""
    import warnings

    from pipeline_ops.config import current_config

    with warnings.catch_warnings():  # the check modules load asset code; its beta notices are noise here
        warnings.simplefilter("ignore")
        from pipeline_ops.quality.registry import registry

        names = {f"{aq.asset}.{c.name}" for aq in registry().values() for c in aq.checks}
    return names | {f"landing/{s}.arrived" for s in current_config().quality.arrivals}


def _format(entry: dict, missing: set[str]) -> str:
    mark = lambda names: ", ".join(n + (" (NOT REGISTERED)" if n in missing else "") for n in names)  # noqa: E731
    lines = [f"{entry['name']}  [{entry['kind']}]  {entry['runbook']}"]
    if entry["sources"] or entry["reads"]:
        reads = f" (reads {', '.join(entry['reads'])})" if entry["reads"] else ""
        lines.append(f"  sources: {', '.join(entry['sources'])}{reads}")
    if entry["config"]:
        lines.append(f"  config: {json.dumps(entry['config'])} (changes {', '.join(entry['assets'])})")
    if entry["detected_by"]:
        lag = f" (on the fault's day, recomputed {entry['lag_days']} days later)" if entry["lag_days"] else ""
        lines.append(f"  caught by: {mark(entry['detected_by'])}{lag}")
    if entry["fails_closed"]:
        lines.append(f"  fails closed: {', '.join(entry['fails_closed'])} (the step fails naming the file and rows)")
    if entry["may_also_fail"]:
        lines.append(f"  may also fail: {mark(entry['may_also_fail'])}")
    if entry["limit"]:
        lines.append(f"  not claimed by any check: {entry['limit']}")
    for text in entry["covered_by"]:
        lines.append(f"  covered by: {text}")
    lines.append(f"  {entry['description']}")
    return "\n".join(lines)


def run_faults(args: argparse.Namespace) -> int:
    from pipeline_ops.generate.faults import CATALOGUE

    entries = [_entry(f) for f in CATALOGUE.values() if args.kind in (None, f.kind)]
    missing: set[str] = set()
    if args.verify:
        known = registered_checks()
        missing = {n for e in entries for n in (*e["detected_by"], *e["may_also_fail"]) if n not in known}
    if args.json:
        for e in entries:
            e["not_registered"] = sorted(n for n in (*e["detected_by"], *e["may_also_fail"]) if n in missing)
        print(json.dumps(entries, indent=2))
    else:
        print("\n\n".join(_format(e, missing) for e in entries))
        counts = {k: sum(e["kind"] == k for e in entries) for k in KINDS}
        print(f"\n{len(entries)} faults: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n))
    if missing:
        print(f"pipeline-ops faults: {len(missing)} expected check(s) not registered: {', '.join(sorted(missing))}",
              file=sys.stderr)
        return 1
    return 0
