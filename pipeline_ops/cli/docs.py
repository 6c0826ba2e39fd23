"""`pipeline-ops docs ...`: regenerate (or check) documentation pages generated from code."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    docs = sub.add_parser("docs", help="write or check documentation generated from code")
    targets = docs.add_subparsers(dest="docs_target", required=True, metavar="PAGE")
    landing = targets.add_parser("landing", help="docs/landing_zone.md, from the landing contract")
    landing.add_argument("--check", action="store_true", help="only check that the page is up to date (exit 1 if not)")
    landing.add_argument("--path", help="write here instead of docs/landing_zone.md")
    landing.set_defaults(func=run_landing)
    metrics = targets.add_parser("metrics", help="the README's metric tables, from pipeline_ops/metrics/")
    metrics.add_argument("--check", action="store_true", help="only check that the README is up to date (exit 1 if not)")
    metrics.set_defaults(func=run_metrics)
    checks = targets.add_parser("checks", help="docs/checks.md, from the registered asset checks")
    checks.add_argument("--check", action="store_true", help="only check that the page is up to date (exit 1 if not)")
    checks.set_defaults(func=run_checks)


def _page(path, sync, command: str, check: bool) -> int:
    """Write a generated page, or with `check` exit 1 when it is out of date."""
    if check:
        if sync(path, check=True):
            print(f"{path} is up to date")
            return 0
        print(f"{path} is out of date: run `pipeline-ops docs {command}`", file=sys.stderr)
        return 1
    sync(path)
    print(f"wrote {path}")
    return 0


def run_landing(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline_ops.landing.docs import DOC_PATH, sync_landing_docs

    return _page(Path(args.path) if args.path else DOC_PATH, sync_landing_docs, "landing", args.check)


def run_metrics(args: argparse.Namespace) -> int:
    from pipeline_ops.metrics.catalog import sync_readme
    from pipeline_ops.settings import PROJECT_DIR

    readme = PROJECT_DIR / "README.md"
    if args.check:
        if sync_readme(readme, check=True):
            print(f"{readme} metric tables are up to date")
            return 0
        print(f"{readme} metric tables are out of date: run `pipeline-ops docs metrics`", file=sys.stderr)
        return 1
    sync_readme(readme, check=False)
    print(f"wrote the metric tables in {readme}")
    return 0


def run_checks(args: argparse.Namespace) -> int:
    from pipeline_ops.quality.docs import DOC_PATH, sync_checks_docs

    return _page(DOC_PATH, sync_checks_docs, "checks", args.check)
