"""Hand-written DuckDB baseline of the engagement pipeline (Spark), straight from the landing files.

What it reproduces, for the UTC days `first`..`last` (the "targets"), from the landing zone only
(`click_events/date=*/*.jsonl` and `experiment_assignments/date=*/assignments.csv`; never the lake):

| table                      | columns returned (bookkeeping left out)                                  |
|----------------------------|--------------------------------------------------------------------------|
| `stg_click_events`         | every column but `definition_version`                                    |
| `quarantine_click_events`  | every column but `run_id` and `definition_version`                       |
| `stg_sessions`             | every column but `definition_version`                                    |
| `stg_user_activity_daily`  | every column but `definition_version`                                    |
| `engagement_aggregate`     | every column but `definition_version`                                    |

Frames come back with pyarrow-backed pandas dtypes (string[pyarrow], timestamp[us] in UTC without a
zone, date32 for `date`, bool, int64, double); the quarantine's kafka columns are nullable int64.

The rules, as documented in docs/landing_zone.md and read from pipeline_ops/engagement (clean.py,
sessions.py, aggregate.py) and pipeline_ops/staging (assignments), re-expressed in SQL of our own:

- Day D reads the delivery folders D .. D+ceil(lateness_hours/24); every non-blank line is
  classified once: `malformed` (not one JSON object, or kafka_partition / kafka_offset not a JSON
  integer in int64 range; string fields accept any JSON value, as Spark's reader does), blank
  `event_id` / `user_id`, `unparsable_ts` (missing, or not `^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}
  (\\.\\d{1,9})?(Z|[+-]\\d{2}:?\\d{2})$`, or an impossible calendar value / offset), `impossible_ts`
  (event_ts > received_ts + 5 min or before 2000-01-01). Timestamps become epoch microseconds:
  the strict pattern first, then DuckDB's TIMESTAMPTZ cast (fraction truncated to 6 digits, zone
  applied) after refusing what Spark refuses and DuckDB would not (hour 24, offsets beyond +-18:00).
- Deduplication on event_id among the good lines: the first delivery is the earliest received_ts,
  then the lowest kafka_partition, kafka_offset, folder. Then, in this order: events of days outside
  the run are ignored, events more than lateness_hours late are dropped, bot user agents (BOT_RULES
  pattern, ASCII case-insensitive like Java's `(?i)`) are dropped, and a user with more than
  BOT_RULES.max_events_per_hour remaining events in some [t, t + 1 h) of one UTC day is a bot for
  that day.
- Quarantine rows are the set-aside lines of the targets' own delivery folders (reason, detail,
  source file, first 2,000 characters of the line and its length, parsed ids and raw timestamps).
- Sessions: a gap >= session_idle_minutes starts a session, per user and UTC day, ordered by
  (event_ts, event_id); session_id = `<user_id>@<first event_ts with microseconds>Z`.
- stg_experiment_assignments (the D-1 rule): a unit in D-1's snapshot but absent (for its
  unit_type) from D's keeps its D-1 assignment on D; a day whose snapshot folder is missing has no
  assignments (its users count as unassigned), as when the pipeline's partition is absent.
- User activity joins the user's user-level assignment and the account-level exclusion of its
  account (min account_id of the day's events).
- The aggregate: investor population = activity not excluded on its own day; dau / wau / mau over
  D, D-6..D, D-27..D; per-user ratios; d7_retention; adoption per feature; window_days_available.
  Sums of seconds are exact integer microseconds (the pipeline sums exact decimals), so the
  ratios come out bit-identical.

History (how wau / mau / d7_retention get earlier days): the pipeline reads the earlier days of
stg_user_activity_daily from the lake. This baseline rebuilds them from the landing files: the
days D-27..D that are >= processing.partitions_start and whose click_events folder exists are
taken as "materialized" (the pipeline cannot build a day without its folder), and their click
folders (plus the lateness folders after the last day) and assignment snapshots are read. Every
day is classified as ONE pipeline run over the history window and the targets (a backfill). A
one-day pipeline run could differ only for an event whose event_ts lies on or after `first` but
was delivered in an earlier folder (event_ts up to 5 min after received_ts across a midnight):
the generator never writes such events.

Left out / not reproduced:
- bookkeeping columns (definition_version, run_id), materialization metadata, the event
  statistics (duplicates / bots / too-late counts are not returned), asset checks;
- the pipeline's fail-closed errors, except a missing target folder (FileNotFoundError) and a
  user with two user-level assignments on a day (ValueError);
- JSON corner cases where Spark's reader (Jackson) and DuckDB's differ and no cheap SQL mimics
  Spark: single-quoted strings (Spark accepts them), a duplicate key (Spark keeps the last value,
  DuckDB the first), trailing text after an object holding nested objects or arrays (Spark reads the
  first object and ignores the rest; reproduced for flat objects only), NaN / Infinity as the value
  of a string field, the exact text of an unusual number in a string field (`1.50` -> '1.5' agrees
  with Spark, exponents may not), and invalid UTF-8 (DuckDB fails the read). Reproduced: truncated lines, non-objects (`[]`, `null`),
  wrong JSON types for the Kafka integers (Spark's partial results keep the other fields), numbers /
  booleans in string fields, trailing commas (Jackson rejects them), trailing text after a flat
  object, a timestamp ending in one line break (Java's `$` accepts it, Spark's cast trims it);
- CSV schema drift of the assignment snapshots is tolerated (columns are matched by header name),
  but values are not validated the way the pipeline's landing reader does;
- local landing paths only (no fsspec URLs).

Settings come from pipeline_ops only as constants: processing.lateness_hours, partitions_start,
session_idle_minutes and BOT_RULES (pattern, max events per hour). The 5-minute clock skew,
2000-01-01, 2,000 quarantine characters, the feature list and the 28/7/7-day windows are written
here from the docs.

Run a comparison (after building the lake with the pipeline for the same landing zone):
    .venv/bin/python benchmarks/baseline/engagement.py --landing L --lake K --first 2025-01-08 [--last ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import math
import os
import re
import sys
import time
from collections.abc import Iterable

import duckdb
import pandas as pd

# --- constants from docs/landing_zone.md and the metric definitions -------------------------------
FEATURES = ("dashboards", "reports", "automation", "api", "integrations", "forecasting", "chat", "mobile")
MAU_DAYS, WAU_DAYS, RETENTION_LAG = 28, 7, 7
SKEW_US = 5 * 60 * 1_000_000  # event_ts may be at most 5 min after received_ts
EARLIEST = dt.date(2000, 1, 1)  # event_ts before 2000-01-01T00:00:00Z is impossible
LINE_CHARS = 2000  # raw_line keeps this many characters
HOUR_US = 3_600_000_000
DAY_US = 86_400_000_000
CLICK_GLOB, ASSIGN_GLOB = "*.jsonl", "assignments.csv"
# A column delimiter no JSON line contains: every line is read whole as one VARCHAR.
_DELIM = "\x1f\x1e\x1d\x1c"

TABLES = ("stg_click_events", "quarantine_click_events", "stg_sessions", "stg_user_activity_daily", "engagement_aggregate")
AGG_COLUMNS = ["date", "dau", "wau", "mau", "sessions_per_user", "time_in_app_min_per_user", "clicks_per_user",
               "d7_retention", *[f"adoption_{f}" for f in FEATURES], "window_days_available"]


def settings() -> dict:
    """The number-changing settings, read from pipeline_ops config constants only."""
    from pipeline_ops.config import current_config
    from pipeline_ops.engagement.rules import BOT_RULES

    p = current_config().processing
    return {"lateness_hours": int(p.lateness_hours), "partitions_start": p.partitions_start,
            "idle_minutes": int(p.session_idle_minutes), "ua_pattern": BOT_RULES.user_agent_pattern,
            "max_per_hour": int(BOT_RULES.max_events_per_hour)}


def _ascii_ci(pattern: str) -> tuple[str, str]:
    """(RE2 pattern, flags) matching like Java's `(?i)pattern` (ASCII-only case folding)."""
    if re.fullmatch(r"[A-Za-z0-9|_ \-]+", pattern):
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in pattern), ""
    return pattern, "i"


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _dlit(d: dt.date) -> str:
    return f"DATE '{d.isoformat()}'"


