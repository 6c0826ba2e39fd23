"""`pipeline-ops backfill PIPELINE --from KEY --to KEY [--approved-by MEMBER --reason WHY]`.

Launches a backfill of the pipeline (its output and the lake assets upstream of it, as its job
selects) through the running webserver, so the daemon runs it and it shows in the UI. Investor
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

from pipeline_ops.cli.args import typed


def _key(text: str) -> str:
    """A real day (YYYY-MM-DD) or month (YYYY-MM); which one the pipeline takes is checked later."""
    if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", text):
        raise ValueError(text)
    dt.datetime.strptime(text, "%Y-%m-%d" if len(text) == 10 else "%Y-%m")  # ValueError on 2025-13-40
    return text


KEY = typed(_key, "a partition key, YYYY-MM-DD (daily pipelines) or YYYY-MM (the monthly report)")


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("backfill", help="launch a backfill of a pipeline through the Dagster webserver")
    cmd.add_argument("pipeline", help="pipeline key, e.g. profit_aggregate (config: pipelines[].key)")
    cmd.add_argument("--from", dest="start", required=True, type=KEY, help="first partition, inclusive")
    cmd.add_argument("--to", dest="end", type=KEY, help="last partition, inclusive (default: --from)")
    cmd.add_argument("--approved-by", help="member id of an owner approving a replacement of investor numbers")
    cmd.add_argument("--reason", help="why the published numbers are replaced (required with --approved-by)")
    cmd.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('PIPELINE_OPS_PORT', '3000')}",
                     help="the Dagster webserver (default: http://127.0.0.1:$PIPELINE_OPS_PORT, port 3000)")
    cmd.set_defaults(func=run_backfill)


def _fail(message: str) -> int:
    print(f"pipeline-ops backfill: {message}", file=sys.stderr)
    return 2


def run_backfill(args: argparse.Namespace) -> int:
    import dagster as dg

    from pipeline_ops.backfills.approval import approval_tags, judge
    from pipeline_ops.backfills.launch import LaunchError, launch_backfill
    from pipeline_ops.config import current_config
    from pipeline_ops.partitions import daily_partitions, monthly_partitions

    cfg = current_config()
    pipelines = {p.key: p for p in cfg.pipelines}
    if args.pipeline not in pipelines:
        return _fail(f"argument PIPELINE: expected one of {', '.join(pipelines)}, got {args.pipeline!r}")
    if (args.approved_by is None) != (args.reason is None):
        return _fail("arguments --approved-by and --reason go together: who approved it, and why")
    pipeline, end = pipelines[args.pipeline], args.end or args.start
    monthly = pipeline.sla.cadence == "monthly"
    parts = monthly_partitions() if monthly else daily_partitions()
    for flag, key in (("--from", args.start), ("--to", end)):
        if not parts.has_partition_key(key):
            form = "YYYY-MM" if monthly else "YYYY-MM-DD"
            return _fail(f"argument {flag}: expected a {form} partition of {pipeline.key} from "
                         f"{parts.get_first_partition_key()} on, got {key!r}")
    keys = list(parts.get_partition_keys_in_range(dg.PartitionKeyRange(args.start, end)))
    if not keys:
        return _fail(f"arguments --from/--to: {args.start} is after {end}")
    tags = approval_tags(args.approved_by, args.reason) if args.approved_by else {}
    if tags and pipeline.audience == "investor":
        verdict = judge(tags, {}, {pipeline.key: [pipeline.primary_owner, pipeline.secondary_owner]})
        if not verdict.allowed:
            return _fail(f"argument --approved-by: {verdict.why}")
    from pipeline_ops.definitions import defs

    output = dg.AssetSelection.assets(pipeline.key)
    selection = output if monthly else output.upstream().materializable()
    assets = sorted(k.to_user_string() for k in selection.resolve(defs.resolve_asset_graph()))
    title = f"{pipeline.key} {keys[0]}..{keys[-1]}" + (f" approved by {args.approved_by}" if tags else "")
    try:
        backfill_id = launch_backfill(args.url, assets, keys, tags, title)
    except LaunchError as exc:
        return _fail(str(exc))
    print(f"launched backfill {backfill_id}: {pipeline.key} and {len(assets) - 1} upstream assets, "
          f"{keys[0]}..{keys[-1]} ({len(keys)} partitions)" + (f", approved by {args.approved_by}: {args.reason}" if tags else ""))
    print(f"follow it: {args.url.rstrip('/')}/runs/b/{backfill_id}?tab=partitions")
    if pipeline.audience == "investor" and not tags:
        print(f"note: {pipeline.key} is investor-facing: runs that would replace published partitions are refused "
              "without --approved-by and --reason (a first build needs none)")
    return 0
