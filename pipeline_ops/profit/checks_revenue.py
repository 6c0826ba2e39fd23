"""Checks of stg_revenue_usd: duplicated documents, accounts expected to be billed, renewal volume.

Who is expected to be billed on day D follows from how billing works (monthly, in advance): an
account's latest invoice pays for service up to its `service_end`, so the next invoice is due on
the day the paid service runs out: ``service_end + 1`` for accounts billed on their period's first
day, ``service_end`` for the month-end run (issued the day before its calendar month starts, so
`service_start - issue day` = 1). So *due on D* = accounts active in D's accounts snapshot whose
latest invoice issued D-32..D-1 (the longest period is 31 days ahead) says D; plus *sign-ups*:
accounts active on D that were not in D-1's snapshot (they are billed their first period on the
day they sign up). Nothing is expected of accounts without an invoice in the look-back (the lake's
first month), so a young lake passes. Documents of the run's own days are read from their staged
files (a backfill publishes only at the end), earlier days from the published lake (checks_lake.py).

Thresholds: min_completeness (99.5 %), max_duplicate_rate (0.1 %), warn_pct / error_pct (10 / 25 %).
Re-run behaviour: a day's verdicts depend only on its documents, the 32 days before it and the
accounts snapshots of D and D-1, so re-auditing it with those unchanged gives the same result; a
blocked day is not published, so fixing the file and re-running the day is all it takes.
"""

from __future__ import annotations

import datetime as dt
from weakref import WeakKeyDictionary

from pipeline_ops.profit import checks_lake as lake
from pipeline_ops.quality.audit import AuditContext
from pipeline_ops.quality.generic import lake_query
from pipeline_ops.quality.outcome import CheckDef, Outcome, passed

ASSET = "stg_revenue_usd"
LOOKBACK = 32  # days of invoices that can still pay for D-1 or D (a period ends <= 31 days after its issue day)
_DOC_COLUMNS = "invoice_id, account_id, kind, issued_at, amount, currency, amount_usd, service_start, service_end"


def due_sql(docs: str, snapshot: str, previous: str | None, day: str) -> str:
    """Accounts due to be billed on `day` ('renewal' or 'sign-up') with their MRR in USD, and what they were billed.

    `docs`: documents issued day-32..day; `snapshot` / `previous`: stg_account_daily of day / day-1 (None: unknown).
    """
    signups = (f"""UNION ALL SELECT account_id, 'sign-up', NULL, mrr_usd FROM snap
        WHERE is_active AND account_id NOT IN (SELECT account_id FROM ({previous}))""" if previous else "")
    return f"""
WITH docs AS ({docs}),
prior AS (SELECT account_id, service_end::DATE AS service_end,
                 greatest(service_start::DATE - date, 0)::INTEGER AS lead_days
          FROM docs WHERE kind = 'invoice' AND date < DATE '{day}'),
latest AS (SELECT account_id, arg_max(service_end + (1 - lead_days), (service_end - DATE '2000-01-01') * 10 + lead_days)
                  AS next_issue, max(service_end) AS paid_until FROM prior GROUP BY ALL),
snap AS (SELECT account_id, is_active, mrr_usd FROM ({snapshot})),
due AS (SELECT account_id, 'renewal' AS why, paid_until, mrr_usd FROM latest JOIN snap USING (account_id)
        WHERE is_active AND next_issue = DATE '{day}' {signups}),
billed AS (SELECT account_id, count(*) AS invoices, sum(amount_usd) AS invoiced_usd,
                  sum(amount_usd) FILTER (WHERE service_start::DATE >= date) AS period_invoiced_usd
           FROM docs WHERE date = DATE '{day}' AND kind = 'invoice' GROUP BY ALL)
SELECT due.*, coalesce(invoices, 0) AS invoices, coalesce(invoiced_usd, 0.0) AS invoiced_usd,
       coalesce(period_invoiced_usd, 0.0) AS period_invoiced_usd
FROM due LEFT JOIN billed USING (account_id) ORDER BY why, account_id"""


_DUE: "WeakKeyDictionary[AuditContext, dict[str, list[dict] | None]]" = WeakKeyDictionary()


