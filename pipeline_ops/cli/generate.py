"""`pipeline-ops generate`: write a deterministic synthetic landing zone (the SaaS company)."""

from __future__ import annotations

import argparse
import sys

from pipeline_ops.cli.args import DATE, INT, POSITIVE_INT, SCALE

# Kept here (not imported from pipeline_ops.generate) so `--help` stays fast; a test keeps them in sync.
# `pipeline-ops faults` describes each one with its failure mode and the checks that catch it.
FAULT_NAMES = (
    "missing_fx_partition", "missing_revenue_partition", "missing_expenses_partition", "missing_salaries_partition",
    "missing_accounts_partition", "missing_subscription_events_partition",
    "missing_experiment_assignments_partition", "missing_click_partition", "schema_new_column",
    "int_widened_to_decimal", "nullability_flip", "fx_misaligned_by_a_day", "fx_missing_currency",
    "revenue_missing_accounts", "revenue_duplicate_new_ids", "revenue_restated", "cost_spike",
    "expenses_in_minor_units", "salaries_new_team", "accounts_missing_slice", "duplicate_accounts_new_ids",
    "accounts_repeated_id", "negative_licences", "accounts_restated", "impossible_growth",
    "duplicate_subscription_events_new_ids", "experiment_exclusions_dropped", "assignment_unit_in_both_arms",
    "assignment_unit_in_two_experiments", "kafka_outage", "duplicate_click_deliveries", "duplicate_clicks_new_ids",
    "late_partition", "late_events_backlog", "bot_wave_human_speed", "clicks_wrong_timezone",
    "malformed_click_lines", "click_events_row_drop",
)


def register(sub: argparse._SubParsersAction) -> None:
    gen = sub.add_parser(
        "generate",
        help="write synthetic landing data (accounts, billing, FX, costs, clicks, experiments)",
        description="Write a deterministic landing zone following docs/landing_zone.md: the same arguments give "
        "byte-identical files. Click deliveries that arrive after the last day land in later folders, which are "
        "written too.",
    )
    gen.add_argument("--landing", required=True, help="landing root (a path or fsspec URL)")
    gen.add_argument("--start", required=True, type=DATE, help="first day, YYYY-MM-DD (UTC)")
    gen.add_argument("--days", required=True, type=POSITIVE_INT, help="number of days")
    gen.add_argument("--scale", type=SCALE, default=1.0,
                     help="1 = ~2,000 accounts, 20,000 users, 200,000 click events a day at --start (linear; default 1)")
    gen.add_argument("--seed", type=INT, default=7, help="random seed (default 7)")
    gen.add_argument("--sources", help="comma-separated sources to write (default: all)")
    gen.add_argument("--fault", action="append", default=[], metavar="NAME[@YYYY-MM-DD]",
                     help="inject a named fault on a day (default: the last day); repeatable; `pipeline-ops faults` "
                          f"describes each; one of: {', '.join(FAULT_NAMES)}")
    gen.set_defaults(func=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    from pipeline_ops.generate import generate_landing

    sources = [s.strip() for s in args.sources.split(",") if s.strip()] if args.sources else None
    try:
        summary = generate_landing(args.landing, args.start, args.days, scale=args.scale, seed=args.seed,
                                   sources=sources, faults=args.fault)
    except (ValueError, KeyError) as exc:
        print(f"pipeline-ops generate: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    print(summary.format())
    return 0
