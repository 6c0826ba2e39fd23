"""Partitions: one per UTC calendar day for daily assets, one per month for the investor report.

The metric day is the UTC calendar day everywhere (documented in README "Metric definitions"),
starting at `processing.partitions_start` in the config.
"""

from __future__ import annotations

import dagster as dg

from pipeline_ops.config import current_config


def daily_partitions() -> dg.DailyPartitionsDefinition:
    start = current_config().processing.partitions_start
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC")


def monthly_partitions() -> dg.MonthlyPartitionsDefinition:
    start = current_config().processing.partitions_start.replace(day=1)
    return dg.MonthlyPartitionsDefinition(start_date=start.strftime("%Y-%m"), timezone="UTC", fmt="%Y-%m")


def partition_keys(context: dg.AssetExecutionContext) -> list[str]:
    """The partition keys this run materializes (one, or a range in a single-run backfill)."""
    return list(context.partition_keys)
