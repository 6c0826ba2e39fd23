"""`pipeline-ops` entry point: each command group lives in its own module with a `register()`.

Modules are imported only when the process starts, and none of them imports Dagster or Spark at
module level, so `pipeline-ops --help` and the on-call commands stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from pipeline_ops.cli.args import Parser
from pipeline_ops.config.errors import ConfigError

# Each module defines register(subparsers) adding its commands; a command sets func=callable(args)->int.
COMMAND_MODULES = [
    "pipeline_ops.cli.generate",
    "pipeline_ops.cli.faults",
    "pipeline_ops.cli.docs",
    "pipeline_ops.cli.lake",
    "pipeline_ops.cli.oncall",
    "pipeline_ops.cli.incidents",
    "pipeline_ops.cli.spark",
    "pipeline_ops.cli.backfill",
]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="pipeline-ops",
        description="Keep a data team's pipelines healthy: generate data, query the lake, ask who is on call.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # command group not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Commands that load asset modules (docs checks, faults) would print Dagster's beta/preview
    # notices (backfill policies, partitioned checks) on every call, as definitions.py also silences.
    warnings.filterwarnings("ignore", message=r".*is currently in (beta|preview)")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"pipeline-ops: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
