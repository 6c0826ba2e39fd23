"""Checks of stg_subscription_events_usd (investor path: an ERROR blocks the day and growth downstream).

Zero-event days are legitimate (a handful of events a day at scale 1, none on some days at small
scale): every check passes on an empty partition.

- `duplicate_events`: the same change delivered twice under different event_ids (same account,
  event_type, event_ts, seats and MRR before/after); exact re-deliveries with one event_id are
  already dropped by staging. Extra copies / events > max_duplicate_rate (0.1 %): ERROR, any: WARN
  (at a few events a day one copy is already an ERROR). Clean data: one event per account per day.
- `events_plausible`: rules every real event obeys: seats and MRR never negative; a 'new' starts
  from 0 seats and 0 MRR and has seats after; a 'churn' ends at 0 seats and 0 MRR from seats > 0;
  any other change keeps seats on both sides; and against the accounts snapshots (landing): no churn
  of an account the day's snapshot still shows active with seats, no churn of an account that was
  not active the day before (unless it was also new today). Any violation: ERROR.
"""

from __future__ import annotations

from pipeline_ops.growth.checks_common import landing_view
from pipeline_ops.growth.schemas import SUBSCRIPTION_EVENTS_USD
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.generic import lake_query
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed

ASSET = SUBSCRIPTION_EVENTS_USD.asset
_SAME = ("account_id", "event_type", "event_ts", "licences_before", "licences_after", "mrr_before_usd", "mrr_after_usd")
_DUPLICATES_SQL = f"""
WITH g AS (SELECT {', '.join(_SAME)}, count(*) AS copies, list(event_id ORDER BY event_id) AS event_ids
           FROM {{t}} GROUP BY ALL HAVING count(*) > 1)
SELECT (SELECT count(*) FROM {{t}}) AS rows, coalesce(sum(copies - 1), 0) AS extra, count(*) AS groups,
       coalesce(list(struct_pack(account_id := account_id, event_type := event_type, event_ts := event_ts::VARCHAR,
                                 event_ids := event_ids) ORDER BY account_id), [])[1:20] AS sample
FROM g
"""


def _duplicate_events(ctx: AuditContext, partition: str) -> Outcome:
    t = ctx.thresholds
    bound = {"max_duplicate_rate": t.max_duplicate_rate, "any": "WARN", "same": list(_SAME)}
    r = ctx.rows(_DUPLICATES_SQL, partition)[0]
    rate = r["extra"] / r["rows"] if r["rows"] else 0.0
    observed = {"events": r["rows"], "duplicate_groups": r["groups"], "extra_copies": r["extra"], "rate": round(rate, 6)}
    if not r["extra"]:
        return passed(f"no event repeated under a new event_id among {r['rows']} events", observed=observed, bound=bound)
    ids = [i for g in r["sample"] for i in g["event_ids"]]
    return Outcome(
        "error" if rate > t.max_duplicate_rate else "warn",
        f"{r['extra']} event(s) repeat another event of the day under a new event_id ({rate:.2%} of {r['rows']}; "
        f"bound {t.max_duplicate_rate:.1%}): growth counts them twice", observed, bound, failing_count=r["extra"],
        sample=r["sample"], sql=lake_query(f"select * from {ASSET} where date = '{partition}' and event_id in "
                                           f"({', '.join(repr(i) for i in ids[:40])}) order by account_id, event_id"),
    )


DUPLICATE_EVENTS = CheckDef(
    "duplicate_events", ASSET, "uniqueness",
    "Events of the day equal on account_id, event_type, event_ts, seats and MRR before/after under different "
    "event_ids (a re-delivery with new ids): extra copies / events > max_duplicate_rate (0.1 %): ERROR; any: WARN.",
    "duplicate-records", _duplicate_events, failure_modes=("duplicate-records",),
)

_RULES = """CASE
    WHEN e.licences_before < 0 OR e.licences_after < 0 THEN 'negative seats'
    WHEN e.mrr_before_usd < 0 OR e.mrr_after_usd < 0 THEN 'negative MRR'
    WHEN e.event_type = 'new' AND (e.licences_before <> 0 OR e.mrr_before_usd <> 0) THEN 'new with seats or MRR before'
    WHEN e.event_type = 'new' AND e.licences_after = 0 THEN 'new without seats'
    WHEN e.event_type = 'churn' AND (e.licences_after <> 0 OR e.mrr_after_usd <> 0) THEN 'churn with seats or MRR after'
    WHEN e.event_type = 'churn' AND e.licences_before = 0 THEN 'churn of an account without seats'
    WHEN e.event_type NOT IN ('new', 'churn') AND (e.licences_before = 0 OR e.licences_after = 0)
        THEN e.event_type || ' from or to zero seats'
    WHEN e.event_type = 'churn' AND {today_active} THEN 'churn of an account the day''s snapshot shows active'
    WHEN e.event_type = 'churn' AND {yesterday_inactive} AND NOT e.account_id IN (SELECT account_id FROM {{t}} WHERE event_type = 'new')
        THEN 'churn of an account not active the day before'
END"""
_ACTIVE = "SELECT account_id FROM {v} WHERE status = 'active' AND licences > 0"


def _events_plausible(ctx: AuditContext, partition: str) -> Outcome:
    prev = ctx.previous_partition(partition)
    today, before = landing_view(ctx, "accounts", partition), landing_view(ctx, "accounts", prev)
    rules = _RULES.format(
        today_active=f"e.account_id IN ({_ACTIVE.format(v=today)})" if today else "false",
        yesterday_inactive=f"NOT e.account_id IN ({_ACTIVE.format(v=before)})" if before else "false")
    bad = ctx.rows(f"SELECT * FROM (SELECT e.event_id, e.account_id, e.event_type, e.event_ts::VARCHAR AS event_ts, "
                   f"e.licences_before, e.licences_after, e.mrr_before_usd, e.mrr_after_usd, {rules} AS problem "
                   "FROM {t} e) WHERE problem IS NOT NULL ORDER BY problem, event_id", partition)
    events = int(ctx.metric("rows", partition))
    observed = {"events": events, "implausible": len(bad), "snapshot_cross_check": {partition: today is not None,
                                                                                    prev: before is not None}}
    bound = {"implausible_events": 0}
    if not bad:
        return passed(f"all {events} events are plausible", observed=observed, bound=bound)
    counts: dict[str, int] = {}
    for row in bad:
        counts[row["problem"]] = counts.get(row["problem"], 0) + 1
    observed["by_problem"] = counts
    ids = [r["event_id"] for r in bad[:40]]
    return Outcome(
        "error", f"{len(bad)} of {events} events are impossible: " + "; ".join(f"{k} x{v}" for k, v in counts.items()),
        observed, bound, failing_count=len(bad), sample=bad[:20],
        sql=lake_query(f"select * from {ASSET} where date = '{partition}' and event_id in "
                       f"({', '.join(repr(i) for i in ids)}) order by event_id"),
    )


EVENTS_PLAUSIBLE = CheckDef(
    "events_plausible", ASSET, "plausibility",
    "Every event is possible: seats and MRR >= 0; 'new' from 0 seats and 0 MRR to seats > 0; 'churn' from seats > 0 "
    "to 0 seats and 0 MRR; other changes keep seats on both sides; no churn of an account the day's accounts snapshot "
    "still shows active, nor of one not active the day before (unless also new that day). Any violation: ERROR.",
    "impossible-growth-counts", _events_plausible, failure_modes=("impossible-growth-counts",),
)
