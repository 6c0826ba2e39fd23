"""Checks of `stg_click_events` that count what the asset removed or set aside, and the day's volume.

Every check reads one staged partition (DuckDB over its Parquet) and the per-day counts the asset
computed while classifying the lines (`audit_extra["click_counts"]`, see `events_asset._counts`).
Shares use the day's distinct good events (first deliveries) as denominator. Re-run behaviour: the
first build of a day is provisional (later delivery folders may not exist yet); the settle run 48 h
later re-audits the day with every delivery, so late_share reaches its final value then.
"""

from __future__ import annotations

from pipeline_ops.engagement.checks_common import (
    SAMPLE_KEY, combine, day_counts, share, share_level, unique_events,
)
from pipeline_ops.engagement.clean import SET_ASIDE
from pipeline_ops.metrics.engagement import EVENTS_SCHEMA
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.generic import lake_query, volume
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed

EVENTS = EVENTS_SCHEMA.asset
PAYLOAD = ("user_id", "account_id", "event_ts", "event_type", "feature", "page")


def _on_time(ctx: AuditContext, partition: str) -> float:
    """Clean events delivered on their own UTC day (in the day's own delivery folder)."""
    return ctx.metric("rows", partition) - ctx.metric("late_delivered_events", partition)


def _events_present(ctx: AuditContext, partition: str) -> Outcome:
    rows, c = ctx.metric("rows", partition), day_counts(ctx, partition)
    observed = {"clean_events": rows, "delivered_on_the_day": _on_time(ctx, partition),
                **{k: c.get(k, 0) for k in ("too_late_events", "set_aside_lines", "bot_user_agent_events",
                                            "bot_rate_events")}}
    bound = {"clean_events": "> 0 (every generated and real day has events)", "delivered_on_the_day": "> 0"}
    if rows > 0 and _on_time(ctx, partition) > 0:
        return passed(f"{rows:g} clean events for {partition}", observed=observed, bound=bound)
    if rows > 0:
        why = (f"none of its {rows:g} events came in the day's own delivery folder (all arrived on later days): "
               "the folder was empty, Kafka or the exporter delivered nothing that day")
    elif c.get("too_late_events", 0):
        why = f"all {c['too_late_events']} events of the day arrived more than 48 h late"
    elif c.get("set_aside_lines", 0):
        why = f"the day's delivery folder had only set-aside lines ({c['set_aside_lines']})"
    elif unique_events(c):
        why = "every event of the day was removed as a bot"
    else:
        why = "the delivery folder holds no event of the day (Kafka or the exporter delivered nothing)"
    nxt = ctx.previous_partition(partition, -1)
    head = "no click events at all" if rows == 0 else "no click events delivered"
    return Outcome("error", f"{head} for {partition}: {why}", observed, bound, failing_count=1,
                   sql=lake_query(
                       "select date_trunc('hour', timezone('UTC', received_ts)) as received_hour_utc, count(*) as events "
                       f"from stg_click_events where date between '{ctx.previous_partition(partition)}' and '{nxt}' "
                       "group by 1 order by 1"))


EVENTS_PRESENT = CheckDef(
    "events_present", EVENTS, "completeness",
    "The UTC day has at least one clean click event, and at least one delivered on the day itself (in its own "
    "delivery folder): zero means a Kafka outage, an exporter writing empty files, or every event lost to "
    "lateness or the bot rules (the summary says which). ERROR (blocks).",
    "kafka-outage", _events_present, failure_modes=("kafka-outage", "events-later-than-48h"),
)


def _duplicate_rate(ctx: AuditContext, partition: str) -> Outcome:
    t, c = ctx.thresholds, day_counts(ctx, partition)
    rows, repeated = ctx.metric("rows", partition), ctx.metric("repeat_payload_events", partition)
    removed = c.get("duplicates_removed", 0)
    deliveries = unique_events(c) + removed
    redelivery = share_level(removed, deliveries, t.max_redelivery_share, None, t)
    new_ids = share_level(repeated, rows, None, t.max_click_duplicate_share, t)
    observed = {"duplicate_deliveries_removed": removed, "redelivery_share": round(share(removed, deliveries), 5),
                "same_payload_new_id_events": repeated, "same_payload_share": round(share(repeated, rows), 5)}
    bound = {"redelivery_share": f"<= {t.max_redelivery_share} (WARN; removed by deduplication, numbers unaffected)",
             "same_payload_share": f"<= {t.max_click_duplicate_share} (ERROR with >= {t.min_share_count} events)",
             "payload": list(PAYLOAD)}
    level, summary = combine([
        (redelivery, f"{removed} duplicate deliveries removed ({share(removed, deliveries):.2%} of deliveries): "
                     "a consumer replaying offsets (harmless to the numbers; tell infra)"),
        (new_ids, f"{repeated:g} events ({share(repeated, rows):.2%}) repeat another event of the same user, "
                  "timestamp and payload under a new event_id: they are counted twice"),
    ], f"{removed} duplicate deliveries removed ({share(removed, deliveries):.2%}); {repeated:g} same-payload "
       f"events ({share(repeated, rows):.2%})")
    if level == "pass":
        return passed(summary, observed=observed, bound=bound)
    cols = ", ".join(PAYLOAD)
    group = (f"select {cols}, count(*) as copies, list(event_id order by event_id) as event_ids from {{t}} "
             f"group by all having count(*) > 1 order by copies desc, user_id, event_ts limit 20")
    sample = ctx.rows(group, partition) if new_ids != "pass" else []
    return Outcome(level, summary, observed, bound, failing_count=int(repeated) if new_ids != "pass" else removed,
                   sample=sample, sql=lake_query(group.replace("{t}", f"stg_click_events where date = '{partition}'")
                                                 .replace("limit 20", "limit 100")))


