"""`experiment_late_data_sensor`: rebuilds experiment outputs when their landing data changes late.

Every 5 minutes it fingerprints the landing folders of the last 7 UTC days that the experiment
outputs read (late_data.py says which days a change rebuilds and why), and launches one run of the
output's job per range of consecutive days, tagged `pipeline_ops/trigger=late-data` and with the
changed folders. The cursor holds the fingerprints, so a restart re-launches nothing, and the
run key is derived from the change, so a tick evaluated twice launches one run. Monthly sources
(salaries) are not watched: a restated payroll month is rebuilt by an engineer.
"""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg

from pipeline_ops.backfills.late_data import Fingerprints, Rebuild, changed_folders, fingerprint, rebuilds, window
from pipeline_ops.config import current_config
from pipeline_ops.landing.contract import SOURCES
from pipeline_ops.landing.reader import LandingZone
from pipeline_ops.resources.lake import LandingResource

TRIGGER = "pipeline_ops/trigger"
LATE_FOLDERS = "pipeline_ops/late_folders"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def folder_fingerprint(zone: LandingZone, source: str, day: dt.date) -> str:
    infos = [zone.fs.info(f) for f in zone.files(source, day, required=False)]
    return fingerprint((str(i["name"]).rsplit("/", 1)[-1], int(i.get("size") or 0),
                        str(i.get("mtime") or i.get("LastModified") or i.get("ETag") or ""))
                       for i in infos)


def experiment_reads(asset_graph) -> dict[str, list[str]]:
    """Each experiment output -> the daily landing sources upstream of it (from the asset graph)."""
    reads = {}
    for pipeline in current_config().pipelines:
        if pipeline.audience != "experiment":
            continue
        ancestors = asset_graph.get_ancestor_asset_keys(dg.AssetKey(pipeline.key))
        reads[pipeline.key] = sorted(k.path[1] for k in ancestors if len(k.path) == 2 and k.path[0] == "landing"
                                     and SOURCES[k.path[1]].cadence == "daily")
    return reads


def run_request(rebuild: Rebuild) -> dg.RunRequest:
    if rebuild.start == rebuild.end:
        partition = {"dagster/partition": rebuild.start}
    else:
        partition = {"dagster/asset_partition_range_start": rebuild.start, "dagster/asset_partition_range_end": rebuild.end}
    folders = ", ".join(rebuild.changed)
    return dg.RunRequest(run_key=rebuild.run_key, job_name=f"{rebuild.output}_job",
                         tags={**partition, TRIGGER: "late-data", LATE_FOLDERS: folders[:200]})


@dg.sensor(
    name="experiment_late_data_sensor", minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.RUNNING,
    description=("Rebuilds profit_unit_level and growth_daily for a day of the last 7 when a landing folder they "
                 "read changes after it was first seen (late or re-delivered data); never older days, never "
                 "investor outputs (those need an approval)."),
)
def experiment_late_data_sensor(context: dg.SensorEvaluationContext, landing: LandingResource) -> dg.SensorResult:
    today, zone = _now().date(), landing.zone()
    reads = experiment_reads(context.repository_def.asset_graph)
    days = window(today)
    now: Fingerprints = {s: {d.isoformat(): folder_fingerprint(zone, s, d) for d in days}
                         for s in sorted({s for sources in reads.values() for s in sources})}
    before: Fingerprints = json.loads(context.cursor) if context.cursor else {}
    changed = changed_folders(before, now)
    keys = {d.isoformat() for d in days}
    built = {o: sorted(context.instance.get_materialized_partitions(dg.AssetKey(o)) & keys) for o in reads}
    runs = rebuilds(changed, reads, built, today)
    for run in runs:
        context.log.info(f"late data: rebuilding {run.output} {run.start}..{run.end} ({', '.join(run.changed)})")
    if changed and not runs:
        context.log.info(f"late data in {changed}: no experiment day built in the window reads it")
    return dg.SensorResult(run_requests=[run_request(r) for r in runs], cursor=json.dumps(now, sort_keys=True))
