"""Owners, tags, groups, kinds and runbook links for assets, read from the pipeline config.

Every asset belongs to one pipeline (its `pipeline` tag). Owners are the pipeline's primary and
secondary owners' emails; the group is the pipeline's domain. Runbook links point at the runbook
file, as a URL when PIPELINE_OPS_RUNBOOK_BASE_URL is set (e.g. your repository's web view).
"""

from __future__ import annotations

import os

import dagster as dg

from pipeline_ops.config import current_config
from pipeline_ops.settings import PROJECT_DIR


def runbook_link(runbook: str, section: str | None = None) -> str:
    base = os.environ.get("PIPELINE_OPS_RUNBOOK_BASE_URL", "").rstrip("/")
    anchor = f"#{section}" if section else ""
    return f"{base}/{runbook}{anchor}" if base else f"{PROJECT_DIR / runbook}{anchor}"


def pipeline_asset_args(pipeline_key: str, kinds: set[str], section: str | None = None) -> dict:
    """Keyword arguments for @asset / AssetSpec that tie an asset to its pipeline in config."""
    cfg = current_config()
    pipeline = cfg.pipeline(pipeline_key)
    owners = [cfg.member(m).email for m in (pipeline.primary_owner, pipeline.secondary_owner)]
    return {
        "owners": owners,
        "kinds": kinds,
        "group_name": pipeline.domain,
        "tags": {"pipeline": pipeline.key, "domain": pipeline.domain, "audience": pipeline.audience},
        "metadata": {
            "runbook": dg.MetadataValue.url(runbook_link(pipeline.runbook, section))
            if os.environ.get("PIPELINE_OPS_RUNBOOK_BASE_URL")
            else dg.MetadataValue.path(runbook_link(pipeline.runbook, section)),
            "pipeline": pipeline.title,
            "sla": f"{pipeline.sla.cadence} by {pipeline.sla.deadline} {pipeline.sla.timezone}",
        },
    }
