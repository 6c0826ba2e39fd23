"""Checks of `stg_sessions` (session-length drift) and `stg_user_activity_daily` (join integrity).

session_length_drift: the share of the day's sessions in eight duration bins is profiled; PSI against
the per-bin median of the previous days (an effect size, not a p-value: on tens of thousands of
sessions a KS test flags trivial shifts). A changed idle timeout merges or splits sessions and moves
mass between bins by tens of percentage points (30 -> 120 min gives PSI ~1.4, 30 -> 45 min ~0.23).

join_integrity reconciles the staged activity with the published inputs of the same day (read with
DuckDB from their Parquet files): one row per active user, exactly the users, events and sessions
of stg_click_events and stg_sessions, no activity without a session, no account_id lost, and exactly
the active users with a user-level assignment carrying an experiment_id. Any difference is a join
that fanned out or dropped matches: ERROR. Re-run: the check reads whatever the lake holds for the day,
so re-run activity after re-running its inputs.
"""

from __future__ import annotations

from pipeline_ops.engagement.checks_common import distribution_drift
from pipeline_ops.metrics.engagement import ACTIVITY_SCHEMA, EVENTS_SCHEMA, SESSIONS_SCHEMA
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.generic import lake_query
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed
from pipeline_ops.staging.schemas import EXPERIMENT_ASSIGNMENTS

_EDGES = [(0, 0, "0s"), (0, 60, "0-1m"), (60, 300, "1-5m"), (300, 900, "5-15m"), (900, 1800, "15-30m"),
          (1800, 3600, "30-60m"), (3600, 7200, "1-2h"), (7200, None, ">2h")]
SESSION_BINS = {label: f"session_share__{label}" for _, _, label in _EDGES}


def _bin_sql(lo: float, hi: float | None, label: str) -> str:
    cond = "duration_s = 0" if hi == 0 else f"duration_s > {lo}" + (f" AND duration_s <= {hi}" if hi else "")
    return f"avg(CASE WHEN {cond} THEN 1.0 ELSE 0.0 END)"


SESSION_METRICS = {
    **{SESSION_BINS[label]: _bin_sql(lo, hi, label) for lo, hi, label in _EDGES},
    "sessions_per_user": "count(*) / nullif(count(DISTINCT user_id), 0)",
    "events_per_session": "avg(events)",
}


def _session_length_drift(ctx: AuditContext, partition: str) -> Outcome:
    rows = ctx.metric("rows", partition)
    versions = [r["v"] for r in ctx.rows("select distinct definition_version as v from {t} order by 1", partition)]
    sql = lake_query("select date, count(*) as sessions, count(distinct user_id) as users, avg(duration_s) as mean_s, "
                     "median(duration_s) as median_s, any_value(definition_version) as version from stg_sessions "
                     f"where date between '{ctx.previous_partition(partition, 14)}' and '{partition}' group by date order by date")
    out = distribution_drift(ctx, partition, SESSION_BINS, rows, "session-length distribution", sql)
    observed = {**out.observed, "sessions_per_user": round(ctx.metric("sessions_per_user", partition), 4),
                "events_per_session": round(ctx.metric("events_per_session", partition), 3),
                "definition_version": versions, "session_idle_minutes": ctx.cfg.processing.session_idle_minutes}
    summary = out.summary
    if out.level != "pass":
        summary += (f"; sessions per user {observed['sessions_per_user']}, idle timeout now "
                    f"{ctx.cfg.processing.session_idle_minutes} min ({', '.join(versions)})")
    return Outcome(out.level, summary, observed, out.bound, out.failing_count, out.sample, out.sql, out.flag_metrics)


SESSION_LENGTH_DRIFT = CheckDef(
    "session_length_drift", SESSIONS_SCHEMA.asset, "drift",
    "Session-length distribution (shares of sessions in 8 duration bins, 0 s to > 2 h) against the per-bin median "
    "of the previous distribution_baseline_days days, by PSI: WARN > psi_warn (0.1), ERROR > psi_error (0.25); "
    "not judged below psi_min_rows sessions or with fewer than baseline_min_points days. A changed idle timeout "
    "or sessionization logic moves it while users behave the same.",
    "sessionization-change", _session_length_drift, failure_modes=("sessionization-change",),
)


