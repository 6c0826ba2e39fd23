"""Growth pipelines: staging (accounts per day, events in USD) and the daily/aggregate outputs."""

from pipeline_ops.growth.assets import ASSETS

__all__ = ["ASSETS"]