def _due(ctx: AuditContext, partition: str) -> list[dict] | None:
    """Due accounts of the day (computed once per audit and day), or None without the day's accounts snapshot."""
    cache = _DUE.setdefault(ctx, {})
    if partition not in cache:
        day = dt.date.fromisoformat(partition)
        snapshot = lake.table(ctx, "stg_account_daily", [partition], "account_id, is_active, mrr_usd")
        previous = lake.table(ctx, "stg_account_daily", [(day - dt.timedelta(days=1)).isoformat()], "account_id")
        docs = lake.table(ctx, ASSET, lake.days(day - dt.timedelta(days=LOOKBACK), day), _DOC_COLUMNS)
        cache[partition] = None if snapshot is None else lake.query(ctx, due_sql(docs, snapshot, previous, partition))
    return cache[partition]


def _lake_due_query(partition: str, where: str) -> str:
    """The same due-accounts query over the published lake (valid once the day is published or re-run)."""
    day = dt.date.fromisoformat(partition)
    docs = (f"SELECT * REPLACE (date::DATE AS date) FROM {ASSET} WHERE date BETWEEN DATE "
            f"'{day - dt.timedelta(days=LOOKBACK)}' AND DATE '{partition}'")
    snap = f"SELECT * FROM stg_account_daily WHERE date = DATE '{partition}'"
    prev = f"SELECT * FROM stg_account_daily WHERE date = DATE '{partition}' - 1"
    return lake_query(f"SELECT * FROM ({due_sql(docs, snap, prev, partition)}) WHERE {where}")


def _billed_complete(ctx: AuditContext, partition: str) -> Outcome:
    t = ctx.thresholds
    due = _due(ctx, partition)
    bound = {"min_completeness": t.min_completeness, "expected": "renewals due (paid service runs out) + sign-ups"}
    if due is None:
        return passed(f"no stg_account_daily snapshot for {partition} in the lake: nothing to expect", bound=bound)
    missing = [r for r in due if r["invoices"] == 0]
    share = 1 - len(missing) / len(due) if due else 1.0
    observed = {"expected_accounts": len(due), "billed_accounts": len(due) - len(missing),
                "renewals_due": sum(r["why"] == "renewal" for r in due), "sign_ups": sum(r["why"] == "sign-up" for r in due),
                "completeness": round(share, 5)}
    if share >= t.min_completeness:
        return passed(f"{len(due) - len(missing)} of {len(due)} accounts due on {partition} were billed", observed=observed, bound=bound)
    lost = sum(r["mrr_usd"] or 0.0 for r in missing)
    return Outcome(
        "error", f"only {share:.1%} of the accounts due on {partition} were billed: {len(missing)} of {len(due)} have no "
        f"invoice (MRR {lost:,.0f} USD/month), e.g. {', '.join(r['account_id'] for r in missing[:5])}",
        observed | {"missing_mrr_usd": lost}, bound, failing_count=len(missing),
        sample=[{k: (str(v) if isinstance(v, dt.date) else v) for k, v in r.items()} for r in missing[:20]],
        sql=_lake_due_query(partition, "invoices = 0"),
    )


def _revenue_volume(ctx: AuditContext, partition: str) -> Outcome:
    """Invoices of renewals due vs their MRR: monthly billing in advance bills the month's MRR."""
    t = ctx.thresholds
    due = _due(ctx, partition)
    renewals = [r for r in (due or []) if r["why"] == "renewal"]
    expected = sum(r["mrr_usd"] or 0.0 for r in renewals)
    billed = sum(r["period_invoiced_usd"] for r in renewals)
    bound = {"warn": f"|billed / MRR due - 1| > {t.warn_pct:.0%}", "error": f"> {t.error_pct:.0%}"}
    observed = {"renewals_due": len(renewals), "mrr_due_usd": expected, "renewal_invoiced_usd": billed,
                "invoice_usd": ctx.metric("invoice_usd", partition), "documents": ctx.metric("rows", partition)}
    if not expected > 0:
        return passed(f"no renewal due on {partition} (static bound only); {observed['documents']:g} documents",
                      observed=observed, bound=bound)
    change = billed / expected - 1
    observed["change"] = round(change, 5)
    summary = (f"renewal invoices of the {len(renewals)} accounts due on {partition}: {billed:,.0f} USD vs their MRR "
               f"{expected:,.0f} ({change:+.1%})")
    level = "error" if abs(change) > t.error_pct else "warn" if abs(change) > t.warn_pct else "pass"
    if level == "pass":
        return passed(summary, observed=observed, bound=bound)
    off = sorted(renewals, key=lambda r: -abs(r["period_invoiced_usd"] - (r["mrr_usd"] or 0.0)))[:20]
    return Outcome(level, summary, observed, bound, failing_count=sum(
        abs(r["period_invoiced_usd"] - (r["mrr_usd"] or 0.0)) > 0.01 * (r["mrr_usd"] or 0.0) for r in renewals),
        sample=[{k: (str(v) if isinstance(v, dt.date) else v) for k, v in r.items()} for r in off],
        sql=_lake_due_query(partition, "why = 'renewal'"), flag_metrics=("invoice_usd",))