def _files(ctx: AuditContext, asset: str, partition: str) -> str | None:
    """A DuckDB table expression over the published partition of `asset`, or None when it is not in the lake."""
    found = sorted(ctx.lake.fs.glob(f"{ctx.lake.partition_dir(asset, partition)}/*.parquet"))
    return f"read_parquet([{', '.join(repr(f) for f in found)}], union_by_name = true)" if found else None


def _join_integrity(ctx: AuditContext, partition: str) -> Outcome:
    events, sessions = _files(ctx, EVENTS_SCHEMA.asset, partition), _files(ctx, SESSIONS_SCHEMA.asset, partition)
    if events is None or sessions is None:
        return Outcome("error", f"stg_click_events or stg_sessions has no published partition {partition}: the activity "
                       "cannot be reconciled with its inputs", failing_count=1)
    assigned = _files(ctx, EXPERIMENT_ASSIGNMENTS.asset, partition)
    users = (f"(select distinct unit_id from {assigned} where unit_type = 'user')" if assigned
             else "(select null::varchar as unit_id where false)")
    got = ctx.rows(
        "select count(*) as rows, count(distinct user_id) as users, coalesce(sum(events), 0) as events, "
        "coalesce(sum(sessions), 0) as sessions, count(*) filter (where sessions = 0) as without_session, "
        "count(*) filter (where account_id is null) as null_account, "
        "count(*) filter (where experiment_id is not null) as with_experiment, "
        f"count(*) filter (where user_id in {users}) as assigned_users from {{t}}", partition)[0]
    want = ctx.rows(
        f"select count(*) as events, count(distinct user_id) as users, count(distinct user_id) filter "
        f"(where account_id is not null) as users_with_account, (select count(*) from {sessions}) as sessions "
        f"from {events}", partition)[0]
    problems = {
        "rows per user > 1 (fan-out)": got["rows"] - got["users"],
        "users vs stg_click_events": got["users"] - want["users"],
        "events vs stg_click_events": got["events"] - want["events"],
        "sessions vs stg_sessions": got["sessions"] - want["sessions"],
        "activity without a session": got["without_session"],
        "account_id lost in the joins": max(0, got["null_account"] - (want["users"] - want["users_with_account"])),
        "experiment_id vs user-level assignments": got["with_experiment"] - got["assigned_users"],
    }
    bad = {k: int(v) for k, v in problems.items() if v}
    observed = {"activity": got, "inputs": want, "assignments_available": assigned is not None, "differences": bad}
    bound = {"differences": "all 0: one row per active user; users, events and sessions equal the day's inputs"}
    if not bad:
        return passed(f"{got['rows']} users, {got['events']} events and {got['sessions']} sessions reconcile with "
                      "stg_click_events and stg_sessions", observed=observed, bound=bound)
    sample = ctx.rows("select user_id, count(*) as rows_for_user, list(account_id) as accounts, list(experiment_id) "
                      "as experiments, list(sessions) as sessions from {t} group by user_id "
                      "having count(*) > 1 or min(sessions) = 0 order by rows_for_user desc, user_id limit 20", partition)
    return Outcome("error", f"stg_user_activity_daily {partition} does not reconcile with its inputs: "
                   + "; ".join(f"{k} {v:+d}" for k, v in bad.items()), observed, bound,
                   failing_count=sum(abs(v) for v in bad.values()), sample=sample, sql=lake_query(
                       "select user_id, count(*) as rows_for_user from stg_user_activity_daily "
                       f"where date = '{partition}' group by user_id having count(*) > 1 limit 20"))


JOIN_INTEGRITY = CheckDef(
    "join_integrity", ACTIVITY_SCHEMA.asset, "completeness",
    "The day's activity reconciles exactly with its published inputs: one row per active user (no fan-out), the "
    "same users and event count as stg_click_events, the same session count as stg_sessions, no activity row "
    "without a session and no account_id lost (null explosion), and experiment_id set for exactly the users with a "
    "user-level assignment that day. ERROR on any difference.",
    "join-fan-out-or-null-explosion", _join_integrity, failure_modes=("join-fan-out-or-null-explosion",),
)

ACTIVITY_METRICS = {
    "users": "count(DISTINCT user_id)",
    "events": "sum(events)",
    "sessions": "sum(sessions)",
    "excluded_users": "count(*) FILTER (WHERE exclude_from_investor)",
}
