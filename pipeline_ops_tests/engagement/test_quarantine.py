"""quarantine_click_events: set-aside landing lines are published with their reason, never fatal.

A hand-built landing zone with a malformed line, an over-long malformed line, an event without
user_id and an impossible timestamp (event_ts 7 days after received_ts) among good events. Every
expected row below is written by hand from those lines.
"""

import dagster as dg
import pandas as pd
import pytest

import pipeline_ops.engagement.events_asset as events_asset
from pipeline_ops.engagement import stg_click_events
from pipeline_ops.lake.duckdb_views import connect
from pipeline_ops.lake.ops_log import read_ops_records
from pipeline_ops.lake.storage import Lake
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops.resources.spark import SparkResource
from pipeline_ops_tests.engagement.landing import ev, write_click_events

pytestmark = pytest.mark.spark

D, D1, D2 = "2025-03-02", "2025-03-03", "2025-03-04"
Q = "quarantine_click_events"
VERSION = "engagement/1.0;bots=2025.1;lateness=48h;idle=30m"
MALFORMED = "event_id=m1;user_id=usr_3;not json"
LONG = "x" * 2500
NO_USER = ('{"event_id": "nu1", "event_ts": "2025-03-02T11:00:00Z", "received_ts": "2025-03-02T11:00:01Z", '
           '"kafka_partition": 1, "kafka_offset": 20}')
IMPOSSIBLE = ('{"event_id": "imp1", "user_id": "usr_2", "event_ts": "2025-03-09T12:00:00Z", '
              '"received_ts": "2025-03-02T12:00:00Z", "kafka_partition": 2, "kafka_offset": 30}')
COLUMNS = ["reason", "detail", "raw_line", "raw_line_chars", "event_id", "user_id", "event_ts_raw", "received_ts_raw",
           "kafka_partition", "kafka_offset"]


def _landing(root) -> None:
    write_click_events(root, {
        D: [
            ev("g1", "usr_1", "2025-03-02T10:00:00Z", "2025-03-02T10:00:01Z"),
            MALFORMED,
            NO_USER,
            "",  # a blank line is not a record: neither an event nor quarantined
            IMPOSSIBLE,
            LONG,
            ev("g2", "usr_2", "2025-03-02T13:00:00Z", "2025-03-02T13:00:01Z"),
        ],
        # D+1's bad line belongs to D+1's partition (set aside by D+1's run), not to D's
        D1: [ev("g3", "usr_1", "2025-03-03T09:00:00Z", "2025-03-03T09:00:01Z"), "not json either"],
        D2: [ev("g4", "usr_1", "2025-03-04T09:00:00Z", "2025-03-04T09:00:01Z")],
    })


def expected_rows(landing) -> list[dict]:
    """D's four set-aside lines, sorted by reason then raw_line (as _rows sorts)."""
    file = f"{landing}/click_events/date={D}/part-0.jsonl"
    none = {"event_id": None, "user_id": None, "event_ts_raw": None, "received_ts_raw": None,
            "kafka_partition": None, "kafka_offset": None}
    rows = [
        {"reason": "impossible_ts", "raw_line": IMPOSSIBLE, "raw_line_chars": len(IMPOSSIBLE),
         "detail": "event_ts more than 5 min after received_ts: event_ts=2025-03-09T12:00:00Z, received_ts=2025-03-02T12:00:00Z",
         "event_id": "imp1", "user_id": "usr_2", "event_ts_raw": "2025-03-09T12:00:00Z",
         "received_ts_raw": "2025-03-02T12:00:00Z", "kafka_partition": 2, "kafka_offset": 30},
        {**none, "reason": "malformed", "detail": "not one JSON object, or a field of the wrong type",
         "raw_line": MALFORMED, "raw_line_chars": 34},
        {**none, "reason": "malformed", "detail": "not one JSON object, or a field of the wrong type",
         "raw_line": "x" * 2000, "raw_line_chars": 2500},  # cut to 2,000 characters; the length says so
        {**none, "reason": "missing_user_id", "detail": "user_id missing or blank", "raw_line": NO_USER,
         "raw_line_chars": len(NO_USER), "event_id": "nu1", "event_ts_raw": "2025-03-02T11:00:00Z",
         "received_ts_raw": "2025-03-02T11:00:01Z", "kafka_partition": 1, "kafka_offset": 20},
    ]
    return [{**r, "source_file": file} for r in rows]


def _rows(frame: pd.DataFrame) -> list[dict]:
    frame = frame.sort_values(["reason", "raw_line"]).astype(object).where(frame.notna(), None)
    return [{k: (int(v) if k.startswith(("kafka_", "raw_line_chars")) and v is not None else v)
             for k, v in r.items()} for r in frame[[*COLUMNS, "source_file"]].to_dict("records")]