DUPLICATE_RATE = CheckDef(
    "duplicate_rate", EVENTS, "uniqueness",
    "Duplicate deliveries of an event_id removed by the asset, as a share of the day's deliveries (WARN above "
    "max_redelivery_share, 5 %: harmless to the numbers, a replay storm upstream); and events repeating another "
    "event of the same user with the same event_ts and payload (account, type, feature, page) under a new "
    "event_id, as a share of the day's events (ERROR above max_click_duplicate_share, 1 %: counted twice). Clean "
    "streams redeliver ~1 % and repeat ~0.3 % (a session's first two events can share a millisecond).",
    "duplicate-records", _duplicate_rate, failure_modes=("duplicate-records",),
)


def _quarantine_share(ctx: AuditContext, partition: str) -> Outcome:
    t, c = ctx.thresholds, day_counts(ctx, partition)
    bad = c.get("set_aside_lines", 0)
    lines = bad + unique_events(c) + c.get("duplicates_removed", 0)
    reasons = {r: c.get(f"{r}_lines", 0) for r in SET_ASIDE if c.get(f"{r}_lines", 0)}
    observed = {"set_aside_lines": bad, "lines": lines, "share": round(share(bad, lines), 5), "by_reason": reasons}
    bound = {"share": f"<= {t.max_quarantine_share} (ERROR with >= {t.min_share_count} lines, else WARN)"}
    level = share_level(bad, lines, None, t.max_quarantine_share, t)
    summary = f"{bad} of {lines} landing lines of {partition}'s delivery folder set aside ({share(bad, lines):.2%})"
    if reasons:
        summary += ": " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
    if level == "pass":
        return passed(summary, observed=observed, bound=bound)
    if reasons and max(reasons, key=reasons.get) == "impossible_ts":
        summary += (" (event_ts after received_ts: clients stamping local time as UTC? see "
                    "runbooks/engagement_aggregate.md#timezone-day-boundary)")
    sample = [r for r in ctx.extra.get(SAMPLE_KEY) or [] if f"date={partition}" in str(r.get("file", ""))]
    return Outcome(level, summary, observed, bound, failing_count=bad, sample=sample[:20], sql=lake_query(
        "select reason, detail, source_file, kafka_partition, kafka_offset, raw_line from quarantine_click_events "
        f"where date = '{partition}' order by reason, source_file limit 50")
        + "  # published with the events: after a blocked run, re-run once the lines are fixed or accepted")


QUARANTINE_SHARE = CheckDef(
    "quarantine_share", EVENTS, "contract",
    "Landing lines of the day's delivery folder set aside (malformed JSON, missing ids, unparsable or impossible "
    "timestamps) as a share of its lines: ERROR above max_quarantine_share (1 %) with at least min_share_count "
    "lines (fewer: WARN). A clean stream sets none aside; impossible timestamps dominating point at clients "
    "stamping local time as UTC.",
    "quarantined-lines", _quarantine_share, failure_modes=("quarantined-lines", "schema-drift", "timezone-day-boundary"),
)


def _late_share(ctx: AuditContext, partition: str) -> Outcome:
    t, c = ctx.thresholds, day_counts(ctx, partition)
    late, total = c.get("too_late_events", 0), unique_events(c)
    observed = {"too_late_events": late, "events": total, "share": round(share(late, total), 5),
                "delivered_on_a_later_day": ctx.metric("late_delivered_events", partition)}
    bound = {"warn": f"share > {t.max_late_share}", "error": f"share > {t.max_late_share_error} "
             f"(with >= {t.min_share_count} events)", "lateness_hours": ctx.cfg.processing.lateness_hours}
    level = share_level(late, total, t.max_late_share, t.max_late_share_error, t)
    summary = f"{late} of {total} events of {partition} arrived beyond the lateness window ({share(late, total):.2%})"
    if level == "pass":
        return passed(summary, observed=observed, bound=bound)
    return Outcome(level, summary + ": not counted for the day (a consumer backlog or a late partition)", observed,
                   bound, failing_count=late, sql=lake_query(
                       "select date, count(*) as events, count(*) filter (where received_ts::timestamptz - "
                       "event_ts::timestamptz > interval 24 hours) as later_than_24h from stg_click_events "
                       f"where date between '{ctx.previous_partition(partition, 7)}' and '{partition}' group by date order by date"))


LATE_SHARE = CheckDef(
    "late_share", EVENTS, "completeness",
    "Events of the day delivered more than processing.lateness_hours (48 h) after they happened, which the "
    "asset drops, as a share of the day's events: WARN above max_late_share (1 %), ERROR above "
    "max_late_share_error (25 %). Clean streams lose ~0.01 %. Only deliveries in the folders the day reads (D..D+2) "
    "are seen: a backlog 49-72 h late shows about half its size. Final once the settle run re-audits the day.",
    "events-later-than-48h", _late_share, failure_modes=("events-later-than-48h",),
)

_VOLUME = volume(EVENTS, "rows", "row-count-drop", "event_volume", "clean events of the day",
                 ("row-count-drop", "kafka-outage"))


def _event_volume(ctx: AuditContext, partition: str) -> Outcome:
    if _on_time(ctx, partition) == 0:  # no events (delivered) at all is events_present's finding: one alarm, not two
        return passed("no clean events delivered on the day: reported by events_present",
                      observed={"rows": ctx.metric("rows", partition)})
    return _VOLUME.evaluate(ctx, partition)


EVENT_VOLUME = CheckDef(_VOLUME.name, EVENTS, _VOLUME.dimension, _VOLUME.description.replace(
    "with too little history only the static bound (> 0) applies.", "a day with no events at all is left to "
    "events_present."), _VOLUME.section, _event_volume, _VOLUME.failure_modes)
