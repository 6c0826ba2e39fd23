"""Hand-written DuckDB baseline of the profit and growth outputs, straight from the landing CSV files.

Reproduced, for every UTC day of [first, last] (one row set per day, as the pipelines publish them):

- `profit_unit_level`  one row per (date, account_id): recognised and billed revenue, cost share, profit
- `profit_aggregate`   one row per date: investor revenue (recognised), billed, refunds, costs, profit, ratios
- `growth_daily`       one row per (date, experiment_id, variant), plus ('none', 'none') every day
- `growth_aggregate`   one row per date: investor flows and end-of-day stocks, MRR growth

Columns left out: `definition_version` (a constant the pipelines stamp on each row). Nothing else is
left out; the lake's own bookkeeping (the ops log, run ids, checksums, write timestamps) lives outside
these tables. Columns and dtypes follow the lake schemas: `date` is datetime64[ns] (the partition
key, kept as a column), strings are pandas "string", counts int64, money float64 USD (never
rounded), flags bool.

Independence: every rule is re-expressed below in SQL of this module's own, read from the
pipelines' code and docs/landing_zone.md; no pipeline_ops compute, transform or reader function is
imported or called. The only thing taken from pipeline_ops is config: `processing.partitions_start`
from `pipeline_ops.config.current_config()`. Only landing files are read, never the lake
(`compare` alone reads the lake, to check the result).

Revenue history H: the later of processing.partitions_start and the landing zone's first revenue
folder (nothing issued before H is read, and days with D - 31 < H get recognition_complete = false).
The pipelines use the lake's first stg_revenue_usd partition instead of the landing's first folder;
the two agree whenever the lake was built from the start of the landing zone or from
partitions_start (else pass `history=`).

What it does not do: the pipelines' fail-closed guards (missing folder or rate, duplicate keys,
orphan documents, conflicting assignments, contract types) and quality checks. A missing required
folder still fails (its file cannot be opened), but broken data is otherwise computed as it is.

Speed: one DuckDB connection, a handful of temp tables; each source is read from the exact list of
date folders it needs (revenue, FX and experiment assignments: the 31-day recognition look-back
plus one day for the D-1 assignment rule; the rest: only the run's days; salaries: one folder per
month). Run: see benchmarks/baseline/README.md.
"""

from __future__ import annotations

import datetime as dt
import glob
import math
import os

import duckdb
import pandas as pd

# A revenue document's service_end is at most this many days after its issue day (landing contract),
# so day D recognises documents issued D-31 .. D.
LOOKBACK_DAYS = 31

TABLES = ("profit_unit_level", "profit_aggregate", "growth_daily", "growth_aggregate")
OMITTED_COLUMNS = ("definition_version",)

# Output columns and pandas dtypes, as in the lake tables (their row keys first).
KEYS = {
    "profit_unit_level": ["date", "account_id"],
    "profit_aggregate": ["date"],
    "growth_daily": ["date", "experiment_id", "variant"],
    "growth_aggregate": ["date"],
}
_F, _I, _S, _B, _D = "float64", "int64", "string", "bool", "datetime64[ns]"
COLUMNS = {
    "profit_unit_level": {
        "date": _D, "account_id": _S, "plan": _S, "region": _S, "licences": _I, "revenue_usd": _F,
        "billed_revenue_usd": _F, "allocated_cost_usd": _F, "profit_usd": _F, "profit_per_licence_usd": _F,
        "experiment_id": _S, "variant": _S, "exclude_from_investor": _B, "recognition_complete": _B,
    },
    "profit_aggregate": {
        "date": _D, "revenue_usd": _F, "billed_revenue_usd": _F, "refunds_usd": _F, "expenses_usd": _F,
        "salaries_usd": _F, "profit_usd": _F, "profit_margin": _F, "active_accounts": _I, "licences": _I,
        "profit_per_account_usd": _F, "profit_per_licence_usd": _F, "excluded_revenue_usd": _F,
        "recognition_complete": _B,
    },
    "growth_daily": {
        "date": _D, "experiment_id": _S, "variant": _S, "new_accounts": _I, "churned_accounts": _I,
        "net_new_accounts": _I, "net_licence_adds": _I, "new_mrr_usd": _F, "expansion_mrr_usd": _F,
        "contraction_mrr_usd": _F, "churned_mrr_usd": _F, "net_new_mrr_usd": _F, "active_accounts": _I,
        "licences": _I, "mrr_usd": _F,
    },
    "growth_aggregate": {
        "date": _D, "new_accounts": _I, "churned_accounts": _I, "net_new_accounts": _I, "net_licence_adds": _I,
        "active_accounts": _I, "licences": _I, "mrr_usd": _F, "net_new_mrr_usd": _F, "mrr_growth_pct": _F,
    },
}
RATIO_COLUMNS = ("profit_margin", "mrr_growth_pct")  # compared to 1e-9; *_usd to the cent; the rest exactly

