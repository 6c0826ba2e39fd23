"""Pure Spark functions behind `stg_click_events`: parse delivery folders, set aside bad lines,
deduplicate, apply the lateness window and the bot rules.

Every landing line gets exactly one `category`, so nothing disappears silently:

| category           | meaning                                                        | counted on the day of |
|--------------------|----------------------------------------------------------------|-----------------------|
| malformed          | not valid JSON, or a field of the wrong type                   | delivery folder       |
| missing_event_id   | no event_id                                                    | delivery folder       |
| missing_user_id    | no user_id                                                     | delivery folder       |
| unparsable_ts      | event_ts or received_ts missing or not ISO-8601 with a zone     | delivery folder       |
| impossible_ts      | event_ts > received_ts + 5 min, or before 2000-01-01           | delivery folder       |
| duplicate          | a later delivery of an event_id (the first delivery is kept)  | event                 |
| other_day          | a good event of a day outside the run (read from a shared folder) | (not counted)      |
| too_late           | received_ts - event_ts > lateness_hours                        | event                 |
| bot_user_agent     | user_agent matches the rule list's pattern                     | event                 |
| bot_rate           | the user has > N clean events in some 60 min of that UTC day  | event                 |
| clean              | published                                                      | event                 |

"First delivery" = earliest received_ts, then lowest kafka_partition, then lowest kafka_offset.
Set-aside lines are counted on their delivery folder's day so each line is counted by exactly one
partition, however many runs read that folder. A timestamp that is not ISO-8601 with a zone ('Z'
or an offset) is ambiguous and set aside as unparsable.

Set-aside lines are not only counted: `quarantine_rows` gives one row per line (reason, file, the
raw text, Kafka coordinates) for the `quarantine_click_events` table, on the same delivery day.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pipeline_ops.engagement.rules import BOT_RULES, EARLIEST_EVENT, ISO_TS_PATTERN, MAX_CLOCK_SKEW, BotRules
from pipeline_ops.landing.contract import source
from pipeline_ops.metrics.engagement import QUARANTINE_LINE_CHARS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

CORRUPT = "_corrupt_record"
LINE = "_line"  # the line as delivered; kept (cut to QUARANTINE_LINE_CHARS) only on set-aside lines
SET_ASIDE = ("malformed", "missing_event_id", "missing_user_id", "unparsable_ts", "impossible_ts")
DROPPED = ("duplicate", "too_late", "bot_user_agent", "bot_rate")
OUTPUT = ("event_id", "user_id", "account_id", "event_ts", "received_ts", "event_type", "feature", "page", "is_late", "date")
_HOUR_US = 3_600_000_000


def raw_schema():
    """The click_events contract as a Spark schema: timestamps as strings (parsed strictly later)."""
    from pyspark.sql import types as T

    types = {"int64": T.LongType()}
    fields = [T.StructField(c.name, types.get(c.dtype, T.StringType())) for c in source("click_events").columns]
    return T.StructType([*fields, T.StructField(CORRUPT, T.StringType())])


def read_click_events(spark: "SparkSession", paths: list[str]) -> "DataFrame":
    """Every non-blank line: contract fields, `_corrupt_record`, `_line` (raw), `_file`, `folder_day`.

    Read as text, then parsed, so every line keeps its verbatim text for the quarantine (the JSON
    reader keeps it only for malformed lines, and silently drops a line such as `[]`). A line that
    is not one JSON object, or has a field of the wrong type, gets its text in `_corrupt_record`.
    """
    from pyspark.sql import functions as F

    text = spark.read.text(paths).select(
        F.col("value").alias(LINE), F.regexp_replace(F.col("_metadata.file_path"), "^file:/+", "/").alias("_file"))
    text = text.filter(~F.col(LINE).rlike(r"^\s*$"))  # blank lines are not records (the JSON reader skips them too)
    parsed = F.from_json(LINE, raw_schema(), {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT})
    raw = text.withColumn("_j", parsed)
    fields = [F.col(f"_j.{name}").alias(name) for name in raw_schema().fieldNames() if name != CORRUPT]
    # A null struct from a non-blank line should not happen; if it does, the line is malformed, not lost.
    corrupt = F.coalesce(F.col(f"_j.{CORRUPT}"), F.when(F.col("_j").isNull(), F.col(LINE))).alias(CORRUPT)
    raw = raw.select(*fields, corrupt, LINE, "_file")
    day = F.regexp_extract(F.col("_file"), r"date=(\d{4}-\d{2}-\d{2})", 1)
    return raw.withColumn("folder_day", F.to_date(day))


def _ts(col: str) -> "Column":
    from pyspark.sql import functions as F

    return F.when(F.col(col).rlike(ISO_TS_PATTERN), F.col(col).try_cast("timestamp"))


def _blank(col: str) -> "Column":
    from pyspark.sql import functions as F

    return F.col(col).isNull() | (F.trim(F.col(col)) == "")


def classify_events(raw: "DataFrame", days: list[dt.date], lateness_hours: int, rules: BotRules = BOT_RULES) -> "DataFrame":
    """Every line of `raw` with `category` (see module doc), `stat_day` and the output columns.

    `days` are the run's UTC days (one, or a backfill range). The caller must run the session in UTC.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    ets, rts = F.col("event_ts"), F.col("received_ts")
    # A line of a later folder counts only as a late event of a run day, and its event_ts must then
    # name that day or a neighbour literally (an ISO offset moves the UTC day by at most one), so a
    # line that names none of them is skipped before its JSON is parsed: two thirds of a one-day
    # run's lines. (A timestamp written with JSON unicode escapes would be missed: producers write
    # plain ISO-8601, as the landing contract says.)
    near = sorted({d + dt.timedelta(days=k) for d in days for k in (-1, 0, 1)})
    mentions = F.lit(False)
    for d in near:
        mentions = mentions | F.col(LINE).contains(d.isoformat())
    raw = raw.filter(F.col("folder_day").isin(list(days)) | mentions)
    df = (raw.withColumn("_event_ts_raw", F.col("event_ts")).withColumn("_received_ts_raw", F.col("received_ts"))
          .withColumn("event_ts", _ts("event_ts")).withColumn("received_ts", _ts("received_ts")))
    # The folders after the run's days matter only for late events of the run's days: all their
    # other lines are counted by their own folder's run. Dropping those lines before the windows
    # below keeps a one-day run at about one folder of shuffling instead of three.
    df = df.filter(F.col("folder_day").isin(list(days)) | F.to_date(F.col("event_ts")).isin(list(days)))
    skew_us = int(MAX_CLOCK_SKEW.total_seconds() * 1_000_000)
    reject = (
        F.when(F.col(CORRUPT).isNotNull(), "malformed")
        .when(_blank("event_id"), "missing_event_id")
        .when(_blank("user_id"), "missing_user_id")
        .when(ets.isNull() | rts.isNull(), "unparsable_ts")
        .when((ets < F.lit(EARLIEST_EVENT)) | (F.unix_micros(ets) > F.unix_micros(rts) + skew_us), "impossible_ts")
    )
    df = df.withColumn("reject", reject).withColumn("date", F.to_date(ets))
    # Only set-aside lines keep their text (cut), so the shuffles below do not carry every line twice.
    kept = F.col("reject").isNotNull()
    df = (df.withColumn("_line_chars", F.when(kept, F.length(LINE)))
          .withColumn(LINE, F.when(kept, F.substring(LINE, 1, QUARANTINE_LINE_CHARS))))

    # Deliveries of one event_id among the good lines (set-aside lines never win "first").
    first = Window.partitionBy("event_id", F.col("reject").isNull()).orderBy(
        rts.asc(), F.col("kafka_partition").asc_nulls_last(), F.col("kafka_offset").asc_nulls_last(), F.col("folder_day")
    )
    good = F.col("reject").isNull()
    df = df.withColumn("delivery", F.when(good, F.row_number().over(first)))
    too_late = (F.unix_micros(rts) - F.unix_micros(ets)) > F.lit(lateness_hours * _HOUR_US)
    ua_bot = F.coalesce(F.col("user_agent").rlike(f"(?i)({rules.user_agent_pattern})"), F.lit(False))
    in_run = F.col("date").isin(list(days))
    pre = (F.when(~good, F.col("reject")).when(F.col("delivery") > 1, "duplicate").when(~in_run, "other_day")
           .when(too_late, "too_late").when(ua_bot, "bot_user_agent"))
    df = df.withColumn("pre", pre)

    # Rate rule over the remaining candidates: events in [t, t + 1 h) per user and day, sliding.
    candidate = F.col("pre").isNull()
    us = F.unix_micros(ets)
    hour = Window.partitionBy("user_id", "date").orderBy(us).rangeBetween(0, _HOUR_US - 1)
    per_day = Window.partitionBy("user_id", "date")
    df = df.withColumn("_n_hour", F.when(candidate, F.sum(candidate.cast("int")).over(hour)))
    df = df.withColumn("_rate_bot", F.max(F.coalesce(F.col("_n_hour") > rules.max_events_per_hour, F.lit(False))).over(per_day))
    category = F.coalesce(F.col("pre"), F.when(F.col("_rate_bot"), F.lit("bot_rate")).otherwise(F.lit("clean")))
    stat_day = F.when(F.col("reject").isNotNull(), F.col("folder_day")).otherwise(F.col("date"))
    return (df.withColumn("category", category).withColumn("stat_day", stat_day)
            .withColumn("is_late", F.to_date(rts) > F.col("date")))