def _dlist(days: Iterable[dt.date]) -> str:
    items = [_dlit(d) for d in days]
    return "[" + ", ".join(items) + "]::DATE[]" if items else "[]::DATE[]"


def _files(landing: str, source: str, day: dt.date, pattern: str) -> list[str] | None:
    """Data files of one landing folder (sorted, absolute); None when the folder does not exist."""
    folder = os.path.join(landing, source, f"date={day.isoformat()}")
    if not os.path.isdir(folder):
        return None
    return sorted(os.path.join(folder, n) for n in fnmatch.filter(os.listdir(folder), pattern)
                  if os.path.isfile(os.path.join(folder, n)))


def _days(a: dt.date, b: dt.date) -> list[dt.date]:
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def plan(landing: str, first: dt.date, last: dt.date, cfg: dict | None = None) -> dict:
    """Which days are computed and which files are read (no data is read)."""
    cfg = cfg or settings()
    landing = os.path.abspath(landing)
    targets = _days(first, last)
    for d in targets:
        if _files(landing, "click_events", d, CLICK_GLOB) is None:
            raise FileNotFoundError(f"missing landing partition: click_events/date={d} (the pipeline fails the same way)")
    start = max(first - dt.timedelta(days=MAU_DAYS - 1), cfg["partitions_start"])
    history = [d for d in _days(start, first - dt.timedelta(days=1)) if _files(landing, "click_events", d, CLICK_GLOB) is not None]
    run = history + targets  # the days treated as materialized (one backfill run)
    later = math.ceil(cfg["lateness_hours"] / 24)
    clicks: list[tuple[dt.date, str]] = []
    for d in _days(run[0], run[-1] + dt.timedelta(days=later)):
        clicks += [(d, f) for f in (_files(landing, "click_events", d, CLICK_GLOB) or [])]
    assign: list[tuple[dt.date, str]] = []
    assign_days = []
    for d in [run[0] - dt.timedelta(days=1), *run]:
        found = _files(landing, "experiment_assignments", d, ASSIGN_GLOB)
        if found:
            assign += [(d, f) for f in found]
            assign_days.append(d)
    return {"landing": landing, "targets": targets, "run": run, "clicks": clicks, "assign": assign,
            "assign_days": assign_days, "cfg": cfg}