# ------------------------------------------------------------------------------------------------
# Landing sources: folder, file name and the DuckDB types of the columns used (CSV, one header line,
# only an empty unquoted field is null, so region 'NA' stays North America). Extra columns are
# ignored; the `date` column is the folder's `date=YYYY-MM-DD` (hive partition).
# ------------------------------------------------------------------------------------------------
SOURCES = {
    "fx_rates": ("fx_rates.csv", {"currency": "VARCHAR", "usd_per_unit": "DOUBLE"}),
    "revenue": ("invoices.csv", {"invoice_id": "VARCHAR", "account_id": "VARCHAR", "kind": "VARCHAR",
                                 "issued_at": "TIMESTAMPTZ", "amount": "DOUBLE", "currency": "VARCHAR",
                                 "service_start": "DATE", "service_end": "DATE"}),
    "experiment_assignments": ("assignments.csv", {"experiment_id": "VARCHAR", "unit_type": "VARCHAR",
                                                   "unit_id": "VARCHAR", "variant": "VARCHAR",
                                                   "exclude_from_investor": "BOOLEAN"}),
    "accounts": ("accounts.csv", {"account_id": "VARCHAR", "plan": "VARCHAR", "region": "VARCHAR",
                                  "currency": "VARCHAR", "status": "VARCHAR", "licences": "BIGINT",
                                  "mrr": "DOUBLE"}),
    "subscription_events": ("subscription_events.csv", {
        "event_id": "VARCHAR", "account_id": "VARCHAR", "event_type": "VARCHAR", "event_ts": "TIMESTAMPTZ",
        "licences_before": "BIGINT", "licences_after": "BIGINT", "mrr_before": "DOUBLE", "mrr_after": "DOUBLE",
        "currency": "VARCHAR"}),
    "expenses": ("expenses.csv", {"expense_id": "VARCHAR", "amount": "DOUBLE", "currency": "VARCHAR"}),
    "salaries": ("salaries.csv", {"month": "VARCHAR", "team": "VARCHAR", "amount": "DOUBLE", "currency": "VARCHAR"}),
}

