"""Arrival checks on the landing sources: `landing/<source>.arrived`, one result per landing day.

`landing_arrival_sensor` (every minute) records, for each source, a result for each day whose
folder has come due (`quality.arrivals`: ahead of the first SLA that needs it), so the on-call
person hears "revenue has not landed" before the dashboard is late: ERROR when the folder is
missing or empty at its due time, a pass when it was there. Each day is reported once: Dagster
keeps one runless evaluation per check and partition, so when a missing day lands later the
sensor logs it and the alert sensor (alerting/observe.py) resolves the alert from the folder
itself; running the check from the UI records the day's current state. The sensor's cursor holds the last day judged and the days still missing, so a
restart neither re-judges history nor forgets a missing day. The same check can be run for any
day from the UI (`arrival_checks`).
"""

import datetime as dt
import json

import dagster as dg

from pipeline_ops.asset_meta import runbook_link
from pipeline_ops.config import current_config
from pipeline_ops.landing.contract import SOURCES
from pipeline_ops.landing.reader import LandingZone, partition_folder
from pipeline_ops.partitions import daily_partitions
from pipeline_ops.resources.lake import LandingResource
from pipeline_ops.sources.arrival import days_to_check, due_at, judge
from pipeline_ops.sources.assets import SOURCE_PIPELINE, landing_key

CHECK_NAME = "arrived"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def evaluate_arrival(zone: LandingZone, source: str, day: dt.date, now: dt.datetime,
                     seen_missing: bool = False) -> dg.AssetCheckEvaluation:
    """The arrival result of one source and day, with what a person needs to act on it."""
    cfg = current_config()
    arrival = cfg.quality.arrivals[source]
    folder = zone.path(partition_folder(SOURCES[source], day))
    files = zone.files(source, day, required=False)
    infos = [zone.fs.info(f) for f in files]
    due = due_at(arrival, day)
    verdict = judge(source, folder, len(files), sum(1 for i in infos if not i.get("size")), due, now, seen_missing)
    pipeline = cfg.pipeline(SOURCE_PIPELINE[source])
    link = runbook_link("runbooks/landing_sources.md", source)
    return dg.AssetCheckEvaluation(
        asset_key=landing_key(source), check_name=CHECK_NAME, partition=day.isoformat(),
        passed=verdict.level == "pass", blocking=False, description=verdict.summary,
        severity=dg.AssetCheckSeverity.ERROR if verdict.level == "error" else dg.AssetCheckSeverity.WARN,
        metadata={
            "partition": day.isoformat(), "level": verdict.level, "summary": verdict.summary, "folder": folder,
            "files": len(files), "bytes": sum(int(i.get("size") or 0) for i in infos),
            "due_at_utc": due.isoformat(), "checked_at_utc": now.isoformat(),
            "minutes_late": verdict.minutes_late if verdict.minutes_late is not None else 0.0,
            "runbook": dg.MetadataValue.url(link) if "://" in link else dg.MetadataValue.path(link),
            "owners": ", ".join(cfg.member(m).email for m in (pipeline.primary_owner, pipeline.secondary_owner)),
            "pipeline": pipeline.key,
        },
    )


def arrival_check(source: str) -> dg.AssetChecksDefinition:
    arrival = current_config().quality.arrivals[source]

    @dg.asset_check(
        asset=landing_key(source), name=CHECK_NAME, partitions_def=daily_partitions(), blocking=False,
        description=(f"The {source} folder of the day is present, non-empty and complete by {arrival.time} "
                     f"{arrival.timezone} on the day +{arrival.days_after} (config quality.arrivals.{source}). "
                     "ERROR: not there once due. Recorded once per day by "
                     "landing_arrival_sensor as days come due."),
        metadata={"runbook_section": source, "dimension": "arrival"},
    )
    def _check(context: dg.AssetCheckExecutionContext, landing: LandingResource):
        return evaluate_arrival(landing.zone(), source, dt.date.fromisoformat(context.partition_key), _now())

    return _check


def arrival_checks() -> list[dg.AssetChecksDefinition]:
    return [arrival_check(s) for s in SOURCES if s in current_config().quality.arrivals]


@dg.sensor(
    name="landing_arrival_sensor", minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records landing/<source>.arrived for every landing day as it comes due (quality.arrivals).",
)
def landing_arrival_sensor(context: dg.SensorEvaluationContext, landing: LandingResource) -> dg.SensorResult:
    state = json.loads(context.cursor) if context.cursor else {}
    now, zone, events = _now(), landing.zone(), []
    for source, arrival in current_config().quality.arrivals.items():
        mine = state.get(source, {"last": None, "missing": []})
        last = dt.date.fromisoformat(mine["last"]) if mine["last"] else None
        missing = [dt.date.fromisoformat(d) for d in mine["missing"]]
        still_missing = []
        for day in days_to_check(arrival, now, last, missing):
            evaluation = evaluate_arrival(zone, source, day, now, seen_missing=day in missing)
            late = evaluation.metadata["level"].value == "error"
            if late:
                still_missing.append(day.isoformat())
            last = max(last or day, day)
            if day in missing:
                # Reported once already: Dagster stores one runless evaluation per check and partition
                # (a second raises a unique-constraint error), so a late landing is logged, and the
                # alert sensor resolves the alert by looking at the folder itself.
                if not late:
                    context.log.info(f"landing/{source} [{day}] landed late: {evaluation.description}")
                continue
            events.append(evaluation)
        state[source] = {"last": last.isoformat() if last else None, "missing": still_missing}
    return dg.SensorResult(asset_events=events, cursor=json.dumps(state, sort_keys=True))