# --------------------------------------------------------------------------------------------------
# SQL
# --------------------------------------------------------------------------------------------------

def _ts_sql(s: str) -> str:
    """SQL turning a timestamp string into epoch microseconds (UTC), NULL when Spark would not parse it.

    Spark keeps a value matching the strict ISO-8601 pattern (rules.ISO_TS_PATTERN, re-typed here)
    and casts it: fraction truncated to microseconds, the zone applied, calendar values checked.
    DuckDB's TIMESTAMPTZ cast does the same except that it also accepts hour 24 and offsets beyond
    Java's +-18:00 / minutes > 59, so those are refused first.
    """
    pattern = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})"
    zm = f"CAST(right({s}, 2) AS BIGINT)"
    zh = f"CAST(CASE WHEN substr({s}, -3, 1) = ':' THEN substr({s}, -5, 2) ELSE substr({s}, -4, 2) END AS BIGINT)"
    zone_ok = f"(right({s}, 1) = 'Z' OR ({zm} <= 59 AND {zh} * 60 + {zm} <= 1080))"
    return (f"(CASE WHEN regexp_full_match({s}, '{pattern}') AND substr({s}, 12, 2) <= '23' AND {zone_ok} "
            f"THEN epoch_us(TRY_CAST({s} AS TIMESTAMPTZ)) END)")


def _one_terminator_off(col: str) -> str:
    """Java's `$` also matches before one final line terminator, and Spark's cast trims it: drop one."""
    return (f"(CASE WHEN right({col}, 1) IN (chr(10), chr(13)) THEN regexp_replace({col}, '(\\r\\n|\\n|\\r)$', '') "
            f"ELSE {col} END)")


def _trailing_comma(col: str) -> str:
    """SQL: the JSON text has a comma right before a closing bracket, outside strings."""
    pat = "',[ \\t\\n\\r]*[}\\]]'"
    strings = "'\"(?:[^\"\\\\]|\\\\.)*\"'"
    return (f"(CASE WHEN regexp_matches({col}, {pat}) THEN regexp_matches(regexp_replace({col}, {strings}, "
            f"'\"\"', 'g'), {pat}) ELSE false END)")


def _int_ok(col: str) -> str:
    """A JSON fragment that Spark reads into a LongType: null, or an integer within int64."""
    return f"({col} IS NULL OR (regexp_full_match({col}, '-?[0-9]+') AND TRY_CAST({col} AS BIGINT) IS NOT NULL))"


_STRUCT = ('{"event_id":"VARCHAR","user_id":"VARCHAR","account_id":"VARCHAR","event_ts":"VARCHAR",'
           '"received_ts":"VARCHAR","event_type":"VARCHAR","feature":"VARCHAR","page":"VARCHAR",'
           '"user_agent":"VARCHAR","kafka_partition":"JSON","kafka_offset":"JSON"}')


def _read_lines_sql(files: list[tuple[dt.date, str]]) -> str:
    """Every line of the click files with its folder day (one scan, DuckDB parallel over files)."""
    paths = "[" + ", ".join(_q(f) for _, f in files) + "]"
    folder = "(VALUES " + ", ".join(f"({_q(f)}, {_dlit(d)})" for d, f in files) + ") AS fd(path, folder_day)"
    return (f"SELECT fd.folder_day, l.filename AS source_file, l.line FROM read_csv({paths}, columns={{'line': 'VARCHAR'}}, "
            f"delim={_q(_DELIM)}, quote='', escape='', header=false, auto_detect=false, strict_mode=false, "
            f"max_line_size=1000000000, filename=true) AS l JOIN {folder} ON fd.path = l.filename")


def _assign_sql(files: list[tuple[dt.date, str]]) -> str:
    parts = []
    for d, f in files:
        with open(f, encoding="utf-8") as fh:
            header = fh.readline().rstrip("\r\n").split(",")
        cols = "{" + ", ".join(f"{_q(c)}: 'VARCHAR'" for c in header) + "}"
        parts.append(f"SELECT {_dlit(d)} AS folder_day, experiment_id, unit_type, unit_id, variant, "
                     f"CAST(exclude_from_investor AS BOOLEAN) AS exclude_from_investor FROM read_csv({_q(f)}, columns={cols}, "
                     "header=true, auto_detect=false, quote='\"', escape='\"', delim=',')")
    if not parts:
        return ("SELECT NULL::DATE AS folder_day, NULL::VARCHAR AS experiment_id, NULL::VARCHAR AS unit_type, "
                "NULL::VARCHAR AS unit_id, NULL::VARCHAR AS variant, NULL::BOOLEAN AS exclude_from_investor WHERE false")
    return " UNION ALL ".join(parts)


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """A query's result as pandas with pyarrow-backed dtypes (5x faster than object strings at 2 M rows)."""
    return con.sql(sql).to_arrow_table().to_pandas(types_mapper=pd.ArrowDtype)


