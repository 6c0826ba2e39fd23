"""`stg_click_events`: the clean click events of each UTC day (Spark), and the quarantine of bad lines.

The set-aside landing lines go to the lake table `quarantine_click_events`, written by this asset
in the same publish as the events (both staged, then both committed; a failure publishes neither).
It is not a Dagster asset of its own: a two-spec multi_asset cannot be selected in part, and the
engagement job selects only `engagement_aggregate`'s upstream, so adding one would break that job
(scheduling.py) or need subsetting that would skip the quarantine. The asset's definition metadata
names the table and its columns; each materialization records its rows and a query to read them.
"""

from collections.abc import Iterator

import datetime as dt

import dagster as dg

from pipeline_ops.quality.dagster_checks import check_specs

from pipeline_ops.asset_meta import pipeline_asset_args
from pipeline_ops.config import current_config
from pipeline_ops.engagement.clean import (
    DROPPED, SET_ASIDE, classify_events, clean_events, event_stats, for_outputs, quarantine_rows, read_click_events, set_aside_sample,
)
from pipeline_ops.engagement.common import PIPELINE, day_range, fs_uri, iso, lateness_days, per_day_metadata, version
from pipeline_ops.engagement.rules import BOT_RULES
from pipeline_ops.lake.publish import materialization_metadata, now_utc
from pipeline_ops.lake.spark_frames import require_utc
from pipeline_ops.lake.spark_publish import publish_spark_frames
from pipeline_ops.metrics.engagement import EVENTS_SCHEMA, QUARANTINE_SCHEMA
from pipeline_ops.partitions import daily_partitions
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops.resources.spark import SparkResource
from pipeline_ops.sources.assets import landing_key
from pipeline_ops.staging.common import run_days


