"""Checks of `stg_click_events` on who and when: bot traffic (removed and slipped through) and the day window.

bot_share looks at four signals, because a bot at human speed passes the rate rule by design:
1. events removed by the bot rules, as a share of the day's candidate events (over-filtering or an attack);
2. *heavy users*: users with more than max_human_events_per_day clean events (humans: ~10 a day, the
   busiest generated human ~110); their events as a share of the day catch a scripted client just
   under the 300-per-hour rate rule, which a rate rule cannot see;
3. a rise of events per active user against the previous days (many bots each at human volume);
4. events of users not seen in the previous 7 days (a wave of fresh ids), once 7 days of history exist.
day_window: every event inside the partition's UTC day, and the hour-of-day profile (24 shares in the
profile) against the previous days' with PSI: clients stamping the wrong timezone, a partial outage or
a day-assignment bug move it.
"""

from __future__ import annotations

import datetime as dt

from pipeline_ops.engagement.checks_common import (
    combine, day_counts, distribution_drift, previous_days, recent_baseline, share, share_level, worst,
)
from pipeline_ops.metrics.engagement import EVENTS_SCHEMA
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.baseline import anomaly_level
from pipeline_ops.quality.generic import lake_query
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed

EVENTS = EVENTS_SCHEMA.asset
NEW_USER_DAYS = 7
HOURS = {f"{h:02d}": f"hour_share__{h:02d}" for h in range(24)}
_HOUR_MS = 3_600_000


def _heavy_users(ctx: AuditContext, partition: str) -> list[dict]:
    limit = int(ctx.thresholds.max_human_events_per_day)
    return ctx.rows(
        "with u as (select user_id, any_value(account_id) as account_id, count(*) as events, min(event_ts) as first_event, "
        f"max(event_ts) as last_event from {{t}} group by user_id) select *, count(*) over () as heavy_users, "
        f"sum(events) over () as heavy_events from u where events > {limit} order by events desc, user_id limit 20",
        partition)


def _history_files(ctx: AuditContext, partition: str) -> list[str] | None:
    """Parquet files of the previous 7 days' events: staged in this run or published; None if a day is missing."""
    files: list[str] = []
    for d in previous_days(partition, NEW_USER_DAYS):
        found = ctx.staged.get(d) or sorted(ctx.lake.fs.glob(f"{ctx.lake.partition_dir(EVENTS, d)}/*.parquet"))
        if not found:
            return None
        files += found
    return files


def _new_users(ctx: AuditContext, partition: str) -> dict | None:
    files = _history_files(ctx, partition)
    if files is None:
        return None
    seen = ", ".join(f"'{f}'" for f in files)
    return ctx.rows(
        f"with seen as (select distinct user_id from read_parquet([{seen}], union_by_name = true)) "
        "select count(*) filter (where s.user_id is null) as new_user_events, "
        "count(distinct e.user_id) filter (where s.user_id is null) as new_users, count(*) as events "
        "from {t} e left join seen s on e.user_id = s.user_id", partition)[0]


def _bot_share(ctx: AuditContext, partition: str) -> Outcome:
    t, c = ctx.thresholds, day_counts(ctx, partition)
    rows = ctx.metric("rows", partition)
    removed = c.get("bot_user_agent_events", 0) + c.get("bot_rate_events", 0)
    candidates = rows + removed
    heavy = _heavy_users(ctx, partition)
    heavy_events = int(heavy[0]["heavy_events"]) if heavy else 0
    heavy_users = int(heavy[0]["heavy_users"]) if heavy else 0
    epu, base = ctx.metric("events_per_user", partition), recent_baseline(ctx, "events_per_user", partition)
    newcomers = _new_users(ctx, partition) if rows else None
    parts = [
        (share_level(removed, candidates, t.max_bot_share, t.max_bot_share_error, t),
         f"{removed} events ({share(removed, candidates):.2%}) removed by the bot rules "
         f"(user agent {c.get('bot_user_agent_events', 0)}, rate {c.get('bot_rate_events', 0)} from "
         f"{c.get('bot_rate_users', 0)} users)"),
        (worst("warn" if heavy_users else "pass",
               share_level(heavy_events, rows, None, t.max_heavy_user_share, t)),
         f"{heavy_users} user(s) with more than {int(t.max_human_events_per_day)} clean events hold {heavy_events} "
         f"events ({share(heavy_events, rows):.2%}): bots the rules missed (e.g. just under the rate rule)"),
        # one-sided: bots add events per user; fewer per user (a producer dropping an event type) is event_volume's
        (anomaly_level(base, epu, ctx.gates) if rows and base.median is not None and epu > base.median else "pass",
         f"{epu:.2f} events per active user vs median {base.median if base.median is not None else float('nan'):.2f} "
         f"of the previous days"),
    ]
    if newcomers is not None:
        new_share = share(newcomers["new_user_events"], newcomers["events"])
        parts.append(("warn" if new_share > t.max_new_user_event_share else "pass",
                      f"{newcomers['new_users']} users unseen in the previous {NEW_USER_DAYS} days send "
                      f"{new_share:.2%} of the events"))
    level, summary = combine(parts, f"bots removed {share(removed, candidates):.2%}; no user above "
                                    f"{int(t.max_human_events_per_day)} events; {epu:.2f} events per active user")
    observed = {"removed_bot_events": removed, "removed_share": round(share(removed, candidates), 5),
                "heavy_users": heavy_users, "heavy_user_events": heavy_events,
                "heavy_user_share": round(share(heavy_events, rows), 5), "events_per_user": round(epu, 3),
                "new_users": newcomers}
    bound = {"removed_share": f"WARN > {t.max_bot_share}, ERROR > {t.max_bot_share_error}",
             "heavy_user_share": f"any heavy user WARN, ERROR > {t.max_heavy_user_share}",
             "events_per_user": {"method": base.method, "median": base.median, "mad": base.mad, "days": list(base.days),
                                 "gates": f"|z| > {t.warn_z} and > {t.warn_pct:.0%} (error {t.error_z}, {t.error_pct:.0%})"},
             "new_user_event_share": f"WARN > {t.max_new_user_event_share}"}
    if level == "pass":
        return passed(summary, observed=observed, bound=bound)
    flags = ("events_per_user",) if parts[2][0] != "pass" else ()
    return Outcome(level, summary, observed, bound, failing_count=heavy_users or removed, sample=heavy,
                   flag_metrics=flags, sql=lake_query(
                       f"select user_id, count(*) as events, min(event_ts) as first_event, max(event_ts) as last_event "
                       f"from stg_click_events where date = '{partition}' group by 1 order by 2 desc limit 20"))


