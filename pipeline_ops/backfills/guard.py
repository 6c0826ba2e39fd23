"""The approval rule (approval.py) applied to every run that would write an investor output.

`INVESTOR_GUARD` is bound to each investor-facing output (`resource_defs`), so Dagster initializes
it, before any step of the run starts, exactly when the run's plan holds one of them, whether the
run comes from the UI, a backfill, the daemon or `dagster job execute`. A refused run fails at
resource initialization: nothing is computed or published, the run gets the tag
`pipeline_ops/refused` (the alert sensor does not page for it) and its error says how to approve.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from pipeline_ops.backfills.approval import JUDGED, REFUSED, judge
from pipeline_ops.config import current_config
from pipeline_ops.partitions import daily_partitions, monthly_partitions

RESOURCE_KEY = "investor_approval"


def investor_outputs() -> list[str]:
    return [p.key for p in current_config().pipelines if p.audience == "investor"]


def run_partitions(tags: Mapping[str, str], monthly: bool) -> list[str]:
    """The partition keys a run writes: its partition, or its single-run range expanded."""
    if "dagster/partition" in tags:
        return [tags["dagster/partition"]]
    start, end = tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")
    if start and end:
        parts = monthly_partitions() if monthly else daily_partitions()
        return list(parts.get_partition_keys_in_range(dg.PartitionKeyRange(start, end)))
    return []


class InvestorApprovalGuard(dg.ConfigurableResource):
    """Refuses a run that would replace published investor numbers without the approval tags.

    Initialized by Dagster before the run's first step whenever the plan holds one of `outputs`."""

    outputs: list[str]  # the investor-facing outputs it guards (config: pipelines with audience investor)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run, instance = context.run, context.instance
        if run is None or instance is None:  # direct invocation of an asset function in a unit test
            return
        # Judged once per run: Dagster initializes resources again for a later step in its own process
        # and when `dagster job execute` reloads the outputs, by which time this run has published.
        current = instance.get_run_by_id(run.run_id)
        if current is not None and current.tags.get(JUDGED) == run.run_id:
            return
        cfg = current_config()
        snapshot = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id) \
            if run.execution_plan_snapshot_id else None
        planned = [o for o in self.outputs if snapshot is None or o in snapshot.step_keys_to_execute]
        monthly = {p.key for p in cfg.pipelines if p.sla.cadence == "monthly"}
        partitions = {o: run_partitions(run.tags, o in monthly) for o in planned}
        published = {o: sorted(instance.get_materialized_partitions(dg.AssetKey(o)) & set(partitions[o]))
                     for o in planned}
        owners = {o: [cfg.pipeline(o).primary_owner, cfg.pipeline(o).secondary_owner] for o in planned}
        verdict = judge(run.tags, published, owners)
        if verdict.allowed:
            instance.add_run_tags(run.run_id, {JUDGED: run.run_id})  # the run id: a re-execution copies tags
            context.log.info(f"investor outputs {', '.join(planned)}: {verdict.why}")
            return
        instance.add_run_tags(run.run_id, {REFUSED: "needs approval"})
        raise dg.Failure(description=verdict.why)


# One object for every investor output: Dagster requires the same resource by identity across a job.
INVESTOR_GUARD = InvestorApprovalGuard(outputs=investor_outputs())
INVESTOR_RESOURCES = {RESOURCE_KEY: INVESTOR_GUARD}