# ------------------------------------------------------------------------------------------------
# Staging, as temp tables shared by the four outputs. {first}, {last}, {history} are DATE literals;
# src_<source> are views over the landing files (see _source_view).
# ------------------------------------------------------------------------------------------------
STAGING_SQL = """
-- The run's days.
CREATE OR REPLACE TEMP TABLE bl_days AS
SELECT CAST(d AS DATE) AS date,
       -- Recognition is complete when the day's 31-day look-back lies inside the revenue history H
       -- (the later of processing.partitions_start and the first revenue folder): D - 31 >= H.
       CAST(d AS DATE) - {lookback} >= {history} AS recognition_complete
FROM unnest(generate_series({first}, {last}, INTERVAL 1 DAY)) AS t(d);

-- FX: USD per unit of each currency, per folder day. Every amount is converted at the rate of its
-- own day (documents: issue day; costs, snapshots, events: their day). Never carried forward.
CREATE OR REPLACE TEMP TABLE bl_fx AS
SELECT date, currency, usd_per_unit FROM src_fx_rates;

-- Account assignments in effect on each day (unit_type = 'account'; the user experiments never
-- touch profit or growth). Exact repeats in a snapshot are one row.
CREATE OR REPLACE TEMP TABLE bl_snapshot AS
SELECT DISTINCT date, unit_id AS account_id, experiment_id, variant, exclude_from_investor
FROM src_experiment_assignments WHERE unit_type = 'account';

-- D-1 rule: on day D a unit has the assignment of D's end-of-day snapshot; a unit that was in D-1's
-- snapshot but is in no account experiment of D's left during D (churned): it keeps D-1's
-- assignment for D only. Without a D-1 folder (history start) nothing is carried.
CREATE OR REPLACE TEMP TABLE bl_assignment AS
SELECT date, account_id, experiment_id, variant, exclude_from_investor
FROM bl_snapshot WHERE date BETWEEN {revenue_from} AND {last}
UNION ALL
SELECT prev.date + 1, prev.account_id, prev.experiment_id, prev.variant, prev.exclude_from_investor
FROM bl_snapshot prev
WHERE prev.date + 1 BETWEEN {revenue_from} AND {last}
  AND NOT EXISTS (SELECT 1 FROM bl_snapshot cur WHERE cur.date = prev.date + 1 AND cur.account_id = prev.account_id);

-- Accounts per day (end-of-day snapshot, churned accounts included): MRR in USD at the day's rate,
-- active = status 'active' with at least one licence, the day's experiment (unassigned: nulls, not
-- excluded).
CREATE OR REPLACE TEMP TABLE bl_accounts AS
SELECT a.date, a.account_id, a.plan, a.region, a.licences,
       a.mrr * fx.usd_per_unit AS mrr_usd,
       a.status = 'active' AND a.licences > 0 AS is_active,
       x.experiment_id, x.variant, coalesce(x.exclude_from_investor, false) AS exclude_from_investor
FROM src_accounts a
LEFT JOIN bl_fx fx ON fx.date = a.date AND fx.currency = a.currency
LEFT JOIN bl_assignment x ON x.date = a.date AND x.account_id = a.account_id;

-- Revenue documents issued H .. last (the run's days and their look-back), one per (day, invoice_id):
-- the earliest issued_at wins (file order breaks ties). Signed USD at the issue day's rate
-- (+ invoice, - refund); the service period service_start .. service_end counts both ends; the
-- document is investor-excluded when its account's assignment on the issue day is.
CREATE OR REPLACE TEMP TABLE bl_documents AS
WITH numbered AS (SELECT *, row_number() OVER () AS file_row FROM src_revenue),
     first_copy AS (
        SELECT * FROM numbered
        QUALIFY row_number() OVER (PARTITION BY date, invoice_id ORDER BY issued_at, file_row) = 1)
SELECT d.date AS issue_day, d.invoice_id, d.account_id, d.kind,
       CASE d.kind WHEN 'invoice' THEN 1.0 WHEN 'refund' THEN -1.0 END * d.amount * fx.usd_per_unit AS amount_usd,
       d.service_start, d.service_end, d.service_end - d.service_start + 1 AS service_days,
       coalesce(x.exclude_from_investor, false) AS exclude_from_investor
FROM first_copy d
LEFT JOIN bl_fx fx ON fx.date = d.date AND fx.currency = d.currency
LEFT JOIN bl_assignment x ON x.date = d.date AND x.account_id = d.account_id;

-- Recognition: a document recognises amount_usd / service_days on each day of its period, never
-- before its issue day; the issue day also takes the days of the period already past (a service
-- credit for the current period, or a period wholly in the past, is caught up on the issue day).
-- So a document recognises on the days greatest(start, issue) .. greatest(end, issue), and on the
-- issue day (min(end, issue) - start + 1) x amount / days. One row per (day, account) with any
-- document recognising on it (a zero amount still makes the row).
CREATE OR REPLACE TEMP TABLE bl_recognised AS
SELECT r.date, d.account_id,
       sum(v.value) AS recognised_usd,
       coalesce(sum(v.value) FILTER (WHERE NOT d.exclude_from_investor), 0.0) AS investor_recognised_usd
FROM bl_documents d
JOIN bl_days r ON r.date BETWEEN greatest(d.service_start, d.issue_day) AND greatest(d.service_end, d.issue_day)
CROSS JOIN LATERAL (SELECT d.amount_usd / d.service_days
        * CASE WHEN r.date = d.issue_day THEN greatest(least(d.service_end, d.issue_day) - d.service_start + 1, 0)
               ELSE 1 END AS value) v
GROUP BY ALL;

-- Cost lines per day in USD at the day's rate: each expense on its booking (folder) day, and each
-- team's monthly payroll (folder of the month's first day) spread evenly: amount / days in month.
CREATE OR REPLACE TEMP TABLE bl_costs AS
SELECT e.date, 'expense' AS source, e.amount * fx.usd_per_unit AS amount_usd
FROM src_expenses e LEFT JOIN bl_fx fx ON fx.date = e.date AND fx.currency = e.currency
UNION ALL
SELECT r.date, 'salary', s.amount / dayofmonth(last_day(r.date)) * fx.usd_per_unit
FROM bl_days r
JOIN src_salaries s ON s.month = strftime(r.date, '%Y-%m')
LEFT JOIN bl_fx fx ON fx.date = r.date AND fx.currency = s.currency;

-- Subscription events of the run's days, one per (day, event_id) (earliest event_ts wins), with
-- licence and MRR deltas (USD at the event day's rate) and the account's experiment that day.
CREATE OR REPLACE TEMP TABLE bl_events AS
WITH numbered AS (SELECT *, row_number() OVER () AS file_row FROM src_subscription_events),
     first_copy AS (
        SELECT * FROM numbered
        QUALIFY row_number() OVER (PARTITION BY date, event_id ORDER BY event_ts, file_row) = 1)
SELECT e.date, e.event_id, e.account_id, e.event_type,
       e.licences_after - e.licences_before AS licence_delta,
       e.mrr_before * fx.usd_per_unit AS mrr_before_usd,
       (e.mrr_after - e.mrr_before) * fx.usd_per_unit AS mrr_delta_usd,
       x.experiment_id, x.variant, coalesce(x.exclude_from_investor, false) AS exclude_from_investor
FROM first_copy e
LEFT JOIN bl_fx fx ON fx.date = e.date AND fx.currency = e.currency
LEFT JOIN bl_assignment x ON x.date = e.date AND x.account_id = e.account_id;
"""

