"""End to end: the four engagement assets over a tiny landing zone, read back with pandas and DuckDB."""

import datetime as dt

import dagster as dg
import pandas as pd
import pytest

from pipeline_ops.engagement import ASSETS, stg_click_events
from pipeline_ops.lake.duckdb_views import connect
from pipeline_ops.lake.ops_log import read_ops_records
from pipeline_ops.lake.storage import Lake
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops.resources.spark import SparkResource
from pipeline_ops.staging.schemas import EXPERIMENT_ASSIGNMENTS
from pipeline_ops_tests.engagement.landing import ev, write_click_events

pytestmark = pytest.mark.spark

D, D1 = "2025-03-02", "2025-03-03"
KEYS = ["stg_click_events", "stg_sessions", "stg_user_activity_daily", "engagement_aggregate"]


def _landing(root):
    write_click_events(root, {
        D: [
            ev("e1", "usr_1", "2025-03-02T10:00:00Z", "2025-03-02T10:00:01Z", event_type="click"),
            ev("e1", "usr_1", "2025-03-02T10:00:00Z", "2025-03-02T10:03:00Z", event_type="click"),  # duplicate
            ev("e2", "usr_1", "2025-03-02T10:10:00Z", "2025-03-02T10:10:01Z", event_type="feature_use", feature="dashboards"),
            ev("e3", "usr_2", "2025-03-02T11:00:00Z", "2025-03-02T11:00:01Z", event_type="feature_use", feature="reports"),
            ev("e4", "usr_3", "2025-03-02T12:00:00Z", "2025-03-02T12:00:01Z"),  # dogfood user (excluded)
            ev("e5", "usr_4", "2025-03-02T12:00:00Z", "2025-03-02T12:00:01Z", account_id="acc_000009"),  # excluded account
            ev("e6", "usr_9", "2025-03-02T13:00:00Z", "2025-03-02T13:00:01Z", user_agent="AhrefsBot/7.0"),
            "{broken",
        ],
        D1: [
            ev("e7", "usr_2", "2025-03-02T23:50:00Z", "2025-03-03T00:20:00Z"),  # late: belongs to D
            ev("e8", "usr_1", "2025-03-03T09:00:00Z", "2025-03-03T09:00:01Z"),
        ],
    })


def _assignments(lake: Lake):
    frame = pd.DataFrame({
        "date": pd.Timestamp(D), "experiment_id": ["exp_dogfood_internal", "exp_pricing_discount", "exp_new_dashboard"],
        "unit_type": ["user", "account", "user"], "unit_id": ["usr_3", "acc_000009", "usr_1"],
        "variant": ["control", "treatment", "treatment"], "assigned_at": pd.Timestamp("2025-02-01", tz="UTC"),
        "exclude_from_investor": [True, True, False], "in_snapshot": True, "definition_version": "staging/1.0",
    })
    lake.commit(lake.stage_frames(EXPERIMENT_ASSIGNMENTS.asset, {D: EXPERIMENT_ASSIGNMENTS.conform(frame).drop(columns="date")}))


@pytest.fixture(scope="module")
def env(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    _landing(root / "landing")
    lake = Lake(str(root / "lake"))
    _assignments(lake)
    resources = {"landing": LandingResource(url=str(root / "landing")), "lake": LakeResource(url=str(root / "lake")),
                 "spark": SparkResource(master="local[2]", shuffle_partitions=2)}
    return lake, resources


def _run(resources, **kwargs) -> dg.ExecuteInProcessResult:
    return dg.materialize(ASSETS, resources=resources, instance=dg.DagsterInstance.ephemeral(), **kwargs)


def _metadata(result: dg.ExecuteInProcessResult) -> dict:
    materializations = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
    return {m.asset_key.to_user_string(): m.metadata for m in materializations}


def _checksums(lake: Lake, partition: str) -> list[dict]:
    ops = read_ops_records(lake)
    ops = ops[ops["partition"] == partition].sort_values("ended_at")
    return [ops[ops["asset"] == a]["checksum"].tolist() for a in KEYS]


def test_one_day_end_to_end_readable_by_pandas_and_duckdb_and_idempotent(env):
    lake, resources = env
    first = _run(resources, partition_key=D)
    assert first.success
    meta = _metadata(first)
    events_meta = meta["stg_click_events"]
    assert events_meta["dagster/row_count"].value == 6  # e1 e2 e3 e4 e5 e7 (bot, duplicate, broken out)
    assert (events_meta["duplicates_removed"].value, events_meta["bot_user_agent_events"].value,
            events_meta["malformed_lines"].value) == (1, 1, 1)
    assert events_meta["provisional"].value is True  # D+2's folder has not arrived
    assert meta["stg_user_activity_daily"]["assignments_available"].value is True

    events = lake.read("stg_click_events", [D])
    assert sorted(events["event_id"]) == ["e1", "e2", "e3", "e4", "e5", "e7"]
    assert str(events["event_ts"].dtype).startswith("datetime64") and str(events["event_ts"].dt.tz) == "UTC"
    agg = lake.read("engagement_aggregate", [D]).iloc[0]
    # investor users: usr_1 (1 session 10:00-10:10, 1 click, dashboards), usr_2 (11:00 and 23:50: 2 sessions
    # of 0 s, reports); usr_3 (dogfood) and usr_4 (excluded account) out
    assert (agg["dau"], agg["wau"], agg["mau"], agg["window_days_available"]) == (2, 2, 2, 1)
    assert agg["sessions_per_user"] == 1.5 and agg["time_in_app_min_per_user"] == 5.0 and agg["clicks_per_user"] == 0.5
    assert agg["adoption_dashboards"] == 0.5 and agg["adoption_reports"] == 0.5 and pd.isna(agg["d7_retention"])
    assert agg["definition_version"].startswith("engagement/1.0;bots=")

    con = connect(lake)
    assert con.execute(f"select count(*) from stg_sessions where date = DATE '{D}'").fetchone()[0] == 5
    assert con.execute("select features from stg_user_activity_daily where user_id = 'usr_1'").fetchone()[0] == "dashboards"
    assert con.execute("select dau from engagement_aggregate").fetchall() == [(2,)]

    again = _run(resources, partition_key=D)
    assert again.success
    for asset, checksums in zip(KEYS, _checksums(lake, D)):
        assert len(checksums) == 2 and checksums[0] == checksums[1], asset


def test_range_backfill_in_one_run_matches_single_days(env):
    lake, resources = env
    single = [c[-1] for c in _checksums(lake, D)]
    result = _run(resources, tags={"dagster/asset_partition_range_start": D, "dagster/asset_partition_range_end": D1})
    assert result.success
    assert [c[-1] for c in _checksums(lake, D)] == single  # the same day, however it was run
    agg = lake.read("engagement_aggregate", [D, D1]).sort_values("date")
    assert agg["dau"].tolist() == [2, 1] and agg["wau"].tolist() == [2, 2]
    activity = _metadata(result)["stg_user_activity_daily"]
    assert activity["assignments_available"].value is False and activity["assignments_missing_days"].value == D1


def test_missing_delivery_folder_fails_naming_it(env):
    _, resources = env
    result = dg.materialize([stg_click_events], resources=resources, partition_key="2025-03-10", raise_on_error=False)
    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error
    text = str(error.message) + str(error.cause.message if error.cause else "")
    assert "missing landing partition" in text and "click_events/date=2025-03-10" in text