def _counts(stats: dict[str, dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    """Per day: every category's rows (zeros included), set-aside total, bot users."""
    out = {}
    for day, cats in stats.items():
        rows = {c: cats.get(c, {}).get("rows", 0) for c in (*SET_ASIDE, *DROPPED, "clean")}
        named = {f"{c}_lines": rows[c] for c in SET_ASIDE}
        named["set_aside_lines"] = sum(rows[c] for c in SET_ASIDE)
        named.update(duplicates_removed=rows["duplicate"], too_late_events=rows["too_late"],
                     bot_user_agent_events=rows["bot_user_agent"], bot_rate_events=rows["bot_rate"],
                     bot_rate_users=cats.get("bot_rate", {}).get("users", 0), clean_events=rows["clean"])
        out[day] = named
    return out


def quarantine_query(keys: list[str]) -> str:
    """The command a person pastes to see the run's quarantined lines."""
    return (f'pipeline-ops sql "select date, reason, detail, source_file, kafka_partition, kafka_offset, raw_line '
            f"from {QUARANTINE_SCHEMA.asset} where date between '{keys[0]}' and '{keys[-1]}' "
            'order by date, source_file, reason, kafka_partition, kafka_offset"')


_ARGS = pipeline_asset_args(PIPELINE, kinds={"spark", "parquet"}, section="inputs-and-lineage")
_ARGS["metadata"] = {**_ARGS["metadata"], "quarantine_table": QUARANTINE_SCHEMA.asset,
                     "quarantine_columns": dg.MetadataValue.table_schema(QUARANTINE_SCHEMA.table_schema())}


@dg.asset(
    key=EVENTS_SCHEMA.asset,
    partitions_def=daily_partitions(),
    check_specs=check_specs(EVENTS_SCHEMA.asset, daily_partitions()),
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetDep(landing_key("click_events"), partition_mapping=dg.TimeWindowPartitionMapping(
        start_offset=0, end_offset=lateness_days(), allow_nonexistent_upstream_partitions=True))],
    description=(
        "Clean product click events that happened on each UTC day (event_ts), one row per event_id. Reads the "
        "day's delivery folder (required: a missing folder fails with LandingError naming it) and the next "
        "ceil(lateness_hours/24) folders (optional: not arrived yet = provisional day). Malformed lines, missing "
        "event_id/user_id, unparsable or impossible timestamps are set aside and counted, never fatal; duplicate "
        "deliveries keep the first; events delivered more than lateness_hours (48) late are dropped and counted; "
        "bots (versioned user-agent and rate rules) removed and counted. Every set-aside line is also written, with "
        "its reason, file and raw text, to the lake table quarantine_click_events (partition = the delivery "
        "folder's day; a day with none gets an empty partition), published together with the events. Re-run: "
        "replaces the day(s) in both tables; re-running a day after its later folders landed attaches late events."
    ),
    **_ARGS,
)
def stg_click_events(
    context: dg.AssetExecutionContext, landing: LandingResource, lake: LakeResource, spark: SparkResource
) -> Iterator[dg.AssetCheckEvaluation | dg.MaterializeResult]:
    started = now_utc()
    keys, days = run_days(context)
    lateness = current_config().processing.lateness_hours
    zone = landing.zone()
    paths, missing = [], []
    for folder in day_range(days[0], days[-1] + dt.timedelta(days=lateness_days(lateness))):
        found = zone.files("click_events", folder, required=folder <= days[-1])  # LandingError if D is missing
        paths += found
        if not found:
            missing.append(folder)
    settled_at = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), dt.timezone.utc) + dt.timedelta(hours=lateness)
    session = spark.spark_session
    require_utc(session)
    classified = classify_events(read_click_events(session, [fs_uri(zone.fs, p) for p in paths]), days, lateness)
    classified = for_outputs(classified).persist()  # four actions read it: stats, sample, two writes
    try:
        stats, lines = event_stats(classified, days)
        counts = _counts(stats)
        recorded = version()
        extra = {
            "lines_classified": lines,
            "files_read": len(paths),
            "folders_missing": ", ".join(iso(missing)) or "none",
            # Provisional until every later folder exists and the lateness window has passed.
            "provisional": bool(missing) or now_utc() < settled_at,
            "settled_at": settled_at.isoformat(),
            "lateness_hours": lateness,
            "bot_rules_version": BOT_RULES.version,
            "bot_rules": f"user_agent ~* /{BOT_RULES.user_agent_pattern}/; > {BOT_RULES.max_events_per_hour} events in any 60 min",
            "quarantine_table": QUARANTINE_SCHEMA.asset,
            "quarantine_path": dg.MetadataValue.path(lake.lake().table_dir(QUARANTINE_SCHEMA.asset)),
            "quarantine_query": quarantine_query(keys),
        }
        if any(c["set_aside_lines"] for c in counts.values()):
            extra["set_aside_sample"] = dg.MetadataValue.json(set_aside_sample(classified, days))
        for day, c in counts.items():
            if c["set_aside_lines"]:
                context.log.warning(f"{day}: {c['set_aside_lines']} landing line(s) set aside to {QUARANTINE_SCHEMA.asset}: "
                                    + ", ".join(f"{k}={v}" for k, v in c.items() if k.endswith("_lines") and v))
        # Quarantine first: should the file system fail between the two commits, the bad lines are on
        # record rather than the events published without them (a re-run replaces both anyway).
        outputs = [(QUARANTINE_SCHEMA, quarantine_rows(classified, days, recorded, context.run.run_id)),
                   (EVENTS_SCHEMA, clean_events(classified, recorded))]
        records = yield from publish_spark_frames(
            context, lake.lake(), outputs, keys, started, recorded,
            audit_extra={"click_counts": counts,
                         "set_aside_sample": extra["set_aside_sample"].data if "set_aside_sample" in extra else []})
        for r in records[QUARANTINE_SCHEMA.asset]:
            counts[r.partition]["quarantine_rows"] = r.rows_out
        metadata = materialization_metadata(records[EVENTS_SCHEMA.asset], EVENTS_SCHEMA, {**per_day_metadata(counts), **extra})
        # yielded, not returned: Dagster ignores a generator's return value (the step would miss its output)
        yield dg.MaterializeResult(metadata=metadata)
    finally:
        classified.unpersist()