PROFIT_UNIT_LEVEL_SQL = """
-- Experiment-facing: every account active that day, billed that day or recognising revenue that day
-- (all experiments kept). The day's whole-company cost (expenses + salary shares) is shared among
-- active accounts by licences (excluded accounts included, so the shares add up to the cost).
WITH billed AS (SELECT issue_day AS date, account_id, sum(amount_usd) AS billed_revenue_usd
                FROM bl_documents WHERE issue_day BETWEEN {first} AND {last} GROUP BY ALL),
     cost AS (SELECT date, sum(amount_usd) AS total_cost_usd FROM bl_costs GROUP BY ALL),
     seats AS (SELECT date, sum(licences) FILTER (WHERE is_active)::BIGINT AS active_licences FROM bl_accounts GROUP BY ALL),
     u AS (
        SELECT a.date, a.account_id, a.plan, a.region, a.licences, a.experiment_id, a.variant,
               a.exclude_from_investor,
               coalesce(r.recognised_usd, 0.0) AS revenue_usd,
               coalesce(b.billed_revenue_usd, 0.0) AS billed_revenue_usd,
               CASE WHEN NOT a.is_active OR coalesce(s.active_licences, 0) = 0 THEN 0.0
                    ELSE coalesce(c.total_cost_usd, 0.0) * a.licences / s.active_licences END AS allocated_cost_usd
        FROM bl_accounts a
        LEFT JOIN bl_recognised r ON r.date = a.date AND r.account_id = a.account_id
        LEFT JOIN billed b ON b.date = a.date AND b.account_id = a.account_id
        LEFT JOIN cost c ON c.date = a.date
        LEFT JOIN seats s ON s.date = a.date
        WHERE a.is_active OR r.account_id IS NOT NULL OR b.account_id IS NOT NULL)
SELECT u.date, account_id, plan, region, licences, revenue_usd, billed_revenue_usd, allocated_cost_usd,
       revenue_usd - allocated_cost_usd AS profit_usd,
       CASE WHEN licences = 0 THEN NULL ELSE (revenue_usd - allocated_cost_usd) / licences END AS profit_per_licence_usd,
       experiment_id, variant, exclude_from_investor, d.recognition_complete
FROM u JOIN bl_days d USING (date)
ORDER BY u.date, account_id
"""

PROFIT_AGGREGATE_SQL = """
-- Investor-facing, one row per day. Revenue is recognised revenue without documents issued while
-- their account was excluded (excluded_revenue_usd shows what was left out); billed revenue and
-- refunds are the day's non-excluded documents; costs are whole-company; accounts and licences are
-- the day's active, non-excluded accounts.
WITH billed AS (
        SELECT issue_day AS date,
               coalesce(sum(amount_usd) FILTER (WHERE NOT exclude_from_investor), 0.0) AS billed_revenue_usd,
               coalesce(sum(-amount_usd) FILTER (WHERE NOT exclude_from_investor AND kind = 'refund'), 0.0) AS refunds_usd
        FROM bl_documents WHERE issue_day BETWEEN {first} AND {last} GROUP BY ALL),
     rec AS (
        SELECT date, sum(investor_recognised_usd) AS revenue_usd,
               sum(recognised_usd - investor_recognised_usd) AS excluded_revenue_usd
        FROM bl_recognised GROUP BY ALL),
     cost AS (
        SELECT date,
               coalesce(sum(amount_usd) FILTER (WHERE source = 'expense'), 0.0) AS expenses_usd,
               coalesce(sum(amount_usd) FILTER (WHERE source = 'salary'), 0.0) AS salaries_usd
        FROM bl_costs GROUP BY ALL),
     stock AS (
        SELECT date, count(*) AS active_accounts, sum(licences)::BIGINT AS licences
        FROM bl_accounts WHERE is_active AND NOT exclude_from_investor GROUP BY ALL),
     day AS (
        SELECT d.date, coalesce(rec.revenue_usd, 0.0) AS revenue_usd,
               coalesce(billed.billed_revenue_usd, 0.0) AS billed_revenue_usd,
               coalesce(billed.refunds_usd, 0.0) AS refunds_usd,
               coalesce(cost.expenses_usd, 0.0) AS expenses_usd, coalesce(cost.salaries_usd, 0.0) AS salaries_usd,
               coalesce(stock.active_accounts, 0) AS active_accounts, coalesce(stock.licences, 0) AS licences,
               coalesce(rec.excluded_revenue_usd, 0.0) AS excluded_revenue_usd, d.recognition_complete
        FROM bl_days d LEFT JOIN rec USING (date) LEFT JOIN billed USING (date)
        LEFT JOIN cost USING (date) LEFT JOIN stock USING (date))
SELECT date, revenue_usd, billed_revenue_usd, refunds_usd, expenses_usd, salaries_usd,
       revenue_usd - expenses_usd - salaries_usd AS profit_usd,
       CASE WHEN revenue_usd = 0 THEN NULL ELSE (revenue_usd - expenses_usd - salaries_usd) / revenue_usd END AS profit_margin,
       active_accounts, licences,
       CASE WHEN active_accounts = 0 THEN NULL ELSE (revenue_usd - expenses_usd - salaries_usd) / active_accounts END AS profit_per_account_usd,
       CASE WHEN licences = 0 THEN NULL ELSE (revenue_usd - expenses_usd - salaries_usd) / licences END AS profit_per_licence_usd,
       excluded_revenue_usd, recognition_complete
FROM day ORDER BY date
"""

