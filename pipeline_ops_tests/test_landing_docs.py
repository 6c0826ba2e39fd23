"""docs/landing_zone.md is generated from the landing contract and must be in sync with it."""

import argparse

from pipeline_ops.cli import docs as docs_cli
from pipeline_ops.landing.contract import SOURCES
from pipeline_ops.landing.docs import DOC_PATH, render_landing_docs, sync_landing_docs


def test_landing_docs_are_in_sync_with_the_contract():
    assert sync_landing_docs(DOC_PATH, check=True), "docs/landing_zone.md is stale: run `pipeline-ops docs landing`"


def test_landing_docs_cover_every_source_and_column():
    text = render_landing_docs()
    for src in SOURCES.values():
        assert f"### `{src.name}`" in text
        for col in src.columns:
            assert f"| `{col.name}` | {col.dtype} |" in text
    assert "s3://" in text and "PIPELINE_OPS_LANDING" in text


def _run(argv):
    parser = argparse.ArgumentParser()
    docs_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_docs_command_writes_then_checks(tmp_path):
    page = tmp_path / "landing_zone.md"
    assert _run(["docs", "landing", "--check", "--path", str(page)]) == 1
    assert _run(["docs", "landing", "--path", str(page)]) == 0
    assert _run(["docs", "landing", "--check", "--path", str(page)]) == 0
    assert page.read_text() == render_landing_docs()