def compute(landing: str, first: dt.date, last: dt.date, con: duckdb.DuckDBPyConnection | None = None,
            tables: Iterable[str] = TABLES) -> dict[str, pd.DataFrame]:
    """The engagement tables of `first`..`last` (see module doc), as pandas frames with a `date` column."""
    p = plan(landing, first, last)
    cfg = p["cfg"]
    own = con is None
    con = con or duckdb.connect()
    try:
        return _compute(con, p, cfg, set(tables))
    finally:
        if own:
            con.close()
        else:
            for t in ("eng_cls", "eng_clean", "eng_asg", "eng_act", "eng_sess"):
                con.execute(f"DROP TABLE IF EXISTS {t}")


def _compute(con: duckdb.DuckDBPyConnection, p: dict, cfg: dict, tables: set[str]) -> dict[str, pd.DataFrame]:
    targets, run = p["targets"], p["run"]
    run_l, tgt_l = _dlist(run), _dlist(targets)
    first = targets[0]
    late_us = cfg["lateness_hours"] * HOUR_US
    idle_us = cfg["idle_minutes"] * 60_000_000
    ua_pat, ua_flags = _ascii_ci(cfg["ua_pattern"])
    earliest_us = (EARLIEST - dt.date(1970, 1, 1)).days * DAY_US
    blank = lambda c: f"({c} IS NULL OR trim({c}, ' ') = '')"  # noqa: E731  (Spark's trim: spaces only)

    # 1. Every line of the folders read, classified into set-aside reasons; good lines keep only what is needed.
    if p["clicks"]:
        lines = _read_lines_sql(p["clicks"])
    else:
        lines = "SELECT NULL::DATE AS folder_day, NULL::VARCHAR AS source_file, NULL::VARCHAR AS line WHERE false"
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE eng_cls AS
    WITH raw AS (
        SELECT folder_day, source_file, line FROM ({lines})
        WHERE line IS NOT NULL AND (left(line, 1) = '{{' OR NOT regexp_full_match(line, '[ \\t\\n\\x0B\\f\\r]*'))
    ), v AS (
        -- Spark (Jackson) parses the first JSON value of a line and ignores what follows it: an
        -- invalid line that starts with a complete flat object is that object (nested values not handled).
        SELECT *, json_valid(line) AS valid,
               CASE WHEN NOT json_valid(line) AND regexp_matches(line, '^[ \\t\\n\\r]*\\{{')
                    THEN regexp_extract(line, '^[ \\t\\n\\r]*(\\{{(?:[^{{}}"\\[\\]]|"(?:[^"\\\\]|\\\\.)*")*\\}})', 1) END AS prefix
        FROM raw
    ), obj AS (
        -- the JSON object Spark reads (NULL: malformed): valid JSON whose first non-blank character opens
        -- an object, without a trailing comma outside strings (DuckDB accepts those, Jackson does not)
        SELECT folder_day, source_file, line,
               CASE WHEN valid THEN (CASE WHEN (CASE WHEN left(line, 1) = '{{' THEN true
                                                          ELSE left(ltrim(line, ' \t\n\r'), 1) = '{{' END)
                                               AND NOT {_trailing_comma('line')} THEN line END)
                    WHEN prefix <> '' AND json_valid(prefix) AND NOT {_trailing_comma('prefix')} THEN prefix END AS js
        FROM v
    ), j AS (
        SELECT folder_day, source_file, line, js IS NOT NULL AS is_obj,
               CASE WHEN js IS NOT NULL THEN json_transform(js, '{_STRUCT}') END AS j FROM obj
    ), f AS (
        SELECT folder_day, source_file, line, is_obj,
               j.event_id, j.user_id, j.account_id, j.event_ts AS event_ts_raw, j.received_ts AS received_ts_raw,
               j.event_type, j.feature, j.page, j.user_agent,
               {_int_ok('j.kafka_partition')} AS kp_ok, {_int_ok('j.kafka_offset')} AS ko_ok,
               TRY_CAST(j.kafka_partition AS BIGINT) AS kp0, TRY_CAST(j.kafka_offset AS BIGINT) AS ko0
        FROM j
    ), t AS (
        SELECT *, {_ts_sql('ets_s')} AS ets_us, {_ts_sql('rts_s')} AS rts_us FROM (
            SELECT *, {_one_terminator_off('event_ts_raw')} AS ets_s, {_one_terminator_off('received_ts_raw')} AS rts_s FROM f)
    ), c AS (
        SELECT *,
          CASE WHEN NOT is_obj OR NOT kp_ok OR NOT ko_ok THEN 'malformed'
               WHEN {blank('event_id')} THEN 'missing_event_id'
               WHEN {blank('user_id')} THEN 'missing_user_id'
               WHEN ets_us IS NULL OR rts_us IS NULL THEN 'unparsable_ts'
               WHEN ets_us < {earliest_us} OR ets_us > rts_us + {SKEW_US} THEN 'impossible_ts' END AS reject,
          CAST(make_timestamp(ets_us) AS DATE) AS date
        FROM t
    )
    SELECT folder_day, date, reject, event_id, user_id, account_id,
           CASE WHEN date >= {_dlit(first)} THEN event_type END AS event_type,
           CASE WHEN date >= {_dlit(first)} THEN feature END AS feature,
           CASE WHEN date >= {_dlit(first)} THEN page END AS page,
           ets_us, rts_us,
           CASE WHEN kp_ok THEN kp0 END AS kafka_partition, CASE WHEN ko_ok THEN ko0 END AS kafka_offset,
           coalesce(regexp_matches(user_agent, {_q(ua_pat)}{', ' + _q(ua_flags) if ua_flags else ''}), false) AS ua_bot,
           CASE WHEN reject IS NOT NULL THEN source_file END AS source_file,
           CASE WHEN reject IS NOT NULL THEN substr(line, 1, {LINE_CHARS}) END AS raw_line,
           CASE WHEN reject IS NOT NULL THEN length(line) END AS raw_line_chars,
           CASE WHEN reject IS NOT NULL THEN event_ts_raw END AS event_ts_raw,
           CASE WHEN reject IS NOT NULL THEN received_ts_raw END AS received_ts_raw
    FROM c
    WHERE list_contains({run_l}, folder_day) OR list_contains({run_l}, date)
    """)

    # 2. First delivery per event_id, lateness, user-agent bots, then the rate rule; the clean events of every run day.
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE eng_clean AS
    WITH firsts AS (
        SELECT * FROM eng_cls WHERE reject IS NULL
        QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY rts_us, kafka_partition NULLS LAST,
                                   kafka_offset NULLS LAST, folder_day) = 1
    ), cand AS (
        SELECT * FROM firsts
        WHERE list_contains({run_l}, date) AND rts_us - ets_us <= {late_us} AND NOT ua_bot
    ), heavy AS (
        SELECT user_id, date FROM cand GROUP BY user_id, date HAVING count(*) > {cfg['max_per_hour']}
    ), bots AS (
        SELECT DISTINCT user_id, date FROM (
            SELECT user_id, date, count(*) OVER (PARTITION BY user_id, date ORDER BY ets_us
                   RANGE BETWEEN CURRENT ROW AND {HOUR_US - 1} FOLLOWING) AS n
            FROM cand SEMI JOIN heavy USING (user_id, date)
        ) WHERE n > {cfg['max_per_hour']}
    )
    SELECT event_id, user_id, account_id, ets_us, rts_us, event_type, feature, page, date
    FROM cand ANTI JOIN bots USING (user_id, date)
    """)

    # 3. Experiment assignments in effect on each run day (the D-1 carry-over rule).
    asg_days = [d for d in run if d in set(p["assign_days"])]
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE eng_asg AS
    WITH snap AS (SELECT DISTINCT * FROM ({_assign_sql(p['assign'])})),
    cur AS (SELECT folder_day AS date, experiment_id, unit_type, unit_id, variant, exclude_from_investor
            FROM snap WHERE list_contains({_dlist(asg_days)}, folder_day)),
    carried AS (
        SELECT CAST(folder_day + 1 AS DATE) AS date, experiment_id, unit_type, unit_id, variant, exclude_from_investor
        FROM snap WHERE list_contains({_dlist(asg_days)}, CAST(folder_day + 1 AS DATE))
    )
    SELECT * FROM cur
    UNION ALL
    SELECT * FROM carried c WHERE NOT EXISTS (
        SELECT 1 FROM cur WHERE cur.date = c.date AND cur.unit_type = c.unit_type AND cur.unit_id = c.unit_id)
    """)
    fan = con.execute("SELECT date, unit_type, unit_id, count(*) n FROM eng_asg GROUP BY ALL HAVING n > 1 LIMIT 5").fetchall()
    if fan:
        raise ValueError(f"a unit has more than one assignment of its unit_type on a day (the pipeline fails closed): {fan}")

    # 4. Sessions of the target days; user activity of every run day (the aggregate's history).
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE eng_sess AS
    WITH o AS (
        SELECT *, ets_us - lag(ets_us) OVER w AS gap FROM eng_clean WHERE list_contains({tgt_l}, date)
        WINDOW w AS (PARTITION BY date, user_id ORDER BY ets_us, event_id)
    ), n AS (
        SELECT *, sum(CASE WHEN gap IS NULL OR gap >= {idle_us} THEN 1 ELSE 0 END)
                  OVER (PARTITION BY date, user_id ORDER BY ets_us, event_id ROWS UNBOUNDED PRECEDING) AS sn FROM o
    )
    SELECT date, user_id, sn, min(account_id) AS account_id, min(ets_us) AS start_us, max(ets_us) AS end_us,
           count(*) AS events, count(DISTINCT feature) AS features_used
    FROM n GROUP BY date, user_id, sn
    """)
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE eng_act AS
    WITH per_user AS (
        SELECT date, user_id, min(account_id) AS account_id, count(*) AS events,
               CAST(count(*) FILTER (WHERE event_type = 'click') AS BIGINT) AS clicks,
               coalesce(string_agg(DISTINCT feature, ',' ORDER BY feature), '') AS features
        FROM eng_clean GROUP BY date, user_id
    ), per_session AS (
        SELECT date, user_id, count(*) AS sessions, CAST(sum(end_us - start_us) AS BIGINT) AS time_us
        FROM eng_sess GROUP BY date, user_id
    ), users AS (
        SELECT date, unit_id AS user_id, experiment_id, variant, exclude_from_investor FROM eng_asg WHERE unit_type = 'user'
    ), accounts AS (
        SELECT DISTINCT date, unit_id AS account_id FROM eng_asg WHERE unit_type = 'account' AND exclude_from_investor
    )
    SELECT u.user_id, u.account_id, u.events, u.clicks, coalesce(s.sessions, 0) AS sessions,
           coalesce(s.time_us, 0) AS time_us, u.features, a.experiment_id, a.variant,
           coalesce(a.exclude_from_investor, false) OR acc.account_id IS NOT NULL AS exclude_from_investor, u.date
    FROM per_user u
    LEFT JOIN per_session s USING (date, user_id)
    LEFT JOIN users a USING (date, user_id)
    LEFT JOIN accounts acc ON acc.date = u.date AND acc.account_id = u.account_id
    """)

    out: dict[str, pd.DataFrame] = {}
    if "stg_click_events" in tables:
        out["stg_click_events"] = _frame(con, f"""
        SELECT event_id, user_id, account_id, make_timestamp(ets_us) AS event_ts, make_timestamp(rts_us) AS received_ts,
               event_type, feature, page, CAST(make_timestamp(rts_us) AS DATE) > date AS is_late, date
        FROM eng_clean WHERE list_contains({tgt_l}, date)""")
    if "quarantine_click_events" in tables:
        both = ("concat('event_ts=', coalesce(event_ts_raw, '(missing)'), ', received_ts=', "
                "coalesce(received_ts_raw, '(missing)'))")
        out["quarantine_click_events"] = _frame(con, f"""
        SELECT reason, detail, source_file, raw_line, raw_line_chars, event_id, user_id, event_ts_raw, received_ts_raw,
               kafka_partition, kafka_offset, date FROM (
          SELECT reject AS reason,
            CASE reject WHEN 'malformed' THEN 'not one JSON object, or a field of the wrong type'
                        WHEN 'missing_event_id' THEN 'event_id missing or blank'
                        WHEN 'missing_user_id' THEN 'user_id missing or blank'
                        WHEN 'unparsable_ts' THEN concat('timestamp missing or not ISO-8601 with a zone: ', {both})
                        ELSE CASE WHEN ets_us < {earliest_us} THEN concat('event_ts before {EARLIEST:%Y-%m-%d}: ', {both})
                                  ELSE concat('event_ts more than {SKEW_US // 60_000_000} min after received_ts: ', {both}) END
            END AS detail,
            source_file, raw_line, raw_line_chars, event_id, user_id, event_ts_raw, received_ts_raw,
            kafka_partition, kafka_offset, folder_day AS date
          FROM eng_cls WHERE reject IS NOT NULL AND list_contains({tgt_l}, folder_day))""")
    if "stg_sessions" in tables:
        out["stg_sessions"] = _frame(con, """
        SELECT concat(user_id, '@', strftime(make_timestamp(start_us), '%Y-%m-%dT%H:%M:%S.%fZ')) AS session_id,
               user_id, account_id, make_timestamp(start_us) AS session_start, make_timestamp(end_us) AS session_end,
               (end_us - start_us) / 1000000.0 AS duration_s, events, features_used, date
        FROM eng_sess""")
    if "stg_user_activity_daily" in tables:
        out["stg_user_activity_daily"] = _frame(con, f"""
        SELECT user_id, account_id, events, clicks, sessions, CAST(time_us AS DOUBLE) / 1000000.0 AS time_in_app_s,
               features, experiment_id, variant, exclude_from_investor, date
        FROM eng_act WHERE list_contains({tgt_l}, date)""")
    if "engagement_aggregate" in tables:
        run_set = set(run)
        rows = []
        for d in targets:
            window = [d - dt.timedelta(days=i) for i in range(MAU_DAYS)]
            rows.append(f"({_dlit(d)}, {sum(w in run_set for w in window)}, "
                        f"{'true' if d - dt.timedelta(days=RETENTION_LAG) in run_set else 'false'})")
        flags = ", ".join(f"max(CASE WHEN on_d = 1 AND list_contains(string_split(features, ','), {_q(f)}) THEN 1 ELSE 0 END) "
                          f"AS f_{f}" for f in FEATURES)
        sums = ", ".join(f"sum(f_{f}) AS f_{f}" for f in FEATURES)
        ratio = lambda x: f"CASE WHEN dau > 0 THEN CAST(coalesce({x}, 0) AS DOUBLE) / dau END"  # noqa: E731
        adoption = ", ".join(f"{ratio(f'f_{f}')} AS adoption_{f}" for f in FEATURES)
        out["engagement_aggregate"] = _frame(con, f"""
        WITH targets(target, window_days_available, d7_available) AS (VALUES {', '.join(rows)}),
        act AS (SELECT * FROM eng_act WHERE NOT exclude_from_investor),
        j AS (
            SELECT t.target, a.*, CASE WHEN a.date = t.target THEN 1 ELSE 0 END AS on_d
            FROM targets t JOIN act a ON a.date BETWEEN t.target - {MAU_DAYS - 1} AND t.target
        ), per_user AS (
            SELECT target, user_id, max(on_d) AS on_d,
                   max(CASE WHEN date >= target - {WAU_DAYS - 1} THEN 1 ELSE 0 END) AS in_wau,
                   max(CASE WHEN date = target - {RETENTION_LAG} THEN 1 ELSE 0 END) AS on_d7,
                   sum(CASE WHEN on_d = 1 THEN sessions END) AS sessions,
                   sum(CASE WHEN on_d = 1 THEN time_us END) AS time_us,
                   sum(CASE WHEN on_d = 1 THEN clicks END) AS clicks, {flags}
            FROM j GROUP BY target, user_id
        ), per_day AS (
            SELECT target, sum(on_d) AS dau, sum(in_wau) AS wau, count(*) AS mau, sum(sessions) AS sessions,
                   sum(time_us) AS time_us, sum(clicks) AS clicks, sum(on_d7) AS cohort, sum(on_d7 * on_d) AS retained, {sums}
            FROM per_user GROUP BY target
        ), o AS (
            SELECT t.target, t.window_days_available, t.d7_available, CAST(coalesce(p.dau, 0) AS BIGINT) AS dau,
                   CAST(coalesce(p.wau, 0) AS BIGINT) AS wau, CAST(coalesce(p.mau, 0) AS BIGINT) AS mau,
                   CAST(coalesce(p.cohort, 0) AS BIGINT) AS cohort, CAST(coalesce(p.retained, 0) AS BIGINT) AS retained,
                   p.sessions, p.time_us, p.clicks, {', '.join(f'p.f_{f}' for f in FEATURES)}
            FROM targets t LEFT JOIN per_day p USING (target)
        )
        SELECT target AS date, dau, wau, mau, {ratio('sessions')} AS sessions_per_user,
               CASE WHEN dau > 0 THEN CAST(coalesce(time_us, 0) AS DOUBLE) / 1000000.0 / dau / 60.0 END AS time_in_app_min_per_user,
               {ratio('clicks')} AS clicks_per_user,
               CASE WHEN d7_available AND cohort > 0 THEN CAST(retained AS DOUBLE) / cohort END AS d7_retention,
               {adoption}, CAST(window_days_available AS BIGINT) AS window_days_available
        FROM o ORDER BY date""")
    return out


# --------------------------------------------------------------------------------------------------
# comparison with the lake
# --------------------------------------------------------------------------------------------------

KEYS = {
    "stg_click_events": ["event_id"],
    "stg_sessions": ["session_id"],
    "stg_user_activity_daily": ["date", "user_id"],
    "engagement_aggregate": ["date"],
    "quarantine_click_events": None,  # malformed lines have no id: compared as a multiset of rows
}
IGNORED = {"definition_version", "run_id"}
REL_TOL = 1e-9


def _lake_files(lake: str, asset: str, days: list[dt.date]) -> tuple[list[str], list[dt.date]]:
    files, missing = [], []
    for d in days:
        folder = os.path.join(lake, asset, f"date={d.isoformat()}")
        if not os.path.isdir(folder):
            missing.append(d)
            continue
        files += sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".parquet"))
    return files, missing


def _norm(col: str, typ: str) -> str:
    """A comparable SQL expression: timestamps as epoch microseconds, dates as DATE, the rest as is."""
    t = typ.upper()
    if t.startswith("TIMESTAMP"):
        return f"epoch_us({col})"
    if t == "DATE":
        return f"CAST({col} AS DATE)"
    return col


def compare(lake: str, frames: dict[str, pd.DataFrame], first: dt.date, last: dt.date, limit: int = 5) -> list[str]:
    """Human-readable differences between `frames` (from compute) and the lake's tables for first..last."""
    diffs: list[str] = []
    days = _days(first, last)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    try:
        for asset, mine in frames.items():
            files, missing = _lake_files(lake, asset, days)
            if missing:
                diffs.append(f"{asset}: lake partitions missing for {[d.isoformat() for d in missing]}")
            con.register("mine_df", mine)
            mine_types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE mine_df)").fetchall())
            if files:
                con.execute(f"CREATE OR REPLACE TEMP VIEW lake_v AS SELECT * FROM read_parquet({[*files]!r}, hive_partitioning=true, "
                            "hive_types={'date': DATE}, union_by_name=true)")
            else:
                con.execute("CREATE OR REPLACE TEMP VIEW lake_v AS SELECT * FROM mine_df WHERE false")
            lake_types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE lake_v)").fetchall())
            shared = [c for c in mine_types if c in lake_types and c not in IGNORED]
            only_mine = [c for c in mine_types if c not in lake_types]
            only_lake = [c for c in lake_types if c not in mine_types and c not in IGNORED]
            if only_mine or only_lake:
                diffs.append(f"{asset}: columns only in baseline {only_mine}, only in lake {only_lake}")

            def sel(src: str) -> str:
                exprs = []
                for c in shared:  # normalised by the lake's type, on both sides
                    e = _norm(f'"{c}"', lake_types[c])
                    if asset == "quarantine_click_events" and c == "source_file":  # paths: compare below the landing root
                        e = "regexp_extract(source_file, '(click_events/.*)$', 1)"
                    exprs.append(f'{e} AS "{c}"')
                return f"SELECT {', '.join(exprs)} FROM {src}"

            con.execute(f"CREATE OR REPLACE TEMP TABLE a_t AS {sel('mine_df')}")
            con.execute(f"CREATE OR REPLACE TEMP TABLE b_t AS {sel('lake_v')}")
            na, nb = con.execute("SELECT (SELECT count(*) FROM a_t), (SELECT count(*) FROM b_t)").fetchall()[0]
            keys = KEYS.get(asset)
            if keys is None or any(k not in shared for k in keys):
                keys = None
            # Order-independent checksum of the whole rows (key columns when keyed and floats involved).
            float_cols = [c for c in shared if mine_types[c].upper() in ("DOUBLE", "FLOAT")]
            hcols = keys if (keys and float_cols) else shared
            hs = f"sum(hash({', '.join(chr(34) + c + chr(34) for c in hcols)})::HUGEINT)"
            ha, hb = con.execute(f"SELECT (SELECT {hs} FROM a_t), (SELECT {hs} FROM b_t)").fetchall()[0]
            if na != nb:
                diffs.append(f"{asset}: rows baseline {na:,} vs lake {nb:,}")
            if ha != hb:
                diffs.append(f"{asset}: checksum of {'keys' if hcols is keys else 'rows'} differs (baseline {ha}, lake {hb})")
            if keys is None:
                cols = ", ".join(f'"{c}"' for c in shared)
                for name, x, y in (("baseline", "a_t", "b_t"), ("lake", "b_t", "a_t")):
                    extra = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {x} EXCEPT ALL SELECT {cols} FROM {y})").fetchall()[0][0]
                    if extra:
                        sample = con.execute(f"SELECT {cols} FROM {x} EXCEPT ALL SELECT {cols} FROM {y} LIMIT {limit}").fetchall()
                        diffs.append(f"{asset}: {extra} row(s) only in {name}; first: {sample}")
                continue
            kc = ", ".join(f'"{k}"' for k in keys)
            for name, t in (("baseline", "a_t"), ("lake", "b_t")):
                dup = con.execute(f"SELECT {kc}, count(*) FROM {t} GROUP BY ALL HAVING count(*) > 1 LIMIT {limit}").fetchall()
                if dup:
                    diffs.append(f"{asset}: duplicate keys in {name}: {dup}")
            on = " AND ".join(f'a."{k}" = b."{k}"' for k in keys)
            for name, x, y in (("baseline", "a", "b"), ("lake", "b", "a")):
                q = (f"FROM a_t a FULL JOIN b_t b ON {on} WHERE {' AND '.join(f'{y}.{chr(34) + k + chr(34)} IS NULL' for k in keys)}")
                n = con.execute(f"SELECT count(*) {q}").fetchall()[0][0]
                if n:
                    sample = con.execute(f"SELECT {', '.join(f'{x}.{chr(34) + k + chr(34)}' for k in keys)} {q} "
                                         f"ORDER BY ALL LIMIT {limit}").fetchall()
                    diffs.append(f"{asset}: {n:,} key(s) only in {name}; first: {sample}")
            for c in shared:
                if c in keys:
                    continue
                a_c, b_c = f'a."{c}"', f'b."{c}"'
                if c in float_cols:
                    differ = (f"NOT (({a_c} IS NULL AND {b_c} IS NULL) OR ({a_c} IS NOT NULL AND {b_c} IS NOT NULL AND "
                              f"abs({a_c} - {b_c}) <= {REL_TOL} * greatest(1.0, abs({a_c}), abs({b_c}))))")
                else:
                    differ = f"{a_c} IS DISTINCT FROM {b_c}"
                q = f"FROM a_t a JOIN b_t b ON {on} WHERE {differ}"
                n = con.execute(f"SELECT count(*) {q}").fetchall()[0][0]
                if n:
                    sample = con.execute(f"SELECT {', '.join(f'a.{chr(34) + k + chr(34)}' for k in keys)}, {a_c}, {b_c} {q} "
                                         f"ORDER BY ALL LIMIT {limit}").fetchall()
                    diffs.append(f"{asset}.{c}: {n:,} row(s) differ (key, baseline, lake); first: {sample}")
            con.unregister("mine_df")
    finally:
        con.close()
    return diffs


