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


def run_landing(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline_ops.landing.docs import DOC_PATH, sync_landing_docs

    path = Path(args.path) if args.path else DOC_PATH
    if args.check:
        if sync_landing_docs(path, check=True):
            print(f"{path} is up to date")
            return 0
        print(f"{path} is out of date: run `pipeline-ops docs landing`", file=sys.stderr)
        return 1
    sync_landing_docs(path)
    print(f"wrote {path}")
    return 0


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

    if args.check:
        if sync_checks_docs(DOC_PATH, check=True):
            print(f"{DOC_PATH} is up to date")
            return 0
        print(f"{DOC_PATH} is out of date: run `pipeline-ops docs checks`", file=sys.stderr)
        return 1
    sync_checks_docs(DOC_PATH)
    print(f"wrote {DOC_PATH}")
    return 0
