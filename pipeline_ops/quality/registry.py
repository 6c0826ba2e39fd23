"""Every asset's quality spec, collected from the pipelines' `checks.py` modules.

Importing this module imports no Dagster and no Spark: checks are plain data and DuckDB/polars
functions, so they can be listed (`pipeline-ops faults`, the runbook tests) without loading the
definitions.
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