# Flows of the day's events and stocks of the end-of-day snapshot, shared by the two growth tables.
_FLOWS = """
        count(*) FILTER (WHERE event_type = 'new') AS new_accounts,
        count(*) FILTER (WHERE event_type = 'churn') AS churned_accounts,
        sum(licence_delta)::BIGINT AS net_licence_adds,
        coalesce(sum(mrr_delta_usd) FILTER (WHERE event_type = 'new'), 0.0) AS new_mrr_usd,
        -- expansion: positive deltas of upgrades, licence changes and renewals
        coalesce(sum(mrr_delta_usd) FILTER (WHERE event_type IN ('upgrade', 'licence_change', 'renewal')
                                             AND mrr_delta_usd > 0), 0.0) AS expansion_mrr_usd,
        -- contraction: negative deltas of downgrades, licence changes and renewals, as a positive number
        coalesce(sum(-mrr_delta_usd) FILTER (WHERE event_type IN ('downgrade', 'licence_change', 'renewal')
                                             AND mrr_delta_usd < 0), 0.0) AS contraction_mrr_usd,
        coalesce(sum(mrr_before_usd) FILTER (WHERE event_type = 'churn'), 0.0) AS churned_mrr_usd,
        sum(mrr_delta_usd) AS net_new_mrr_usd"""
_STOCKS = """
        count(*) FILTER (WHERE is_active) AS active_accounts,
        coalesce(sum(licences) FILTER (WHERE is_active), 0)::BIGINT AS licences,
        coalesce(sum(mrr_usd) FILTER (WHERE is_active), 0.0) AS mrr_usd"""
_ZERO_FILLED = """
       coalesce(e.new_accounts, 0) AS new_accounts, coalesce(e.churned_accounts, 0) AS churned_accounts,
       coalesce(e.new_accounts, 0) - coalesce(e.churned_accounts, 0) AS net_new_accounts,
       coalesce(e.net_licence_adds, 0) AS net_licence_adds"""

GROWTH_DAILY_SQL = f"""
-- Experiment-facing, per (experiment_id, variant) and day, all accounts (excluded experiments too);
-- unassigned accounts in the arm ('none', 'none'), which has a row every day.
WITH stock AS (SELECT date, coalesce(experiment_id, 'none') AS experiment_id, coalesce(variant, 'none') AS variant,
                      {_STOCKS}
               FROM bl_accounts GROUP BY ALL),
     e AS (SELECT date, coalesce(experiment_id, 'none') AS experiment_id, coalesce(variant, 'none') AS variant,
                  {_FLOWS}
           FROM bl_events GROUP BY ALL),
     arm AS (SELECT date, experiment_id, variant FROM stock
             UNION SELECT date, experiment_id, variant FROM e
             UNION SELECT date, 'none', 'none' FROM bl_days)
SELECT arm.date, arm.experiment_id, arm.variant, {_ZERO_FILLED},
       coalesce(e.new_mrr_usd, 0.0) AS new_mrr_usd, coalesce(e.expansion_mrr_usd, 0.0) AS expansion_mrr_usd,
       coalesce(e.contraction_mrr_usd, 0.0) AS contraction_mrr_usd, coalesce(e.churned_mrr_usd, 0.0) AS churned_mrr_usd,
       coalesce(e.net_new_mrr_usd, 0.0) AS net_new_mrr_usd,
       coalesce(stock.active_accounts, 0) AS active_accounts, coalesce(stock.licences, 0) AS licences,
       coalesce(stock.mrr_usd, 0.0) AS mrr_usd
FROM arm
LEFT JOIN stock USING (date, experiment_id, variant)
LEFT JOIN e USING (date, experiment_id, variant)
ORDER BY arm.date, arm.experiment_id, arm.variant
"""