def summary(frames: dict[str, pd.DataFrame]) -> str:
    return ", ".join(f"{k}={len(v):,}" for k, v in frames.items())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="DuckDB baseline of the engagement pipeline; optionally compared with a lake.")
    ap.add_argument("--landing", required=True)
    ap.add_argument("--lake", help="lake root to compare with (built by the pipeline from the same landing zone)")
    ap.add_argument("--first", required=True, type=dt.date.fromisoformat)
    ap.add_argument("--last", type=dt.date.fromisoformat)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    last = args.last or args.first
    import warnings

    warnings.filterwarnings("ignore")  # Dagster's beta / preview warnings when pipeline_ops is imported
    settings()  # import pipeline_ops (for its constants) before the clock starts
    con = duckdb.connect(config={"threads": args.threads} if args.threads else {})
    p = plan(args.landing, args.first, last)
    t = time.perf_counter()
    frames = compute(args.landing, args.first, last, con=con)
    wall = time.perf_counter() - t
    print(f"baseline {args.first}..{last}: {wall:.2f} s; days computed {len(p['run'])} "
          f"({p['run'][0]}..{p['run'][-1]}), click files read {len(p['clicks'])}; {summary(frames)}")
    if args.lake:
        t = time.perf_counter()
        diffs = compare(args.lake, frames, args.first, last)
        print(f"compare: {len(diffs)} difference(s) ({time.perf_counter() - t:.1f} s)")
        for d in diffs:
            print("  " + d)
        return 1 if diffs else 0
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    sys.exit(main())