def for_outputs(classified: "DataFrame") -> "DataFrame":
    """Only what the outputs and counts read, the quarantine's columns kept on set-aside lines alone:
    the frame `stg_click_events` caches is then about half as wide."""
    from pyspark.sql import functions as F

    aside = F.col("category").isin(list(SET_ASIDE))
    only_aside = ("_file", "_event_ts_raw", "_received_ts_raw", "kafka_partition", "kafka_offset")
    return classified.select(*OUTPUT, "category", "stat_day", LINE, "_line_chars",
                             *[F.when(aside, F.col(c)).alias(c) for c in only_aside])


def clean_events(classified: "DataFrame", definition_version: str = "") -> "DataFrame":
    """The published events (category 'clean') with the output columns and `definition_version`."""
    from pyspark.sql import functions as F

    return classified.filter(F.col("category") == "clean").select(*OUTPUT, F.lit(definition_version).alias("definition_version"))


def event_stats(classified: "DataFrame", days: list[dt.date]) -> tuple[dict[str, dict[str, dict[str, int]]], int]:
    """({day: {category: {"rows": n, "users": distinct user_ids}}} for the run's days, lines classified) in one action.

    Lines classified = every line of the run's own delivery folders plus the late events of its days
    found in the later folders.
    """
    from pyspark.sql import functions as F

    rows = (classified.groupBy("stat_day", "category")
            .agg(F.count(F.lit(1)).alias("rows"), F.countDistinct("user_id").alias("users")).collect())
    out: dict[str, dict[str, dict[str, int]]] = {d.isoformat(): {} for d in days}
    for r in rows:
        day = r["stat_day"].isoformat() if r["stat_day"] is not None else None
        if day in out and r["category"] != "other_day":
            out[day][r["category"]] = {"rows": int(r["rows"]), "users": int(r["users"])}
    return out, sum(int(r["rows"]) for r in rows)