GROWTH_AGGREGATE_SQL = f"""
-- Investor-facing, one row per day, without accounts excluded that day (their assignment in effect).
-- mrr_growth_pct = 100 x net new MRR / start-of-day MRR, where start-of-day MRR = end-of-day MRR -
-- net new MRR (null when 0).
WITH stock AS (SELECT date, {_STOCKS} FROM bl_accounts WHERE NOT exclude_from_investor GROUP BY ALL),
     e AS (SELECT date, {_FLOWS} FROM bl_events WHERE NOT exclude_from_investor GROUP BY ALL),
     day AS (
        SELECT d.date, {_ZERO_FILLED},
               coalesce(stock.active_accounts, 0) AS active_accounts, coalesce(stock.licences, 0) AS licences,
               coalesce(stock.mrr_usd, 0.0) AS mrr_usd, coalesce(e.net_new_mrr_usd, 0.0) AS net_new_mrr_usd
        FROM bl_days d LEFT JOIN stock USING (date) LEFT JOIN e USING (date))
SELECT *, CASE WHEN mrr_usd - net_new_mrr_usd = 0 THEN NULL
               ELSE 100 * net_new_mrr_usd / (mrr_usd - net_new_mrr_usd) END AS mrr_growth_pct
FROM day ORDER BY date
"""

OUTPUT_SQL = {
    "profit_unit_level": PROFIT_UNIT_LEVEL_SQL,
    "profit_aggregate": PROFIT_AGGREGATE_SQL,
    "growth_daily": GROWTH_DAILY_SQL,
    "growth_aggregate": GROWTH_AGGREGATE_SQL,
}


# ------------------------------------------------------------------------------------------------
# Which folders to read
# ------------------------------------------------------------------------------------------------
def _span(a: dt.date, b: dt.date) -> list[dt.date]:
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def _folder(landing: str, source: str, day: dt.date) -> str:
    return f"{landing.rstrip('/')}/{source}/date={day.isoformat()}/{SOURCES[source][0]}"


def history_start(landing: str, partitions_start: dt.date) -> dt.date:
    """H: the later of processing.partitions_start and the first revenue folder of the landing zone."""
    folders = sorted(glob.glob(f"{landing.rstrip('/')}/revenue/date=*"))
    first = dt.date.fromisoformat(folders[0].rsplit("date=", 1)[1][:10]) if folders else partitions_start
    return max(partitions_start, first)


def files_to_read(landing: str, first: dt.date, last: dt.date, history: dt.date) -> dict[str, list[str]]:
    """The exact files each source needs for [first, last]."""
    revenue_from = max(history, first - dt.timedelta(days=LOOKBACK_DAYS))  # the recognition look-back
    run = _span(first, last)
    lookback = _span(revenue_from, last)
    months = sorted({d.replace(day=1) for d in run})
    # Assignments: every issue day's (look-back) plus the day before the first, for the D-1 rule. That
    # day is optional (history start: it may not exist), and so are the look-back's, which only flag
    # documents; the run's own days are required.
    before = [d for d in _span(revenue_from - dt.timedelta(days=1), first - dt.timedelta(days=1))
              if os.path.exists(_folder(landing, "experiment_assignments", d))]
    return {
        "fx_rates": [_folder(landing, "fx_rates", d) for d in lookback],
        "revenue": [_folder(landing, "revenue", d) for d in lookback],
        "experiment_assignments": [_folder(landing, "experiment_assignments", d) for d in before + run],
        "accounts": [_folder(landing, "accounts", d) for d in run],
        "subscription_events": [_folder(landing, "subscription_events", d) for d in run],
        "expenses": [_folder(landing, "expenses", d) for d in run],
        "salaries": [_folder(landing, "salaries", m) for m in months],
    }


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _header(path: str) -> tuple[str, ...]:
    with open(path, encoding="utf-8") as fh:
        return tuple(fh.readline().rstrip("\r\n").split(","))


def _source_view(con: duckdb.DuckDBPyConnection, source: str, files: list[str]) -> None:
    """View src_<source> over `files` with typed columns plus `date` (the folder day).

    Each file's header line is read first and handed to DuckDB as its exact column list, so DuckDB
    neither sniffs nor unifies schemas (much faster than auto-detection); files whose headers differ
    (an extra column) are read per header and stacked by column name.
    """
    types = SOURCES[source][1]
    if not files:  # nothing to read (e.g. no assignments at all): an empty, typed relation
        cols = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in {"date": "DATE", **types}.items())
        con.execute(f"CREATE OR REPLACE TEMP VIEW src_{source} AS SELECT {cols} WHERE false")
        return
    groups: dict[tuple[str, ...], list[str]] = {}
    for path in files:
        groups.setdefault(_header(path), []).append(path)
    parts = []
    for header, paths in groups.items():
        missing = [c for c in types if c not in header]
        if missing:
            raise ValueError(f"{paths[0]}: missing column(s) {missing} of {source}")
        columns = "{" + ", ".join(f"{_sql_str(c)}: {_sql_str(types.get(c, 'VARCHAR'))}" for c in header) + "}"
        file_list = "[" + ", ".join(_sql_str(f) for f in paths) + "]"
        parts.append(f"""
        SELECT date, {', '.join(types)}
        FROM read_csv({file_list}, auto_detect = false, header = true, delim = ',', quote = '"', escape = '"',
                      nullstr = '', allow_quoted_nulls = false, columns = {columns},
                      hive_partitioning = true, hive_types = {{'date': 'DATE'}})""")
    con.execute(f"CREATE OR REPLACE TEMP VIEW src_{source} AS" + "\n        UNION ALL".join(parts))


