"""Landing sources as external assets: visible in the graph, owned, partitioned, never materialized here."""

from pipeline_ops.sources.assets import ASSETS, landing_key

__all__ = ["ASSETS", "landing_key"]
