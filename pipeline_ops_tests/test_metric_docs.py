"""Metric definitions are written once: the README shows exactly what the code publishes."""

import importlib

from pipeline_ops.lake.schema import OutputSchema
from pipeline_ops.metrics.catalog import DOMAINS, all_metrics, sync_readme
from pipeline_ops.settings import PROJECT_DIR


def output_columns() -> dict[str, set[str]]:
    columns: dict[str, set[str]] = {}
    for domain in DOMAINS:
        module = importlib.import_module(f"pipeline_ops.metrics.{domain}")
        for value in vars(module).values():
            if isinstance(value, OutputSchema):
                columns[value.asset] = set(value.names)
    return columns


def test_readme_metric_tables_are_in_sync():
    assert sync_readme(PROJECT_DIR / "README.md", check=True), "run `pipeline-ops docs metrics`"


def test_every_documented_metric_is_a_published_column():
    columns = output_columns()
    for metric in all_metrics():
        assert metric.name in columns.get(metric.asset, set()), f"{metric.asset}.{metric.name} is documented but not published"


def test_every_output_table_records_its_definition_version():
    for asset, names in output_columns().items():
        assert "definition_version" in names, asset