def quarantine_rows(classified: "DataFrame", days: list[dt.date], definition_version: str, run_id: str) -> "DataFrame":
    """The set-aside lines of the run's delivery days, one row each, in QUARANTINE_SCHEMA's columns.

    `date` is the delivery folder's day: a bad line in folder D+1 read by D's run belongs to D+1's
    partition, written by D+1's run (as its count is), so each line lands in exactly one partition.
    """
    from pyspark.sql import functions as F

    def ts(c: str) -> "Column":
        return F.concat(F.lit(f"{c}="), F.coalesce(F.col(f"_{c}_raw"), F.lit("(missing)")))

    both = F.concat(ts("event_ts"), F.lit(", "), ts("received_ts"))
    skew = int(MAX_CLOCK_SKEW.total_seconds() // 60)
    cat = F.col("category")
    detail = (
        F.when(cat == "malformed", F.lit("not one JSON object, or a field of the wrong type"))
        .when(cat == "missing_event_id", F.lit("event_id missing or blank"))
        .when(cat == "missing_user_id", F.lit("user_id missing or blank"))
        .when(cat == "unparsable_ts", F.concat(F.lit("timestamp missing or not ISO-8601 with a zone: "), both))
        .when(F.col("event_ts") < F.lit(EARLIEST_EVENT), F.concat(F.lit(f"event_ts before {EARLIEST_EVENT:%Y-%m-%d}: "), both))
        .otherwise(F.concat(F.lit(f"event_ts more than {skew} min after received_ts: "), both))
    )
    return (classified.filter(cat.isin(list(SET_ASIDE)) & F.col("stat_day").isin(list(days)))
            .select(cat.alias("reason"), detail.alias("detail"), F.col("_file").alias("source_file"),
                    F.col(LINE).alias("raw_line"), F.col("_line_chars").alias("raw_line_chars"), "event_id", "user_id",
                    F.col("_event_ts_raw").alias("event_ts_raw"), F.col("_received_ts_raw").alias("received_ts_raw"),
                    "kafka_partition", "kafka_offset", F.col("stat_day").alias("date"), F.lit(run_id).alias("run_id"),
                    F.lit(definition_version).alias("definition_version")))


def set_aside_sample(classified: "DataFrame", days: list[dt.date], n: int = 5) -> list[dict]:
    """Up to n set-aside lines of the run's days (reason, file, first 300 characters) for the metadata."""
    from pyspark.sql import functions as F

    rows = (classified.filter(F.col("category").isin(list(SET_ASIDE)) & F.col("stat_day").isin(list(days)))
            .select("category", F.col("_file").alias("file"), F.substring(LINE, 1, 300).alias("line"))
            .orderBy("file", "category", "line").limit(n).collect())
    return [r.asDict() for r in rows]