def _env(root) -> tuple[Lake, dict]:
    resources = {"landing": LandingResource(url=str(root / "landing")), "lake": LakeResource(url=str(root / "lake")),
                 "spark": SparkResource(master="local[2]", shuffle_partitions=2)}
    return Lake(str(root / "lake")), resources


def _run(resources, day: str) -> dg.ExecuteInProcessResult:
    return dg.materialize([stg_click_events], resources=resources, partition_key=day,
                          instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


@pytest.fixture(scope="module")
def first(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("quarantine")
    _landing(root / "landing")
    lake, resources = _env(root)
    result = _run(resources, D)
    return root, lake, resources, result


def test_bad_lines_are_published_in_the_quarantine_table_not_fatal(first):
    root, lake, _, result = first
    assert result.success
    assert sorted(lake.read("stg_click_events", [D])["event_id"]) == ["g1", "g2"]
    quarantine = lake.read(Q, [D])
    assert _rows(quarantine) == expected_rows(root / "landing")
    assert set(quarantine["run_id"]) == {result.run_id} and set(quarantine["definition_version"]) == {VERSION}
    assert lake.partitions(Q) == [D]  # only the run's own delivery day; D+1's bad line waits for D+1's run

    meta = result.asset_materializations_for_node("stg_click_events")[0].metadata
    assert (meta["malformed_lines"].value, meta["missing_user_id_lines"].value, meta["impossible_ts_lines"].value,
            meta["set_aside_lines"].value, meta["quarantine_rows"].value) == (2, 1, 1, 4, 4)
    assert meta["dagster/row_count"].value == 2 and meta["quarantine_table"].value == Q
    query = meta["quarantine_query"].value
    assert query.startswith('pipeline-ops sql "') and f"date between '{D}' and '{D}'" in query

    # the query a person pastes from the metadata, through the same DuckDB views as `pipeline-ops sql`
    con = connect(lake)
    got = con.execute(query.removeprefix('pipeline-ops sql "').removesuffix('"')).df()
    assert list(got.columns) == ["date", "reason", "detail", "source_file", "kafka_partition", "kafka_offset", "raw_line"]
    assert sorted(got["reason"]) == ["impossible_ts", "malformed", "malformed", "missing_user_id"]
    assert set(got["raw_line"]) == {IMPOSSIBLE, MALFORMED, "x" * 2000, NO_USER}
    assert str(got["date"].iloc[0])[:10] == D
    ops = read_ops_records(lake, Q)
    assert ops[["partition", "rows_out", "run_id"]].values.tolist() == [[D, 4, result.run_id]]


def test_rerun_replaces_the_day_without_duplicates(first):
    root, lake, resources, _ = first
    again = _run(resources, D)
    assert again.success
    quarantine = lake.read(Q, [D])
    assert _rows(quarantine) == expected_rows(root / "landing")  # the same 4 rows, not 8
    assert set(quarantine["run_id"]) == {again.run_id}
    assert connect(lake).execute(f"select count(*) from {Q}").fetchone()[0] == 4


def test_day_without_bad_lines_gets_an_empty_partition(spark, tmp_path):
    _landing(tmp_path / "landing")
    lake, resources = _env(tmp_path)
    result = _run(resources, D2)
    assert result.success
    assert lake.partitions(Q) == [D2] and len(lake.read(Q, [D2])) == 0  # zero, distinguishable from "not run"
    meta = result.asset_materializations_for_node("stg_click_events")[0].metadata
    assert (meta["set_aside_lines"].value, meta["quarantine_rows"].value) == (0, 0)
    # the empty partition holds a zero-row file, so the DuckDB view exists and answers 0
    assert connect(lake).execute(f"select count(*) from {Q} where date = DATE '{D2}'").fetchone()[0] == 0


def test_failure_after_staging_publishes_neither_table(spark, tmp_path, monkeypatch):
    from pyspark.sql import functions as F

    _landing(tmp_path / "landing")
    lake, resources = _env(tmp_path)
    real = events_asset.clean_events
    # a bad events output (null user_id in a non-nullable column), staged after the quarantine
    monkeypatch.setattr(events_asset, "clean_events",
                        lambda c, v: real(c, v).withColumn("user_id", F.lit(None).cast("string")))
    result = _run(resources, D)
    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error
    assert "non-nullable" in str(error.message) + str(error.cause.message if error.cause else "")
    assert lake.partitions(Q) == [] and lake.partitions("stg_click_events") == []
    staging = tmp_path / "lake" / Q / "_staging"
    assert staging.is_dir() and not list(staging.iterdir())  # the quarantine was staged, then removed
    assert read_ops_records(lake).empty
