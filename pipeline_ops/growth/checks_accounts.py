"""Checks of stg_account_daily (investor path: an ERROR blocks the day and growth downstream).

- `accounts_complete`: every account active at the end of the previous day is in today's snapshot
  (accounts never leave it: churned ones stay with status 'churned'). Yesterday = the run's staged
  day, else the published lake's, else the landing snapshot; an account with a churn event today
  (landing subscription events) is excused. Share present < min_completeness (99.5 %): ERROR; fewer
  missing: WARN (any disappearance is worth a question). No previous snapshot (first day): passes.
- `duplicate_accounts`: one company under several account_ids (same account_name and created_at,
  read from the landing snapshot since staging drops names): ids beyond the first / snapshot rows
  > max_duplicate_rate (0.1 %): ERROR, any: WARN. Clean data has none (a name alone may repeat;
  with the signup second it does not).
"""

from __future__ import annotations

from pipeline_ops.growth.checks_common import landing_view
from pipeline_ops.growth.schemas import ACCOUNT_DAILY
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.generic import lake_query
from pipeline_ops.quality.neighbours import partition_table
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed

ASSET = ACCOUNT_DAILY.asset
_MISSING_SQL = """
WITH y AS ({before}), t AS (SELECT DISTINCT account_id FROM {t}), c AS ({churned})
SELECT count(*) AS active_before,
       count(*) FILTER (WHERE t.account_id IS NULL AND c.account_id IS NOT NULL) AS churned_and_gone,
       count(*) FILTER (WHERE t.account_id IS NULL AND c.account_id IS NULL) AS missing,
       coalesce(list(y.account_id ORDER BY y.account_id) FILTER (WHERE t.account_id IS NULL AND c.account_id IS NULL), [])[1:20]
           AS sample
FROM y LEFT JOIN t USING (account_id) LEFT JOIN (SELECT DISTINCT account_id FROM c) c USING (account_id)
"""


def _previous_active(ctx: AuditContext, prev: str) -> tuple[str, str] | None:
    """SQL of yesterday's active account_ids and where they came from, or None without a previous snapshot."""
    table = partition_table(ctx, ASSET, prev)
    if table is not None:
        return f"SELECT account_id FROM {table} WHERE is_active", "staged in this run" if prev in ctx.staged else "lake"
    view = landing_view(ctx, "accounts", prev)
    if view is not None:
        return f"SELECT account_id FROM {view} WHERE status = 'active' AND licences > 0", "landing snapshot"
    return None


def _accounts_complete(ctx: AuditContext, partition: str) -> Outcome:
    prev = ctx.previous_partition(partition)
    t = ctx.thresholds
    bound = {"min_completeness": t.min_completeness, "previous_day": prev, "any_missing": "WARN"}
    before = _previous_active(ctx, prev)
    if before is None:
        return passed(f"no accounts snapshot of {prev} to compare with (first day)", bound=bound)
    events = landing_view(ctx, "subscription_events", partition)
    churned = f"SELECT account_id FROM {events} WHERE event_type = 'churn'" if events else \
        "SELECT NULL::VARCHAR AS account_id WHERE false"
    r = ctx.rows(_MISSING_SQL.format(before=before[0], churned=churned, t="{t}"), partition)[0]
    expected = r["active_before"] - r["churned_and_gone"]
    share = (expected - r["missing"]) / expected if expected else 1.0
    observed = {"previous_day_from": before[1], "active_before": r["active_before"], "expected": expected,
                "missing": r["missing"], "share_present": round(share, 6), "excused_churned_today": r["churned_and_gone"],
                "churn_events_read": events is not None}
    if not r["missing"]:
        return passed(f"all {expected} accounts active on {prev} are in the snapshot", observed=observed, bound=bound)
    level = "error" if share < t.min_completeness else "warn"
    return Outcome(
        level, f"{r['missing']} of {expected} accounts active on {prev} are missing from the {partition} snapshot "
        f"({share:.2%} present, bound {t.min_completeness:.1%})", observed, bound, failing_count=r["missing"],
        sample=[{"account_id": a, "active_on": prev} for a in r["sample"]],
        sql=lake_query(f"select account_id from {ASSET} where date = '{prev}' and is_active except "
                       f"select account_id from {ASSET} where date = '{partition}'"),
    )


ACCOUNTS_COMPLETE = CheckDef(
    "accounts_complete", ASSET, "completeness",
    "Share of the previous day's active accounts present in today's snapshot (an account with a churn event today "
    "excused) >= min_completeness (99.5 %): ERROR below, WARN for any missing account. Previous day: staged in the "
    "run, else published, else the landing snapshot; none (first day): passes.",
    "completeness-drop", _accounts_complete, failure_modes=("completeness-drop",),
)

_DUPLICATES_SQL = """
WITH g AS (SELECT account_name, created_at, count(DISTINCT account_id) AS ids,
                  list(DISTINCT account_id ORDER BY account_id) AS account_ids,
                  count(*) FILTER (WHERE status = 'active' AND licences > 0) AS active_rows
           FROM {v} GROUP BY ALL HAVING count(DISTINCT account_id) > 1)
SELECT (SELECT count(*) FROM {v}) AS rows, coalesce(sum(ids - 1), 0) AS extra_ids, count(*) AS groups,
       coalesce(sum(active_rows), 0) AS active_rows,
       coalesce(list(struct_pack(account_name := account_name, created_at := created_at::VARCHAR, account_ids := account_ids)
                     ORDER BY ids DESC, account_name), [])[1:20] AS sample
FROM g
"""


def _duplicate_accounts(ctx: AuditContext, partition: str) -> Outcome:
    t = ctx.thresholds
    bound = {"max_duplicate_rate": t.max_duplicate_rate, "any": "WARN", "same": ["account_name", "created_at"]}
    view = landing_view(ctx, "accounts", partition)
    if view is None:
        raise LookupError(f"the accounts landing snapshot of {partition} could not be read")
    r = ctx.rows(_DUPLICATES_SQL.replace("{v}", view), partition)[0]
    rate = r["extra_ids"] / r["rows"] if r["rows"] else 0.0
    observed = {"rows": r["rows"], "duplicate_groups": r["groups"], "extra_account_ids": r["extra_ids"],
                "active_rows_in_groups": r["active_rows"], "rate": round(rate, 6)}
    if not r["extra_ids"]:
        return passed(f"no company under two account_ids among {r['rows']} accounts", observed=observed, bound=bound)
    ids = sorted({a for g in r["sample"] for a in g["account_ids"]})
    return Outcome(
        "error" if rate > t.max_duplicate_rate else "warn",
        f"{r['groups']} company(ies) appear under several account_ids ({r['extra_ids']} extra ids, {rate:.2%} of "
        f"{r['rows']} accounts; bound {t.max_duplicate_rate:.1%}): growth counts them twice", observed, bound,
        failing_count=r["extra_ids"], sample=r["sample"],
        sql=lake_query(f"select * from {ASSET} where date = '{partition}' and account_id in "
                       f"({', '.join(repr(a) for a in ids[:40])}) order by account_id"),
    )


DUPLICATE_ACCOUNTS = CheckDef(
    "duplicate_accounts", ASSET, "uniqueness",
    "Accounts of the day's landing snapshot sharing account_name and created_at under different account_ids "
    "(one customer re-created with a new id inflates growth): extra ids / accounts > max_duplicate_rate (0.1 %): "
    "ERROR; any: WARN. One id twice in the snapshot is the landing contract's (and the staging guard's).",
    "duplicate-accounts", _duplicate_accounts, failure_modes=("duplicate-accounts",),
)