_DUP_KEY = "account_id, kind, amount, currency, issued_at"


def _duplicates(ctx: AuditContext, partition: str) -> Outcome:
    t = ctx.thresholds
    groups = ctx.rows(f"SELECT {_DUP_KEY}, count(*) AS copies, list(invoice_id ORDER BY invoice_id) AS invoice_ids, "
                      f"sum(amount_usd) AS amount_usd FROM {{t}} GROUP BY ALL HAVING count(*) > 1 ORDER BY copies DESC, "
                      "account_id", partition)
    rows = int(ctx.metric("rows", partition))
    extra = sum(g["copies"] - 1 for g in groups)
    landing = ctx.profile_of(partition, "landing/revenue")
    landed = int(landing.metrics["rows"]) if landing is not None else None
    observed = {"documents": rows, "duplicates_with_new_ids": extra, "duplicate_rate": round(extra / rows, 6) if rows else 0.0,
                "landed_rows": landed, "dropped_as_same_invoice_id": None if landed is None else landed - rows}
    bound = {"max_duplicate_rate": t.max_duplicate_rate, "same_document": _DUP_KEY}
    if not rows or extra / rows <= t.max_duplicate_rate:
        return passed(f"{extra} duplicated document(s) with new ids in {rows}", observed=observed, bound=bound)
    overstated = sum(g["amount_usd"] * (g["copies"] - 1) / g["copies"] for g in groups)
    return Outcome(
        "error", f"{extra} of {rows} documents ({extra / rows:.2%}) repeat another document of the day under a new invoice_id "
        f"(same {_DUP_KEY}): revenue overstated by {overstated:,.2f} USD",
        observed | {"overstated_usd": overstated}, bound, failing_count=extra,
        sample=[{k: str(v) if k == "issued_at" else v for k, v in g.items()} for g in groups[:20]],
        sql=lake_query(f"select {_DUP_KEY}, count(*) as copies, list(invoice_id) as invoice_ids from {ASSET} "
                       f"where date = '{partition}' group by all having count(*) > 1 order by copies desc"),
    )


DUPLICATE_DOCUMENTS = CheckDef(
    "duplicate_documents", ASSET, "uniqueness",
    f"Documents of the day that repeat another one under a new invoice_id (same {_DUP_KEY}: a re-run export), as a "
    "share of the day's documents: ERROR above max_duplicate_rate (0.1 %). Exact re-deliveries of an invoice_id are "
    "dropped by staging and only counted (observed: landed rows - staged rows).",
    "duplicate-records", _duplicates, failure_modes=("duplicate-records",),
)
ACCOUNTS_BILLED_COMPLETE = CheckDef(
    "accounts_billed_complete", ASSET, "completeness",
    "Share of the accounts due to be billed on the day that have an invoice: renewals whose paid service runs out "
    "(from their latest invoice's service period, D-32..D-1) and are active in the day's accounts snapshot, plus the "
    "day's sign-ups. ERROR below min_completeness (99.5 %): a revenue file missing a slice of accounts.",
    "completeness-drop", _billed_complete, failure_modes=("completeness-drop", "row-count-drop"),
)
REVENUE_VOLUME = CheckDef(
    "revenue_volume", ASSET, "drift",
    "Invoiced amount of the renewals due on the day (invoices for a period from the issue day on) against those "
    "accounts' MRR in USD (monthly billing in advance bills one month's MRR): WARN beyond warn_pct (10 %), ERROR beyond "
    "error_pct (25 %): missing, repeated or restated amounts. Billing is monthly, not weekly, so the expectation "
    "comes from the accounts due, not a weekday baseline; a day with no renewal due passes (static bound).",
    "row-count-drop", _revenue_volume, failure_modes=("row-count-drop", "completeness-drop", "duplicate-records"),
)
