"""Profit pipelines: staging (revenue, costs in USD) and the unit-level/aggregate outputs."""

from pipeline_ops.profit.assets import ASSETS

__all__ = ["ASSETS"]
