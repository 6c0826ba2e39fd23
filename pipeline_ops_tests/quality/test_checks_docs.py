"""docs/checks.md is generated from the check registry and must be in sync with it."""

from pipeline_ops.quality.docs import DOC_PATH, render_checks_docs, sync_checks_docs
from pipeline_ops.quality.registry import registry


def test_checks_page_is_in_sync():
    assert sync_checks_docs(DOC_PATH, check=True), "docs/checks.md is stale: run `pipeline-ops docs checks`"


def test_checks_page_lists_every_check_with_its_runbook_anchor():
    text = render_checks_docs()
    for asset, aq in registry().items():
        assert f"### `{asset}`" in text
        for check in aq.checks:
            assert f"| `{check.name}` |" in text and f"#{check.section})" in text
