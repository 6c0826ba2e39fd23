"""Every asset's quality spec, collected from the pipelines' `checks.py` modules.

Checks are plain data and DuckDB/polars functions; the registry is built on first use (the asset
decorators call it for their check specs). It never starts Spark, so checks can be listed
(`pipeline-ops faults`, `pipeline-ops docs checks`, the runbook tests) cheaply.
"""

from __future__ import annotations

from functools import cache

from pipeline_ops.quality.spec import AssetQuality


@cache
def registry() -> dict[str, AssetQuality]:
    from pipeline_ops.engagement.checks import QUALITY as ENGAGEMENT
    from pipeline_ops.growth.checks import QUALITY as GROWTH
    from pipeline_ops.profit.checks import QUALITY as PROFIT
    from pipeline_ops.reporting.checks import QUALITY as REPORTING
    from pipeline_ops.staging.checks import QUALITY as STAGING

    out: dict[str, AssetQuality] = {}
    for aq in (*STAGING, *PROFIT, *GROWTH, *ENGAGEMENT, *REPORTING):
        if aq.asset in out:
            raise ValueError(f"two quality specs for asset {aq.asset!r}")
        names = [c.name for c in aq.checks]
        if len(names) != len(set(names)):
            raise ValueError(f"{aq.asset}: check names repeat: {names}")
        out[aq.asset] = aq
    return out


def quality_of(asset: str) -> AssetQuality | None:
    return registry().get(asset)
