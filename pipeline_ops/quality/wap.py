"""Write-audit-publish: audit staged partitions, record the results, publish only what passed.

Every asset's publish (pandas `publish_frame`, Spark `publish_spark_frames`) stages its partitions
first; `audit_staged` then runs the asset's checks on exactly those staged files and yields one
`AssetCheckEvaluation` per check and partition. If any result blocks (an ERROR on the investor
path), every staged write of the run is removed and the step fails with `dg.Failure` naming the
checks and partitions: the lake keeps what it had (the previous good version, or nothing),
downstream assets are skipped, and the failing results with their samples are in the Checks tab.
A run is all or nothing: one blocked day in a backfill publishes none of the run's days (re-run
the range without it, or fix it and re-run).

Profiles are recorded for every audited partition, published or not, with the metrics of a
failed partition flagged, so a bad day never becomes part of a later baseline.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import dagster as dg

from pipeline_ops.config import current_config
from pipeline_ops.lake.storage import Lake, StagedWrite, partition_column
from pipeline_ops.quality.audit import AuditContext, CheckResult, audit
from pipeline_ops.quality.dagster_checks import evaluation
from pipeline_ops.quality.outcome import verdict
from pipeline_ops.quality.profile import write_profile
from pipeline_ops.quality.registry import quality_of


def staged_files(lake: Lake, staged: StagedWrite) -> dict[str, list[str]]:
    """The Parquet files of each staged partition (an empty partition has a zero-row file)."""
    out = {}
    for p in staged.partitions:
        folder = f"{staged.staging_dir}/{partition_column(p)}={p}"
        out[p] = sorted(lake.fs.glob(f"{folder}/*.parquet"))
    return out


def audit_staged(
    context: dg.AssetExecutionContext, lake: Lake, staged: Sequence[StagedWrite],
    extra: Mapping[str, Any] | None = None,
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """Audit each staged write that has a quality spec; raise `dg.Failure` (after aborting all) if any blocks."""
    results: list[CheckResult] = []
    for write in staged:
        aq = quality_of(write.asset)
        if aq is None:
            continue
        files = staged_files(lake, write)
        if any(not f for f in files.values()):
            continue  # nothing was staged for a partition: the publish step reports that itself
        ctx = AuditContext(lake, write.asset, aq.pipeline, files, current_config(), extra)
        found = audit(ctx, aq.checks, aq.profile)
        for r in found:
            yield evaluation(r, aq.pipeline)
        for p, profile in ctx.profiles.items():
            if any(r.partition == p and r.outcome.level == "error" for r in found):
                profile.flagged.update(profile.metrics)
            write_profile(lake, write.asset, p, profile, context.run.run_id)
        results += found
    blocking = [r for r in results if verdict(r.check, r.outcome).blocks]
    if blocking:
        for write in staged:
            lake.abort(write)
        lines = [f"{r.check.asset}.{r.check.name} [{r.partition}]: {r.outcome.summary}" for r in blocking[:10]]
        raise dg.Failure(
            description=(
                f"{len(blocking)} blocking check result(s) failed; nothing of this run was published "
                "(the lake keeps its previous version). See the asset's Checks tab for samples and the runbook.\n"
                + "\n".join(lines)
            ),
            metadata={"blocked_partitions": sorted({r.partition for r in blocking}),
                      "failed_checks": sorted({f"{r.check.asset}.{r.check.name}" for r in blocking})},
            allow_retries=False,
        )
    # The step's check outputs (Dagster requires one per selected check; results are the evaluations above).
    for key in sorted(context.selected_asset_check_keys, key=str):
        yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(key))


def audit_landing_for(
    context: dg.AssetExecutionContext, asset: str, zone, lake: Lake, days,
) -> Iterator[dg.AssetCheckEvaluation]:
    """The asset's landing-contract checks for the run's days (see `quality.landing`)."""
    from pipeline_ops.quality.landing import audit_landing

    aq = quality_of(asset)
    if aq is not None:
        yield from audit_landing(context, zone, lake, current_config(), aq.pipeline, aq.checks, days)