BOT_SHARE = CheckDef(
    "bot_share", EVENTS, "plausibility",
    "Bot traffic, removed and slipped through: events removed by the bot rules as a share of candidate events "
    "(WARN > max_bot_share 10 %, ERROR > max_bot_share_error 30 %); users with more clean events than "
    "max_human_events_per_day (500; any: WARN, their events > max_heavy_user_share 1 % of the day: ERROR, the "
    "bot wave at human speed); a rise of events per active user against the previous days (two gates); events of users "
    "unseen for 7 days (WARN > max_new_user_event_share 5 %).",
    "bot-traffic", _bot_share, failure_modes=("bot-traffic",),
)


def _day_window(ctx: AuditContext, partition: str) -> Outcome:
    day = dt.date.fromisoformat(partition)
    lo = int(dt.datetime.combine(day, dt.time(), dt.timezone.utc).timestamp() * 1000)
    hi = lo + 24 * _HOUR_MS
    outside = f"epoch_ms(event_ts) < {lo} or epoch_ms(event_ts) >= {hi}"
    n_out = ctx.rows(f"select count(*) as n from {{t}} where {outside}", partition)[0]["n"]
    rows = ctx.metric("rows", partition)
    hour_sql = lake_query(f"select hour(timezone('UTC', event_ts)) as utc_hour, count(*) as events from stg_click_events "
                          f"where date = '{partition}' group by 1 order by 1")
    drift = distribution_drift(ctx, partition, HOURS, rows, "hour-of-day (UTC) profile of the day's events", hour_sql)
    if n_out:
        sample = ctx.rows(f"select event_id, user_id, event_ts, received_ts from {{t}} where {outside} "
                          "order by event_ts limit 20", partition)
        return Outcome("error", f"{n_out} of {rows:g} events lie outside {partition} 00:00-24:00 UTC (the partition "
                       f"is the UTC day of event_ts); {drift.summary}", {"outside_day": n_out, **drift.observed},
                       {"outside_day": 0, **drift.bound}, failing_count=n_out, sample=sample,
                       sql=lake_query(f"select event_id, event_ts, received_ts from stg_click_events where date = "
                                      f"'{partition}' and cast(timezone('UTC', event_ts) as date) <> date limit 100"),
                       flag_metrics=tuple(HOURS.values()))
    observed, bound = {"outside_day": 0, **drift.observed}, {"outside_day": 0, **drift.bound}
    return Outcome(drift.level, drift.summary, observed, bound, drift.failing_count, drift.sample, drift.sql,
                   drift.flag_metrics)


DAY_WINDOW = CheckDef(
    "day_window", EVENTS, "drift",
    "Every event lies inside the partition's UTC day (ERROR otherwise: a day-assignment bug, e.g. a local "
    "midnight), and the day's hour-of-day profile (UTC) matches the previous days' (PSI: WARN > psi_warn 0.1, "
    "ERROR > psi_error 0.25; not judged below psi_min_rows events or with fewer than baseline_min_points "
    "days): clients stamping another timezone, or a partial delivery outage, shift it.",
    "timezone-day-boundary", _day_window, failure_modes=("timezone-day-boundary", "kafka-outage"),
)

TRAFFIC_METRICS = {
    "users": "count(DISTINCT user_id)",
    "events_per_user": "count(*) / nullif(count(DISTINCT user_id), 0)",
    "repeat_payload_events": "count(*) - count(DISTINCT (user_id, account_id, event_ts, event_type, feature, page))",
    "late_delivered_events": "count(*) FILTER (WHERE is_late)",
    # epoch arithmetic, not hour(): independent of the DuckDB session time zone
    **{m: f"avg(CASE WHEN (epoch_ms(event_ts) // {_HOUR_MS}) % 24 = {int(h)} THEN 1.0 ELSE 0.0 END)"
       for h, m in HOURS.items()},
}