def _literal(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def compute(landing: str, first: dt.date, last: dt.date, con: duckdb.DuckDBPyConnection | None = None,
            history: dt.date | None = None) -> dict[str, pd.DataFrame]:
    """The four tables for the days first..last (inclusive), from the landing CSV files at `landing`.

    `history` (H, where the revenue history starts) defaults to the later of processing.partitions_start
    and the landing zone's first revenue folder; pass the lake's first stg_revenue_usd day when the
    lake the pipelines wrote starts later than the landing zone.
    """
    if last < first:
        raise ValueError(f"last {last} is before first {first}")
    if history is None:
        from pipeline_ops.config import current_config  # config only: processing.partitions_start

        history = history_start(landing, current_config().processing.partitions_start)
    own = con is None
    con = con or duckdb.connect()
    try:
        for source, files in files_to_read(landing, first, last, history).items():
            _source_view(con, source, files)
        params = {"first": _literal(first), "last": _literal(last), "history": _literal(history),
                  "lookback": str(LOOKBACK_DAYS),
                  "revenue_from": _literal(max(history, first - dt.timedelta(days=LOOKBACK_DAYS)))}
        con.execute(STAGING_SQL.format(**params))
        out = {}
        for table, sql in OUTPUT_SQL.items():
            frame = con.execute(sql.replace("{first}", params["first"]).replace("{last}", params["last"])).df()
            out[table] = _conform(table, frame)
        return out
    finally:
        if own:
            con.close()
        else:
            for t in ("bl_days", "bl_fx", "bl_snapshot", "bl_assignment", "bl_accounts", "bl_documents",
                      "bl_recognised", "bl_costs", "bl_events"):
                con.execute(f"DROP TABLE IF EXISTS {t}")
            for source in SOURCES:
                con.execute(f"DROP VIEW IF EXISTS src_{source}")


def _conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The lake's column order and pandas dtypes."""
    out = frame[list(COLUMNS[table])].copy()
    for column, dtype in COLUMNS[table].items():
        if dtype == _D:
            out[column] = pd.to_datetime(out[column]).astype(_D)
        else:
            out[column] = out[column].astype(dtype)
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# Comparison with the lake the pipelines wrote
# ------------------------------------------------------------------------------------------------
def read_lake(lake: str, table: str, first: dt.date, last: dt.date) -> tuple[pd.DataFrame, list[str]]:
    """The lake's partitions first..last of `table` with `date` restored, and the days it lacks."""
    frames, missing = [], []
    for day in _span(first, last):
        folder = f"{lake.rstrip('/')}/{table}/date={day.isoformat()}"
        if not os.path.isdir(folder):
            missing.append(day.isoformat())
            continue
        frame = pd.read_parquet(folder)
        frame.insert(0, "date", pd.Timestamp(day))
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS[table])), missing
    out = pd.concat(frames, ignore_index=True)
    out["date"] = out["date"].astype(_D)
    return out, missing


def _money_equal(a: float, b: float) -> bool:
    """Equal to the cent: round(a, 2) == round(b, 2); two values a float rounding error apart that
    fall either side of a half cent are not a difference."""
    return round(a, 2) == round(b, 2) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)


def _ratio_equal(a: float, b: float) -> bool:
    """Equal to 1e-9 (relative beyond 1, e.g. a margin on a tiny revenue)."""
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def _same(kind: str, a, b) -> bool:
    a_na, b_na = pd.isna(a), pd.isna(b)
    if a_na or b_na:
        return a_na and b_na
    if kind == "money":
        return _money_equal(float(a), float(b))
    if kind == "ratio":
        return _ratio_equal(float(a), float(b))
    return a == b


