"""The Dagster side of the checks: specs for the asset decorators, evaluations for the event log.

Every check is declared on its asset (`check_specs=`), partitioned like the asset, so the asset's
Checks tab and the asset-check pages list it with its latest result per partition. Results are
computed inside the asset run, on the staged partitions, and recorded as one
`AssetCheckEvaluation` per partition (also in single-run backfills, where Dagster's own
`AssetCheckResult` would carry no partition). Investor-path checks are `blocking=True`.
"""

from __future__ import annotations

import json
from typing import Any

import dagster as dg

from pipeline_ops.asset_meta import runbook_link
from pipeline_ops.config import current_config
from pipeline_ops.quality.audit import CheckResult
from pipeline_ops.quality.outcome import enforcing, verdict
from pipeline_ops.quality.registry import quality_of


def check_specs(asset: str, partitions_def: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    """The specs of every check registered for `asset` (none when it has no quality spec)."""
    aq = quality_of(asset)
    if aq is None:
        return []
    return [
        dg.AssetCheckSpec(
            name=c.name, asset=dg.AssetKey(asset.split("/")), description=c.description,
            blocking=c.investor_path, partitions_def=partitions_def,
            metadata={"dimension": c.dimension, "runbook_section": c.section,
                      "failure_modes": ", ".join(c.failure_modes) or c.section},
        )
        for c in aq.checks
    ]


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def runbook_value(pipeline_key: str, section: str) -> dg.MetadataValue:
    link = runbook_link(current_config().pipeline(pipeline_key).runbook, section)
    return dg.MetadataValue.url(link) if "://" in link else dg.MetadataValue.path(link)


def evaluation(result: CheckResult, pipeline_key: str) -> dg.AssetCheckEvaluation:
    """One partition's result as Dagster records it: actionable at 3 a.m., JSON-safe, no secrets."""
    check, outcome, v = result.check, result.outcome, verdict(result.check, result.outcome)
    cfg = current_config()
    pipeline = cfg.pipeline(pipeline_key)
    metadata: dict[str, Any] = {
        "partition": result.partition,
        "level": outcome.level,
        "summary": outcome.summary,
        "runbook": runbook_value(pipeline_key, check.section),
        "owners": ", ".join(cfg.member(m).email for m in (pipeline.primary_owner, pipeline.secondary_owner)),
        "pipeline": pipeline_key,
        "dimension": check.dimension,
        "observed": dg.MetadataValue.json(_json_safe(outcome.observed)),
        "bound": dg.MetadataValue.json(_json_safe(outcome.bound)),
        "failing_count": outcome.failing_count,
    }
    if outcome.sample:
        metadata["sample"] = dg.MetadataValue.json(_json_safe(outcome.sample))
    if outcome.sql:
        metadata["sql"] = dg.MetadataValue.text(outcome.sql)
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(check.asset.split("/")), check_name=check.name, passed=v.passed,
        severity=dg.AssetCheckSeverity(v.severity), blocking=check.can_block and enforcing(),
        description=outcome.summary, metadata=metadata, partition=result.partition,
    )
