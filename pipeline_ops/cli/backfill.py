"""`pipeline-ops backfill PIPELINE|--all --from KEY --to KEY [--approved-by MEMBER --reason WHY]`.

Launches a backfill of the pipeline (its output and the lake assets upstream of it, as its job
selects), or of every asset (`--all`, what `make run` launches on its first start), through the
running webserver, so the daemon runs it and it shows in the UI. Investor
outputs already published are replaced only with an approval: `--approved-by` (a primary or
secondary owner of the output) and `--reason` become the run tags the investor guard checks; a
wrong approver is refused here, before anything is launched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys

from pipeline_ops.cli.args import POSITIVE_INT, typed


def _key(text: str) -> str:
    """A real day (YYYY-MM-DD) or month (YYYY-MM); which one the pipeline takes is checked later."""
    if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", text):
        raise ValueError(text)
    dt.datetime.strptime(text, "%Y-%m-%d" if len(text) == 10 else "%Y-%m")  # ValueError on 2025-13-40
    return text


KEY = typed(_key, "a partition key, YYYY-MM-DD (daily pipelines) or YYYY-MM (the monthly report)")


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("backfill", help="launch a backfill of a pipeline (or of everything) through the Dagster webserver")
    cmd.add_argument("pipeline", nargs="?", help="pipeline key, e.g. profit_aggregate (config: pipelines[].key)")
    cmd.add_argument("--all", action="store_true",
                     help="every pipeline instead: each daily asset over the days, the monthly report for each "
                          "month wholly inside them")
    cmd.add_argument("--from", dest="start", required=True, type=KEY, help="first partition, inclusive")
    cmd.add_argument("--to", dest="end", type=KEY, help="last partition, inclusive (default: --from)")
    cmd.add_argument("--approved-by", help="member id of an owner approving a replacement of investor numbers")
    cmd.add_argument("--reason", help="why the published numbers are replaced (required with --approved-by)")
    cmd.add_argument("--title", help="the backfill's title in the UI (default: what it covers)")
    cmd.add_argument("--wait", type=POSITIVE_INT, metavar="SECONDS",
                     help="wait up to SECONDS for the daemon to finish it; exit 1 unless every run succeeded")
    cmd.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('PIPELINE_OPS_PORT', '3000')}",
                     help="the Dagster webserver (default: http://127.0.0.1:$PIPELINE_OPS_PORT, port 3000)")
    cmd.set_defaults(func=run_backfill)


def _fail(message: str) -> int:
    print(f"pipeline-ops backfill: {message}", file=sys.stderr)
    return 2


def _whole_months(first: dt.date, last: dt.date) -> tuple[str, str] | None:
    """The first and last month (YYYY-MM) lying wholly inside first..last, if any."""
    start = first if first.day == 1 else (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    end = last.replace(day=1) if (last + dt.timedelta(days=1)).day == 1 else \
        (last.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return (start.strftime("%Y-%m"), end.strftime("%Y-%m")) if start <= end else None


def _wrong_keys(start: str, end: str, parts, what: str) -> str | None:
    """What is wrong with --from/--to for these partitions, or None."""
    for flag, key in (("--from", start), ("--to", end)):
        if not parts.has_partition_key(key):
            return f"argument {flag}: expected {what} from {parts.get_first_partition_key()} on, got {key!r}"
    return f"arguments --from/--to: {start} is after {end}" if start > end else None


def _ranges(args: argparse.Namespace, pipelines: dict) -> tuple[dict[str, tuple[str, str]], list, str] | str:
    """asset -> (first, last partition), the investor pipelines touched, a label; or an error."""
    import dagster as dg

    from pipeline_ops.definitions import defs
    from pipeline_ops.partitions import daily_partitions, monthly_partitions

    end = args.end or args.start
    graph = defs.resolve_asset_graph()
    if args.all:
        wrong = _wrong_keys(args.start, end, daily_partitions(), "a YYYY-MM-DD day")
        if wrong:
            return wrong
        months = _whole_months(dt.date.fromisoformat(args.start), dt.date.fromisoformat(end))
        ranges = {}
        for key in graph.materializable_asset_keys:
            partitions = graph.get(key).partitions_def
            if isinstance(partitions, dg.DailyPartitionsDefinition):
                ranges[key.to_user_string()] = (args.start, end)
            elif isinstance(partitions, dg.MonthlyPartitionsDefinition) and months:
                ranges[key.to_user_string()] = months
        touched = [p for p in pipelines.values() if p.key in ranges]
        return ranges, touched, f"every pipeline {args.start}..{end}" + (f" (report {months[0]}..{months[1]})" if months else "")
    if args.pipeline not in pipelines:
        return f"argument PIPELINE: expected one of {', '.join(pipelines)} (or --all), got {args.pipeline!r}"
    pipeline = pipelines[args.pipeline]
    monthly = pipeline.sla.cadence == "monthly"
    parts = monthly_partitions() if monthly else daily_partitions()
    wrong = _wrong_keys(args.start, end, parts, f"a {'YYYY-MM' if monthly else 'YYYY-MM-DD'} partition of {pipeline.key}")
    if wrong:
        return wrong
    output = dg.AssetSelection.assets(pipeline.key)
    selection = output if monthly else output.upstream().materializable()
    ranges = {k.to_user_string(): (args.start, end) for k in selection.resolve(graph)}
    return ranges, [pipeline], f"{pipeline.key} and {len(ranges) - 1} upstream assets, {args.start}..{end}"


def run_backfill(args: argparse.Namespace) -> int:
    from pipeline_ops.backfills.approval import approval_tags, judge
    from pipeline_ops.backfills.launch import LaunchError, launch_backfill, wait_for_backfill
    from pipeline_ops.config import current_config

    if args.all == (args.pipeline is not None):
        return _fail("expected a PIPELINE or --all (one of them)")
    if (args.approved_by is None) != (args.reason is None):
        return _fail("arguments --approved-by and --reason go together: who approved it, and why")
    pipelines = {p.key: p for p in current_config().pipelines}
    found = _ranges(args, pipelines)
    if isinstance(found, str):
        return _fail(found)
    ranges, touched, label = found
    investor = [p for p in touched if p.audience == "investor"]
    tags = approval_tags(args.approved_by, args.reason) if args.approved_by else {}
    if tags and investor:
        verdict = judge(tags, {}, {p.key: [p.primary_owner, p.secondary_owner] for p in investor})
        if not verdict.allowed:
            return _fail(f"argument --approved-by: {verdict.why}")
    try:
        backfill_id = launch_backfill(args.url, ranges, tags, args.title or label)
    except LaunchError as exc:
        return _fail(str(exc))
    print(f"launched backfill {backfill_id}: {label}" + (f", approved by {args.approved_by}: {args.reason}" if tags else ""))
    print(f"follow it: {args.url.rstrip('/')}/runs/b/{backfill_id}?tab=partitions")
    if investor and not tags:
        print(f"note: {', '.join(p.key for p in investor)} investor-facing: runs that would replace published "
              "partitions are refused without --approved-by and --reason (a first build needs none)")
    if args.wait is None:
        return 0
    try:
        status = wait_for_backfill(args.url, backfill_id, args.wait)
    except LaunchError as exc:
        return _fail(str(exc))
    print(f"backfill {backfill_id}: {status}")
    return 0 if status in ("COMPLETED", "COMPLETED_SUCCESS") else 1