def compare(lake: str, frames: dict[str, pd.DataFrame], first: dt.date, last: dt.date,
            max_per_column: int = 5) -> list[str]:
    """Differences between `frames` (compute's output) and the lake's tables for first..last.

    Rows are matched on each table's key columns; every column the two share is compared (money,
    *_usd, to the cent; ratios to 1e-9; everything else exactly, nulls equal to nulls), plus dtypes.
    Returns human-readable lines; an empty list means identical.
    """
    first, last = pd.Timestamp(first).date(), pd.Timestamp(last).date()
    diffs: list[str] = []
    for table in TABLES:
        mine = frames.get(table)
        if mine is None:
            diffs.append(f"{table}: not in the baseline's frames")
            continue
        theirs, missing = read_lake(lake, table, first, last)
        if missing:
            diffs.append(f"{table}: the lake has no partition for {len(missing)} day(s): {missing[:5]}")
        keys = KEYS[table]
        lake_only = [c for c in theirs.columns if c not in mine.columns and c not in OMITTED_COLUMNS]
        mine_only = [c for c in mine.columns if c not in theirs.columns]
        if lake_only:
            diffs.append(f"{table}: lake columns the baseline lacks: {lake_only}")
        if mine_only and len(theirs):
            diffs.append(f"{table}: baseline columns the lake lacks: {mine_only}")
        shared = [c for c in mine.columns if c in theirs.columns and c not in keys]
        if len(theirs):
            for c in [*keys, *shared]:
                if str(mine[c].dtype) != str(theirs[c].dtype):
                    diffs.append(f"{table}.{c}: dtype {mine[c].dtype} in the baseline, {theirs[c].dtype} in the lake")
        present = mine[mine["date"].dt.strftime("%Y-%m-%d").isin(
            set(pd.date_range(first, last).strftime("%Y-%m-%d")) - set(missing))]
        for name, frame in (("baseline", present), ("lake", theirs)):
            dup = frame[frame.duplicated(keys, keep=False)]
            if len(dup):
                diffs.append(f"{table}: {len(dup)} {name} row(s) share a key {keys}; first: "
                             f"{dup[keys].head(3).astype(str).to_dict('records')}")
        a = present.astype({k: "string" for k in keys if k != "date"})
        b = theirs.astype({k: "string" for k in keys if k != "date"})
        joined = a.merge(b, on=keys, how="outer", suffixes=("", "__lake"), indicator=True)
        for side, label in (("left_only", "only in the baseline"), ("right_only", "only in the lake")):
            rows = joined[joined["_merge"] == side]
            if len(rows):
                sample = rows[keys].head(5).astype(str).to_dict("records")
                diffs.append(f"{table}: {len(rows)} row(s) {label} (key {keys}); first: {sample}")
        both = joined[joined["_merge"] == "both"]
        for c in shared:
            kind = "ratio" if c in RATIO_COLUMNS else "money" if c.endswith("_usd") else "exact"
            bad = [i for i, x, y in zip(both.index, both[c], both[f"{c}__lake"]) if not _same(kind, x, y)]
            if bad:
                rows = both.loc[bad[:max_per_column]]
                sample = "; ".join(
                    f"{ {k: str(r[k])[:10] if k == 'date' else r[k] for k in keys} }: baseline {r[c]!r}, lake {r[c + '__lake']!r}"
                    for _, r in rows.iterrows())
                diffs.append(f"{table}.{c}: {len(bad)} of {len(both)} row(s) differ ({kind}); {sample}")
    return diffs


def compared_rows(lake: str, frames: dict[str, pd.DataFrame], first: dt.date, last: dt.date) -> dict[str, tuple[int, int]]:
    """(baseline rows, lake rows) per table for first..last: the size of a comparison, for reports."""
    first, last = pd.Timestamp(first).date(), pd.Timestamp(last).date()
    return {t: (len(frames[t]), len(read_lake(lake, t, first, last)[0])) for t in TABLES}


def main(argv: list[str] | None = None) -> int:
    """CLI: compute the days from landing, time it, and (with --lake) compare with the pipelines' lake."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="DuckDB baseline of profit and growth, from landing CSVs.")
    parser.add_argument("--landing", required=True, help="landing root (local path)")
    parser.add_argument("--first", required=True, type=dt.date.fromisoformat, help="first day, YYYY-MM-DD")
    parser.add_argument("--last", type=dt.date.fromisoformat, help="last day (default: --first)")
    parser.add_argument("--lake", help="lake root the pipelines wrote: compare with it (exit 1 on any difference)")
    args = parser.parse_args(argv)
    last = args.last or args.first
    started = time.perf_counter()
    frames = compute(args.landing, args.first, last)
    seconds = time.perf_counter() - started
    print(f"baseline {args.first}..{last}: {seconds:.3f} s; rows " + ", ".join(f"{t} {len(f)}" for t, f in frames.items()))
    if not args.lake:
        return 0
    diffs = compare(args.lake, frames, args.first, last)
    sizes = compared_rows(args.lake, frames, args.first, last)
    print("rows compared (baseline / lake): " + ", ".join(f"{t} {a}/{b}" for t, (a, b) in sizes.items()))
    print(f"{len(diffs)} difference(s)")
    for line in diffs:
        print(f"  - {line}")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
